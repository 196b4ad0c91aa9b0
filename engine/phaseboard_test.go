package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// Phase times of the three-phase contest: dev-a from day0, dev-b from
// day 1, final from day 2 to day 4.
var (
	devBStart = day0.Add(24 * time.Hour)
	ladderη   = 0.5
)

// threePhases is a contest in three phases: dev-a on the task's data
// (contest.csv, where ada beats bob), dev-b on its own data (where bob
// beats ada) under the Ladder, and a final phase with its own data.
func threePhases(devB, final string) string {
	return fmt.Sprintf(`phases:
  - {id: dev-a, schedule: {start: %s}}
  - {id: dev-b, schedule: {start: %s}, data: {test: %q}, split: {public_fraction: 0.6, seed: b-seed}, leaderboard: {mode: ladder, step: %v}}
  - {id: final, final: true, schedule: {start: %s, end: %s}, data: {test: %q}}
`, day0.Format(time.RFC3339), devBStart.Format(time.RFC3339), devB, ladderη,
		finalStart.Format(time.RFC3339), finalEnd.Format(time.RFC3339), final)
}

type row struct {
	who   string
	sub   string
	score float64
}

func rowsOf(t *testing.T, e *engine.Engine, v engine.Viewer, private bool, phase string) []row {
	t.Helper()
	b, err := e.PhaseLeaderboard("contest", v, private, phase)
	if err != nil {
		t.Fatalf("PhaseLeaderboard(%+v, private %v, %q): %v", v, private, phase, err)
	}
	var out []row
	for _, en := range b {
		if !en.Baseline {
			out = append(out, row{en.Participant, en.Submission, en.Score})
		}
	}
	return out
}

func whoOf(rs []row) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.who)
	}
	return strings.Join(s, ",")
}

// TestPhaseBoardsThreePhases walks a three-phase contest on the injected
// clock: each submission lands on its phase's board, scored on its
// phase's data under its phase's leaderboard settings; the board of a
// phase that ended stays readable and unchanged; nothing is re-run when a
// development phase ends; the final phase re-runs the selections and
// freezes the development boards; all of it survives a restart.
func TestPhaseBoardsThreePhases(t *testing.T) {
	ctx := context.Background()
	devB, final := swapData(t), fixedData(t, func(a, b, _ float64) float64 { return (a + b) / 2 }, nil)
	dataDir := filepath.Join(t.TempDir(), "data")
	e, clk := contest(t, threePhases(devB, final), engine.Config{DataDir: dataDir})
	ada, bob := engine.Viewer{Participant: "ada"}, engine.Viewer{Participant: "bob"}

	// dev-a: scored on the task's data.
	a1 := mustSubmit(t, e, "ada", linear)
	b1 := mustSubmit(t, e, "bob", cmodel)
	if a1.Phase != "dev-a" || b1.Phase != "dev-a" {
		t.Fatalf("phases %q, %q: want dev-a", a1.Phase, b1.Phase)
	}
	devA := rowsOf(t, e, ada, false, "dev-a")
	if got := whoOf(devA); got != "ada,bob" {
		t.Fatalf("dev-a board %s, want ada,bob", got)
	}
	if got := whoOf(rowsOf(t, e, ada, false, "")); got != "ada,bob" {
		t.Errorf("default board in dev-a %s, want dev-a's ada,bob", got)
	}
	if got := rowsOf(t, e, ada, false, "dev-b"); len(got) != 0 {
		t.Errorf("dev-b board before it began: %v, want empty", got)
	}
	if got := rowsOf(t, e, engine.Host, false, "final"); len(got) != 0 {
		t.Errorf("final board before it began: %v, want empty", got)
	}
	devAHost := rowsOf(t, e, engine.Host, true, "dev-a")

	// dev-b begins by the schedule: nothing is re-run.
	clk.Set(devBStart.Add(time.Hour))
	ps, err := e.SettlePhases(ctx, "contest")
	if err != nil {
		t.Fatalf("SettlePhases: %v", err)
	}
	if !ps[1].Current || !ps[1].OwnData || ps[1].Leaderboard == nil || ps[1].Leaderboard.Mode != engine.ModeLadder {
		t.Errorf("dev-b %+v: want current, own data, the ladder", ps[1])
	}
	if rs, err := e.Rescores("contest"); err != nil || len(rs) != 0 {
		t.Errorf("rescores after entering dev-b: %d, %v; want none", len(rs), err)
	}
	a2 := mustSubmit(t, e, "ada", linear) // the same module: once per phase
	b2 := mustSubmit(t, e, "bob", cmodel)
	if a2.Duplicate || a2.Phase != "dev-b" || b2.Phase != "dev-b" {
		t.Fatalf("dev-b submissions: duplicate %v, phases %q %q; want new, dev-b", a2.Duplicate, a2.Phase, b2.Phase)
	}
	if *a2.Scores.Public == *a1.Scores.Public {
		t.Errorf("ada's module scored %v in both phases: dev-b is not scored on its own data", *a2.Scores.Public)
	}

	tests := []struct {
		name    string
		v       engine.Viewer
		private bool
		phase   string
		want    string
	}{
		{"dev-a stays", ada, false, "dev-a", "ada,bob"},
		{"dev-b on its data", ada, false, "dev-b", "bob,ada"},
		{"default is dev-b", bob, false, "", "bob,ada"},
		{"host dev-b private", engine.Host, true, "dev-b", "bob,ada"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := whoOf(rowsOf(t, e, tc.v, tc.private, tc.phase)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if got := rowsOf(t, e, ada, false, "dev-a"); fmt.Sprint(got) != fmt.Sprint(devA) {
		t.Errorf("dev-a board after dev-b began: %v, want unchanged %v", got, devA)
	}
	// dev-b's Ladder: a participant reads rounded scores, no interval.
	pb, err := e.PhaseLeaderboard("contest", ada, false, "dev-b")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range pb {
		if r := math.Remainder(en.Score, ladderη); math.Abs(r) > 1e-9 || en.CI != nil {
			t.Errorf("dev-b row %+v: want a multiple of %v, no interval (the phase's Ladder)", en, ladderη)
		}
	}
	own, err := e.Submission(a2.ID, ada)
	if err != nil {
		t.Fatal(err)
	}
	if own.Scores.Public == nil || math.Abs(math.Remainder(*own.Scores.Public, ladderη)) > 1e-9 {
		t.Errorf("ada's own dev-b submission shows %v: want the Ladder's shown score", own.Scores.Public)
	}
	ownA, _ := e.Submission(a1.ID, ada)
	if *ownA.Scores.Public != *a1.Scores.Public {
		t.Errorf("ada's own dev-a submission shows %v, want its exact %v (dev-a has no Ladder)", *ownA.Scores.Public, *a1.Scores.Public)
	}
	if _, err := e.PhaseLeaderboard("contest", ada, false, "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown phase: got %v, want ErrNotFound", err)
	}
	if _, err := e.PhaseLeaderboard("contest", ada, true, "dev-a"); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("participant's private dev-a board before close: got %v, want ErrForbidden", err)
	}
	if _, err := e.Rescore(ctx, "contest", engine.RescoreOptions{}); !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), "phases[1].data") {
		t.Errorf("host rescore with development data: got %v, want ErrBadRequest naming phases[1].data", err)
	}
	devBPub := rowsOf(t, e, ada, false, "dev-b")

	// The final phase re-runs the selections (dev-b's) on its data; the
	// development boards stay as they were.
	clk.Set(finalStart.Add(time.Hour))
	ps, err = e.SettlePhases(ctx, "contest")
	if err != nil {
		t.Fatalf("SettlePhases: %v", err)
	}
	if fin := ps[2]; fin.Rerun == nil || !fin.Rerun.Done || fin.Rerun.Selections != 2 {
		t.Errorf("final phase %+v: want 2 selections (dev-b's) re-run", fin)
	}
	check := func(e *engine.Engine) {
		t.Helper()
		if got := rowsOf(t, e, ada, false, "dev-a"); fmt.Sprint(got) != fmt.Sprint(devA) {
			t.Errorf("dev-a board in the final phase: %v, want %v", got, devA)
		}
		if got := rowsOf(t, e, ada, false, "dev-b"); fmt.Sprint(got) != fmt.Sprint(devBPub) {
			t.Errorf("dev-b board in the final phase: %v, want frozen %v", got, devBPub)
		}
		if got := rowsOf(t, e, engine.Host, true, "dev-a"); fmt.Sprint(got) != fmt.Sprint(devAHost) {
			t.Errorf("host's dev-a private board in the final phase: %v, want %v", got, devAHost)
		}
		if got := rowsOf(t, e, ada, false, ""); fmt.Sprint(got) != fmt.Sprint(devBPub) {
			t.Errorf("default public board in the final phase: %v, want dev-b's, frozen %v", got, devBPub)
		}
		fb := rowsOf(t, e, engine.Host, true, "final")
		for _, r := range fb {
			if r.sub != a2.ID && r.sub != b2.ID {
				t.Errorf("final board row %+v: not a dev-b selection", r)
			}
		}
		if len(fb) != 2 {
			t.Errorf("final board %v: want ada's and bob's dev-b selections", fb)
		}
		s, err := e.Submission(a1.ID, engine.Host)
		if err != nil || s.Phase != "dev-a" || *s.Scores.Public != *a1.Scores.Public {
			t.Errorf("dev-a submission after the final re-run: %+v, %v; want unchanged, phase dev-a", s, err)
		}
	}
	check(e)

	// A restart reads the same.
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dataDir, Now: clk.Now, CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer e2.Close(ctx)
	check(e2)
}

// TestPhaseDataRestart: a submission a crash left unfinished in a phase
// with its own data is run again, after a restart, on that data; a
// tampered phase dataset is refused.
func TestPhaseDataRestart(t *testing.T) {
	ctx := context.Background()
	devB, final := swapData(t), fixedData(t, func(a, b, _ float64) float64 { return (a + b) / 2 }, nil)
	dataDir := filepath.Join(t.TempDir(), "data")
	e, clk := contest(t, threePhases(devB, final), engine.Config{DataDir: dataDir})
	clk.Set(devBStart.Add(time.Hour))
	want := mustSubmit(t, e, "ada", linear)
	sub, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: "bob", Module: cmodel})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dataDir, Now: clk.Now, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	if _, err := e2.Recover(ctx); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	got, err := e2.Submission(sub.ID, engine.Host)
	if err != nil || got.Status != engine.StatusScored || got.Phase != "dev-b" {
		t.Fatalf("bob's submission after the restart: %+v, %v; want scored in dev-b", got, err)
	}
	b := rowsOf(t, e2, engine.Host, false, "dev-b")
	if whoOf(b) != "bob,ada" {
		t.Errorf("dev-b board after the restart %v, want bob,ada (dev-b's data)", b)
	}
	if b[1].sub != want.ID {
		t.Errorf("ada's dev-b row %v, want %s", b[1], want.ID)
	}
}

// TestPhaseDataTampered: a development phase's stored dataset and split
// are checked against the digests recorded at creation, as the task's
// are: a changed byte is refused, naming the phase.
func TestPhaseDataTampered(t *testing.T) {
	ctx := context.Background()
	devB, final := swapData(t), fixedData(t, func(a, b, _ float64) float64 { return (a + b) / 2 }, nil)
	dir := filepath.Join(t.TempDir(), "data")
	e, clk := contest(t, threePhases(devB, final), engine.Config{DataDir: dir})
	task, err := e.Task("contest")
	if err != nil {
		t.Fatal(err)
	}
	pd, ok := task.PhaseData["dev-b"]
	if !ok || pd.DatasetFileSHA256 == "" || pd.SplitSHA256 == "" || pd.DatasetSHA256 == task.DatasetSHA256 {
		t.Fatalf("dev-b's data recorded as %+v (%v): want its own dataset, file and split digests", pd, ok)
	}
	if _, ok := task.PhaseData["dev-a"]; ok {
		t.Errorf("dev-a, on the task's data, recorded data of its own")
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(devBStart.Add(time.Hour))
	tests := []struct {
		name string
		path string
	}{
		{"dataset", filepath.Join(dir, "datasets", pd.DatasetSHA256+".arrow")},
		{"split", filepath.Join(dir, "datasets", pd.DatasetSHA256+".contest@dev-b.split")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			b := append([]byte(nil), orig...)
			b[len(b)-1] ^= 1
			if err := os.WriteFile(tc.path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(tc.path, orig, 0o600)
			e, err := engine.Open(ctx, engine.Config{DataDir: dir, Now: clk.Now, CacheDir: cacheDir})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			_, err = submit(t, e, "ada", linear)
			if err == nil || !strings.Contains(err.Error(), `phase "dev-b"`) {
				t.Errorf("submit on a tampered dev-b %s: got %v, want a refusal naming phase dev-b", tc.name, err)
			}
		})
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, Now: clk.Now, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	mustSubmit(t, e2, "ada", linear)
}
