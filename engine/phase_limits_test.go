package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestPhaseLimits walks a four-phase task on the injected clock: each
// phase's own limits hold for the submissions made in it, a phase's
// total counts only its own submissions, and a limit the phase leaves out
// is the task's.
func TestPhaseLimits(t *testing.T) {
	at := func(h int) string { return day0.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	// "limits" is quoted: createContest rewrites the first bare "limits: {".
	spec := fmt.Sprintf(`phases:
  - {id: dev, schedule: {start: %s}, "limits": {total_limit: 2}}
  - {id: two, schedule: {start: %s}, "limits": {daily_limit: 1, total_limit: 2}}
  - {id: slow, schedule: {start: %s}, "limits": {timeout_s: 0.000001}}
  - {id: small, schedule: {start: %s}, "limits": {memory_mb: 1}}
`, at(0), at(24), at(72), at(96))
	e, clk := contest(t, spec, engine.Config{})
	gomodel := sandboxtest.Wasm(sandboxtest.GoModel)
	n := 0
	next := func() []byte { n++; return variant(linear, n) }
	steps := []struct {
		name   string
		at     int // hours after day0
		module []byte
		limit  string // the QuotaError's limit, "" for accepted
		kind   string // the failure's kind, "" for scored
	}{
		{"dev first", 9, nil, "", ""},
		{"dev: a Go model in the task's memory", 10, gomodel, "", ""},
		{"ErrQuotaExceeded/dev total 2", 11, nil, "total", ""},
		{"two: dev submissions not counted", 25, nil, "", ""},
		{"ErrQuotaExceeded/two daily 1", 26, nil, "daily", ""},
		{"two: next day", 49, nil, "", ""},
		{"ErrQuotaExceeded/two total 2", 50, nil, "total", ""},
		{"slow: its time limit", 75, nil, "", "timeout"},
		{"small: its memory", 97, variant(gomodel, 1), "", "memory_limit"},
	}
	var qe *engine.QuotaError
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			clk.Set(day0.Add(time.Duration(tc.at) * time.Hour))
			module := tc.module
			if module == nil {
				module = next()
			}
			sub, err := submit(t, e, "ada", module)
			if tc.limit != "" {
				if !errors.As(err, &qe) || qe.Limit != tc.limit {
					t.Fatalf("got %+v, %v; want a QuotaError on the %s limit", sub, err, tc.limit)
				}
				if tc.limit == "total" && (qe.Phase == "" || !strings.Contains(err.Error(), "submissions phase \""+qe.Phase+"\" allows")) {
					t.Errorf("got %v: want the phase's total named", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			switch {
			case tc.kind == "" && sub.Failed():
				t.Errorf("got failed %+v, want scored", sub.Error)
			case tc.kind != "" && (sub.Error == nil || sub.Error.Kind != tc.kind):
				t.Errorf("got status %s, error %+v; want failed with kind %s", sub.Status, sub.Error, tc.kind)
			}
		})
	}
	ps, err := e.Phases("contest", engine.Viewer{Participant: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Limits == nil || ps[0].Limits.TotalLimit != 2 || ps[0].Limits.MemoryMB != 16 {
		t.Errorf("phase dev's limits %+v: want total 2 and the task's 16 MiB", ps[0].Limits)
	}
	if ps[1].DailyLimit == nil || *ps[1].DailyLimit != 1 {
		t.Errorf("phase two's daily limit %v, want 1", ps[1].DailyLimit)
	}
	if ps[3].Limits == nil || ps[3].Limits.MemoryMB != 1 || !ps[3].Current {
		t.Errorf("phase small %+v: want current, 1 MiB", ps[3])
	}
}

// TestPhaseLimitsTotal: the total of a phase counts the submissions made
// in it, from the UTC day it began.
func TestPhaseLimitsTotal(t *testing.T) {
	spec := fmt.Sprintf(`phases:
  - {id: dev, schedule: {start: %s}}
  - {id: two, schedule: {start: %s}, "limits": {total_limit: 2}}
`, day0.Format(time.RFC3339), day0.Add(24*time.Hour).Format(time.RFC3339))
	e, clk := contest(t, spec, engine.Config{})
	for i := range 3 {
		mustSubmit(t, e, "ada", variant(linear, i))
	}
	var qe *engine.QuotaError
	for i, want := range []string{"", "", "total", "total"} {
		clk.Set(day0.Add(time.Duration(25+24*i) * time.Hour))
		_, err := submit(t, e, "ada", variant(linear, 10+i))
		switch {
		case want == "" && err != nil:
			t.Errorf("day %d: %v, want accepted (the 3 development submissions do not count)", i+1, err)
		case want != "" && (!errors.As(err, &qe) || qe.Limit != want || !strings.Contains(err.Error(), "2 submissions")):
			t.Errorf("day %d: %v, want the phase's total of 2", i+1, err)
		}
	}
}

// TestPhaseSplit: a final phase's own split decides which of its rows
// score the final board; a key it leaves out is the task's.
func TestPhaseSplit(t *testing.T) {
	ctx := context.Background()
	data := swapData(t)
	scores := map[string]engine.Scores{}
	tests := []struct {
		name, split string
		private     bool // the re-run has a private score
	}{
		{"task's split", "", true},
		{"own seed", ", split: {seed: another-secret-seed}", true},
		{"public_fraction 1", ", split: {public_fraction: 1}", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, clk := contest(t, phasesSpec(data, tc.split), engine.Config{})
			sub := mustSubmit(t, e, "ada", linear)
			clk.Set(finalStart.Add(time.Hour))
			if _, err := e.SettlePhases(ctx, "contest"); err != nil {
				t.Fatal(err)
			}
			got, err := e.Submission(sub.ID, engine.Host)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Scores.Private != nil) != tc.private {
				t.Errorf("re-run scores %+v: private score %v, want %v", got.Scores, got.Scores.Private != nil, tc.private)
			}
			scores[tc.name] = got.Scores
			task, _ := e.Task("contest")
			want := "s"
			if strings.Contains(tc.split, "seed") {
				want = "another-secret-seed"
			}
			if task.Spec.Split.Seed != want {
				t.Errorf("task's seed after the re-run %q, want %q", task.Spec.Split.Seed, want)
			}
			clk.Set(finalEnd)
			v, err := e.Verify(ctx, "contest", engine.VerifyOptions{})
			if err != nil {
				t.Fatalf("Verify after close: %v", err)
			}
			if !v.OK() {
				t.Errorf("verify after close on the final data and split: %+v, want every score reproduced", v)
			}
		})
	}
	a, b := scores["task's split"], scores["own seed"]
	if a.Public == nil || b.Public == nil || *a.Public == *b.Public {
		t.Errorf("public scores with the task's seed and the phase's: %v, %v; want them to differ", a.Public, b.Public)
	}
}

// TestPhaseSplitRefused: a final phase's split that leaves none of its
// rows public is refused at creation, naming the phase's key.
func TestPhaseSplitRefused(t *testing.T) {
	e, _ := contest(t, "", engine.Config{})
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: refused\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\n%s",
		data, phasesSpec(swapData(t), ", split: {public_fraction: 0.0001}"))
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.CreateTask(context.Background(), path)
	if !errors.Is(err, engine.ErrInvalidSpec) || !strings.Contains(err.Error(), "phases[1].split.public_fraction") {
		t.Errorf("got %v, want ErrInvalidSpec naming phases[1].split.public_fraction", err)
	}
	if _, err := e.Task("refused"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("the refused task: got %v, want ErrNotFound", err)
	}
}

// TestPhaseSplitLeak: two contests whose final phases differ only in
// their split (seed, public fraction) look the same to a participant
// through the final phase, until close.
func TestPhaseSplitLeak(t *testing.T) {
	ctx := context.Background()
	data := swapData(t)
	var views []string
	for _, split := range []string{", split: {seed: one-secret-seed-of-the-final}", ", split: {seed: another-secret-seed, public_fraction: 0.9}"} {
		e, clk := contest(t, phasesSpec(data, split), engine.Config{})
		sub := mustSubmit(t, e, "ada", linear)
		mustSubmit(t, e, "bob", cmodel)
		clk.Set(finalStart.Add(time.Hour))
		if _, err := e.SettlePhases(ctx, "contest"); err != nil {
			t.Fatal(err)
		}
		views = append(views, phaseView(t, e, sub.ID))
	}
	if views[0] != views[1] {
		t.Errorf("the participant's view depends on the final phase's split:\n%s\n---\n%s", views[0], views[1])
	}
}

// TestPhaseVerify: after a final phase, verify re-runs each submission on
// the data it was scored on (the final data for the re-run selections,
// the development data for the others) under the limits of the phase it
// was made in, and reproduces every stored outcome.
func TestPhaseVerify(t *testing.T) {
	ctx := context.Background()
	e, clk, _ := phaseContest(t, engine.Config{}, ", submissions: true, \"limits\": {memory_mb: 1}")
	mustSubmit(t, e, "bob", variant(cmodel, 2)) // not selected: not re-run
	clk.Set(finalStart.Add(time.Hour))
	if _, err := e.SettlePhases(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	// Made in the final phase, under its 1 MiB: a Go model fails there.
	gomodel := sandboxtest.Wasm(sandboxtest.GoModel)
	if sub, err := submit(t, e, "cy", gomodel); err != nil || !sub.Failed() {
		t.Fatalf("a Go model in the final phase's 1 MiB: %+v, %v; want it failed", sub, err)
	}
	clk.Set(finalEnd)
	for _, sel := range [][]string{nil, {engine.SelectSelected}} {
		v, err := e.Verify(ctx, "contest", engine.VerifyOptions{Submissions: sel})
		if err != nil {
			t.Fatalf("Verify(%v): %v", sel, err)
		}
		if !v.OK() || v.Checked == 0 {
			t.Errorf("Verify(%v): %d checked, %d matched, mismatches %+v; want every outcome reproduced", sel, v.Checked, v.Matched, v.Mismatches)
		}
	}
}

// TestPhaseLimitsHammer: eight concurrent submissions of one participant
// in a phase whose own total is 3, after development submissions that do
// not count: exactly 3 are accepted.
func TestPhaseLimitsHammer(t *testing.T) {
	spec := fmt.Sprintf(`phases:
  - {id: dev, schedule: {start: %s}}
  - {id: two, schedule: {start: %s}, "limits": {total_limit: 3}}
`, day0.Format(time.RFC3339), day0.Add(24*time.Hour).Format(time.RFC3339))
	e, clk := contest(t, spec, engine.Config{})
	for i := range 4 {
		mustSubmit(t, e, "ada", variant(linear, i))
	}
	clk.Set(day0.Add(25 * time.Hour))
	var accepted, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := submit(t, e, "ada", variant(linear, 100+i))
			switch {
			case errors.Is(err, engine.ErrQuotaExceeded):
				refused.Add(1)
			case err != nil:
				t.Errorf("#%d: %v", i, err)
			default:
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 3 || refused.Load() != 5 {
		t.Errorf("got %d accepted, %d refused; want 3 and 5", accepted.Load(), refused.Load())
	}
}

// TestPhaseQuotaTeam: a team member over a phase's own total reads that
// the phase's total was reached, not the task's.
func TestPhaseQuotaTeam(t *testing.T) {
	spec := fmt.Sprintf(`teams: {max_size: 2}
phases:
  - {id: dev, schedule: {start: %s}, "limits": {total_limit: 1}}
  - {id: more, schedule: {start: %s}}
`, day0.Format(time.RFC3339), day0.Add(48*time.Hour).Format(time.RFC3339))
	e, _ := contest(t, spec, engine.Config{})
	if _, err := e.JoinTeam("contest", "duo", "ada", "bob"); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, e, "ada", linear)
	_, err := submit(t, e, "bob", cmodel)
	var qe *engine.QuotaError
	if !errors.As(err, &qe) || qe.Team != "duo" || qe.Phase != "dev" {
		t.Fatalf("got %v; want a QuotaError of team duo on phase dev's total", err)
	}
	if want := `team "duo" has made all 1 submissions phase "dev" allows`; !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to say %q", err, want)
	}
}
