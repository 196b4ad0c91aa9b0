package main

import (
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/examples"
)

// TestDemoPhases is the acceptance line of the two-phase contest:
// admission, a refused outsider, development submissions, the automatic
// final re-run of the selections on new data, a final board that differs
// from the development board, certification at the end.
func TestDemoPhases(t *testing.T) {
	code, stdout, stderr := cli(t, "demo", "--phases")
	if code != 0 {
		t.Fatalf("demo --phases: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{
		"invite-only", "mallory  redeems it", "eve      tries the same code: REFUSED", "is not admitted",
		"3 final selections frozen and re-run", "which takes no submissions", "refused until the final phase ends",
		"#1 alice: certified", "#3 mallory: not certified", `phase    phase "Final" began (by the schedule)`,
		"the final board differs from the development board: true", "close    closed by its schedule",
	} {
		if !strings.Contains(stdout, f) {
			t.Errorf("output lacks %q:\n%s", f, stdout)
		}
	}
	code, stdout, _ = cli(t, "--json", "demo", "--phases")
	type row struct {
		Name     string
		Baseline bool
	}
	var out struct {
		Development, Final []row
		Promotions         []struct {
			Rank       int
			Credential *json.RawMessage
		}
		Phases []struct {
			ID    string
			Rerun *struct {
				Selections int
				Done       bool
			}
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil {
		t.Fatalf("--json: exit %d\n%s", code, stdout)
	}
	names := func(rs []row) []string {
		var o []string
		for _, r := range rs {
			if !r.Baseline {
				o = append(o, r.Name)
			}
		}
		return o
	}
	if d, f := names(out.Development), names(out.Final); !slices.Equal(d, []string{"mallory", "alice", "bob"}) || !slices.Equal(f, []string{"alice", "bob", "mallory"}) {
		t.Errorf("boards: development %v, final %v; want mallory, alice, bob, then alice, bob, mallory", d, f)
	}
	if len(out.Phases) != 2 || out.Phases[1].Rerun == nil || !out.Phases[1].Rerun.Done || out.Phases[1].Rerun.Selections != 3 {
		t.Errorf("phases %+v: want the final one's 3 selections re-run", out.Phases)
	}
	if len(out.Promotions) != 3 || out.Promotions[0].Credential == nil || out.Promotions[2].Credential != nil {
		t.Errorf("promotions %+v: want alice and bob certified, mallory not", out.Promotions)
	}
}

// TestMemorizerSeenRows: the memorizer example knows the labels of
// exactly the development rows of the demo.
func TestMemorizerSeenRows(t *testing.T) {
	dir := t.TempDir()
	if err := writePhaseData(dir); err != nil {
		t.Fatal(err)
	}
	read := func(path string) [][]string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	dev := read(filepath.Join(dir, "dev.csv"))
	seen := read("../../examples/breast-cancer/memorizer/seen.csv")
	final := read(filepath.Join(dir, "final.csv"))
	if len(dev) != phasesDevRows+1 || len(seen) != len(dev) {
		t.Fatalf("dev.csv %d lines, seen.csv %d; want %d each", len(dev), len(seen), phasesDevRows+1)
	}
	b, _ := fs.ReadFile(examples.FS, "data/breast_cancer_test.csv")
	if all := strings.Count(string(b), "\n"); len(dev)+len(final)-2 != all-1 {
		t.Errorf("dev %d + final %d rows, the shipped data has %d", len(dev)-1, len(final)-1, all-1)
	}
	label := slices.Index(dev[0], "target")
	for i := 1; i < len(dev); i++ {
		if got, want := seen[i], []string{dev[i][1], dev[i][2], dev[i][3], dev[i][label]}; !slices.Equal(got, want) {
			t.Errorf("seen.csv line %d: %v, want %v (dev.csv's)", i, got, want)
		}
	}
}

// TestLeaderboardPhase reads each phase's board of the demo's contest
// with verdict leaderboard --phase: the development board as it stood
// when the final phase began, the final board, and a refusal naming an
// unknown phase.
func TestLeaderboardPhase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, stdout, stderr := cli(t, "--data-dir", dir, "demo", "--phases"); code != 0 {
		t.Fatalf("demo --phases: exit %d\n%s\n%s", code, stdout, stderr)
	}
	order := func(rows []struct {
		Name     string
		Baseline bool
	}) string {
		var o []string
		for _, r := range rows {
			if !r.Baseline {
				o = append(o, r.Name)
			}
		}
		return strings.Join(o, ",")
	}
	tests := []struct {
		name  string
		args  []string
		want  string // names in rank order
		phase string
	}{
		{"development", []string{"--phase", "development"}, "mallory,alice,bob", "development"},
		{"final", []string{"--phase", "final", "--private"}, "alice,bob,mallory", "final"},
		{"default", nil, "mallory,alice,bob", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--data-dir", dir, "--json", "leaderboard", "breast-cancer-phases"}, tc.args...)
			code, stdout, stderr := cli(t, args...)
			var out struct {
				Phase   string
				Entries []struct {
					Name     string
					Baseline bool
				}
			}
			if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if got := order(out.Entries); got != tc.want || out.Phase != tc.phase {
				t.Errorf("phase %q board %s, want phase %q %s", out.Phase, got, tc.phase, tc.want)
			}
		})
	}
	code, stdout, _ := cli(t, "--data-dir", dir, "leaderboard", "breast-cancer-phases", "--phase", "development")
	if code != 0 || !strings.Contains(stdout, "breast-cancer-phases leaderboard — phase development — public") {
		t.Errorf("text board: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := cli(t, "--data-dir", dir, "leaderboard", "breast-cancer-phases", "--phase", "nope"); code == 0 || !strings.Contains(stderr, `no phase "nope"`) {
		t.Errorf("--phase nope: exit %d, %s; want a refusal naming the phase", code, stderr)
	}
}
