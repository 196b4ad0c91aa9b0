package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestContestSpecFile: the demo's built-in contest spec is the file shipped
// in examples/.
func TestContestSpecFile(t *testing.T) {
	b, err := os.ReadFile("../../examples/breast-cancer/contest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != contestSpec {
		t.Errorf("examples/breast-cancer/contest.yaml and contestSpec differ:\n%s\n---\n%s", b, contestSpec)
	}
}

func TestDemoContest(t *testing.T) {
	code, stdout, stderr := cli(t, "demo", "--contest")
	if code != 0 {
		t.Fatalf("demo --contest: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{
		"opens at 2026-03-02T00:00:00Z", "as a baseline", "FAILED (trap)",
		"next slot opens at 2026-03-03T00:00:00Z", `team "de"`, "not charged",
		"refused until the task closes", "closes the task", "task closed",
		"leaderboard — public", "leaderboard — private", "ranks differ between public and private: true",
	} {
		if !strings.Contains(stdout, f) {
			t.Errorf("output lacks %q:\n%s", f, stdout)
		}
	}
	code, stdout, _ = cli(t, "--json", "demo", "--contest")
	var out struct {
		Public, Private []struct {
			Participant string
			Baseline    bool
		}
		History []json.RawMessage
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil {
		t.Fatalf("--json: exit %d\n%s", code, stdout)
	}
	first := func(rows []struct {
		Participant string
		Baseline    bool
	}) string {
		for _, r := range rows {
			if !r.Baseline {
				return r.Participant
			}
		}
		return ""
	}
	if p, q := first(out.Public), first(out.Private); p != "bob" || q != "alice" {
		t.Errorf("winners: got public %q, private %q; want bob, then alice", p, q)
	}
	if len(out.History) == 0 {
		t.Error("no history")
	}
}

// TestCLIContest drives the contest commands end to end with the real clock.
func TestCLIContest(t *testing.T) {
	dir, data := workspace(t)
	csv := filepath.Join(dir, "examples", "data", "breast_cancer_test.csv")
	spec := writeFile(t, filepath.Join(dir, "c.yaml"), []byte(fmt.Sprintf(
		"id: cli-contest\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nlimits: {daily_limit: 2}\nteams: {max_size: 2}\n", csv)))
	linear := filepath.Join(dir, "examples", "breast-cancer", "c-model", "model.wasm") // a probability model
	konst := writeFile(t, filepath.Join(dir, "const.wasm"), sandboxtest.Wasm(sandboxtest.Const))
	d := "--data-dir=" + data
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{d}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s\n%s", args, code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	run(0, "task", "create", spec)
	out := run(0, "--json", "submit", "--task", "cli-contest", "--participant", "ada", linear)
	var sub struct{ ID string }
	if err := json.Unmarshal([]byte(out), &sub); err != nil {
		t.Fatal(err)
	}
	run(0, "submit", "--task", "cli-contest", "--participant", "ada", konst)
	trap := writeFile(t, filepath.Join(dir, "trap.wasm"), sandboxtest.Wasm(sandboxtest.Trap))
	if out := run(2, "submit", "--task", "cli-contest", "--participant", "ada", trap); !strings.Contains(out, "next slot opens at") {
		t.Errorf("over the daily limit: got %q", out)
	}
	if out := run(0, "submit", "--task", "cli-contest", "--participant", "ada", linear); !strings.Contains(out, "already submitted") {
		t.Errorf("same module again: got %q", out)
	}
	run(0, "submit", "--task", "cli-contest", "--participant", "host", "--baseline", konst)
	run(0, "select", "--task", "cli-contest", "--participant", "ada", sub.ID)
	run(2, "select", "--task", "cli-contest", "--participant", "bob", sub.ID)
	if out := run(0, "team", "create", "--task", "cli-contest", "ab", "ada", "bob"); !strings.Contains(out, "team ab: ada, bob") {
		t.Errorf("team create: got %q", out)
	}
	run(2, "team", "join", "--task", "cli-contest", "ab", "cy")
	if out := run(2, "submit", "--task", "cli-contest", "--participant", "bob", trap); !strings.Contains(out, `team "ab"`) {
		t.Errorf("a teammate over the team's limit: got %q", out)
	}
	if out := run(0, "leaderboard", "cli-contest"); !strings.Contains(out, "team ab") || !strings.Contains(out, "baseline") {
		t.Errorf("leaderboard: got %q, want the team row and the baseline line", out)
	}
	if out := run(0, "submissions", "--task", "cli-contest", "--participant", "bob"); strings.Count(out, "scored") != 2 {
		t.Errorf("the team's submissions: got %q", out)
	}
	if out := run(0, "history", "cli-contest"); !strings.Contains(out, "ada") {
		t.Errorf("history: got %q", out)
	}
	if out := run(2, "leaderboard", "cli-contest", "--private", "--as", "cy"); !strings.Contains(out, "revealed when the task closes") {
		t.Errorf("private board as a participant before close: got %q", out)
	}
	if out := run(0, "submissions", "--task", "cli-contest", "--as", "cy"); strings.Contains(out, "scored") {
		t.Errorf("cy sees others' submissions: %q", out)
	}
	if out := run(0, "submissions", "--task", "cli-contest", "--as", "bob"); strings.Count(out, "scored") != 2 || !strings.Contains(out, "PRIVATE") {
		t.Errorf("bob's view of his team's submissions: %q", out)
	}
	run(0, "task", "close", "cli-contest")
	run(0, "leaderboard", "cli-contest", "--private", "--as", "cy")
	if out := run(2, "submit", "--task", "cli-contest", "--participant", "cy", konst); !strings.Contains(out, "closed at") {
		t.Errorf("after close: got %q", out)
	}
	run(2, "task", "close", "cli-contest")
	if out := run(0, "task", "show", "cli-contest"); !strings.Contains(out, "closed at") {
		t.Errorf("task show: got %q", out)
	}
	if out := run(0, "leaderboard", "cli-contest", "--private"); !strings.Contains(out, "team ab") {
		t.Errorf("private leaderboard: got %q", out)
	}
}
