package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// Phase times of the test contests: development from day0, final from
// day 2, closing on day 4.
var (
	finalStart = day0.Add(48 * time.Hour)
	finalEnd   = day0.Add(96 * time.Hour)
)

// phasesSpec is the phases: block of a two-phase contest whose final
// phase has the data at finalData ("" for none); more is added to the
// final phase.
func phasesSpec(finalData, more string) string {
	data := ""
	if finalData != "" {
		data = fmt.Sprintf(", data: {test: %q}", finalData)
	}
	return fmt.Sprintf(`phases:
  - {id: dev, name: Development, schedule: {start: %s}}
  - {id: final, final: true, schedule: {start: %s, end: %s}%s%s}
`, day0.Format(time.RFC3339), finalStart.Format(time.RFC3339), finalEnd.Format(time.RFC3339), data, more)
}

// swapData is contest.csv relabelled with bob's predictions: on it bob
// (cmodel) beats ada (linear), who beats him on contest.csv.
func swapData(t *testing.T) string {
	return fixedData(t, func(a, b, _ float64) float64 { return math.Max(a, b) }, nil)
}

func TestPhaseSpec(t *testing.T) {
	base := "id: p-task\ntype: regression\nmetric: rmse\ndata: {test: d.csv}\n"
	tests := []struct {
		name string
		spec string
		want string // "" for valid
	}{
		{"two phases", phasesSpec("", ""), ""},
		{"final with data and submissions", phasesSpec("f.csv", ", submissions: true, \"limits\": {daily_limit: 1}"), ""},
		{"ErrInvalidSpec/negative phase limit", phasesSpec("", ", limits: {daily_limit: -1}"), "phases[1].limits.daily_limit"},
		{"ErrInvalidSpec/negative phase total", phasesSpec("", ", limits: {total_limit: -1}"), "phases[1].limits.total_limit"},
		{"ErrInvalidSpec/phase memory", phasesSpec("", ", limits: {memory_mb: 5000}"), "phases[1].limits.memory_mb"},
		{"ErrInvalidSpec/phase timeout", phasesSpec("", ", limits: {timeout_s: 0}"), "phases[1].limits.timeout_s"},
		{"ErrInvalidSpec/split without data", phasesSpec("", ", split: {seed: x}"), "phases[1].split: only a phase with its own data"},
		{"ErrInvalidSpec/phase public_fraction", phasesSpec("f.csv", ", split: {public_fraction: 1.5}"), "phases[1].split.public_fraction"},
		{"phase split", phasesSpec("f.csv", ", split: {public_fraction: 0.2, seed: another-seed}"), ""},
		{"phase limits", phasesSpec("", ", limits: {memory_mb: 8, timeout_s: 2, total_limit: 3}"), ""},
		{"no final phase", "phases:\n  - {id: a}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", ""},
		{"ErrInvalidSpec/single phase", "phases:\n  - {id: a}\n", "phases: a single phase"},
		{"ErrInvalidSpec/repeated id", "phases:\n  - {id: a}\n  - {id: a, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[1].id"},
		{"ErrInvalidSpec/bad id", "phases:\n  - {id: A}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[0].id"},
		{"ErrInvalidSpec/no start", "phases:\n  - {id: a}\n  - {id: b}\n", "phases[1].schedule.start: missing"},
		{"ErrInvalidSpec/start not after", "phases:\n  - {id: a, schedule: {start: 2026-03-02T00:00:00Z}}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "is not after"},
		{"ErrInvalidSpec/end after next start", "phases:\n  - {id: a, schedule: {end: 2026-03-03T00:00:00Z}}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[0].schedule.end"},
		{"ErrInvalidSpec/final not last", "phases:\n  - {id: a, final: true}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[0].final"},
		{"dev phase data", "phases:\n  - {id: a, data: {test: x.csv}, split: {public_fraction: 0.3}}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", ""},
		{"ErrInvalidSpec/dev phase data without test", "phases:\n  - {id: a, data: {}}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[0].data.test"},
		{"dev phase leaderboard", "phases:\n  - {id: a, leaderboard: {mode: ladder, step: 0.1}}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}, leaderboard: {}}\n", ""},
		{"ErrInvalidSpec/phase ladder without step", "phases:\n  - {id: a, leaderboard: {mode: ladder}}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[0].leaderboard.step"},
		{"ErrInvalidSpec/phase mode", "phases:\n  - {id: a}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}, leaderboard: {mode: top}}\n", "phases[1].leaderboard.mode"},
		{"ErrInvalidSpec/final phase leaderboard", phasesSpec("", ", leaderboard: {mode: best}"), "phases[1].leaderboard: a final phase shows no board"},
		{"ErrInvalidSpec/submissions not final", "phases:\n  - {id: a, submissions: true}\n  - {id: b, schedule: {start: 2026-03-02T00:00:00Z}}\n", "phases[0].submissions"},
		{"ErrInvalidSpec/schedule with phases", "schedule: {start: 2026-03-01T00:00:00Z}\n" + phasesSpec("", ""), "schedule: set by the phases"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := engine.ParseSpec([]byte(base + tc.spec))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ParseSpec: %v", err)
				}
				if n := len(s.Phases); s.Schedule.End != s.Phases[n-1].Schedule.End || s.Phases[0].Schedule.End != s.Phases[1].Schedule.Start {
					t.Errorf("schedule %+v, phases %+v: want the task's from the phases', each end the next start", s.Schedule, s.Phases)
				}
				return
			}
			if !errors.Is(err, engine.ErrInvalidSpec) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInvalidSpec naming %q", err, tc.want)
			}
		})
	}
}

// phaseContest is a two-phase contest with final data on which bob beats
// ada: ada, bob and cy submit in the development phase, bob selects his.
func phaseContest(t *testing.T, cfg engine.Config, more string) (*engine.Engine, *clock, map[string]*engine.Submission) {
	t.Helper()
	e, clk := contest(t, phasesSpec(swapData(t), more), cfg)
	subs := map[string]*engine.Submission{}
	for _, p := range []struct {
		who    string
		module []byte
	}{{"ada", linear}, {"bob", cmodel}, {"cy", konst}} {
		subs[p.who] = mustSubmit(t, e, p.who, p.module)
	}
	if err := e.Select("contest", "bob", []string{subs["bob"].ID}); err != nil {
		t.Fatal(err)
	}
	return e, clk, subs
}

func order(t *testing.T, board []engine.Entry) string {
	t.Helper()
	var out []string
	for _, en := range board {
		if !en.Baseline {
			out = append(out, en.Participant)
		}
	}
	return strings.Join(out, ",")
}

func board(t *testing.T, e *engine.Engine, v engine.Viewer, private bool) []engine.Entry {
	t.Helper()
	b, err := e.Leaderboard("contest", v, private)
	if err != nil {
		t.Fatalf("Leaderboard(%+v, private %v): %v", v, private, err)
	}
	return b
}

func auditCount(t *testing.T, e *engine.Engine, action string) int {
	t.Helper()
	as, err := e.AuditTrail("contest", engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range as {
		if a.Action == action {
			n++
		}
	}
	return n
}

// TestPhases walks a two-phase contest on the injected clock, one rule a
// step.
func TestPhases(t *testing.T) {
	ctx := context.Background()
	e, clk, subs := phaseContest(t, engine.Config{}, "")
	ada := engine.Viewer{Participant: "ada"}
	devPublic := order(t, board(t, e, ada, false))
	if devPublic != "ada,bob,cy" {
		t.Fatalf("development board %s, want ada,bob,cy", devPublic)
	}
	if st, _ := e.TaskState("contest"); st.Phase != "dev" || !st.Open {
		t.Errorf("development: state %+v, want phase dev, open", st)
	}

	// The schedule enters the final phase.
	clk.Set(finalStart.Add(time.Hour))
	if _, err := submit(t, e, "ada", variant(linear, 1)); !errors.Is(err, engine.ErrClosed) || !strings.Contains(err.Error(), "final phase") {
		t.Errorf("submit in the final phase: got %v, want ErrClosed naming the final phase", err)
	}
	if st, _ := e.TaskState("contest"); st.Phase != "final" || st.Open {
		t.Errorf("final: state %+v, want phase final, not open", st)
	}
	ps, err := e.SettlePhases(ctx, "contest")
	if err != nil {
		t.Fatalf("SettlePhases: %v", err)
	}
	fin := ps[1]
	if !fin.Current || fin.By != "schedule" || !fin.Entered.Equal(finalStart) || fin.Rerun == nil || !fin.Rerun.Done || fin.Rerun.Selections != 3 {
		t.Errorf("final phase %+v (rerun %+v): want current, entered by the schedule at its start, 3 selections re-run", fin, fin.Rerun)
	}
	if err := e.Select("contest", "ada", []string{subs["ada"].ID}); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("select in the final phase: got %v, want ErrClosed", err)
	}
	if _, err := e.Rescore(ctx, "contest", engine.RescoreOptions{}); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("host's rescore in the final phase: got %v, want ErrBadRequest", err)
	}
	// The host sees the final board; participants the development one.
	if got := order(t, board(t, e, engine.Host, true)); got != "bob,ada,cy" {
		t.Errorf("host's final board %s, want bob,ada,cy (the final data favours bob)", got)
	}
	if got := order(t, board(t, e, ada, false)); got != devPublic {
		t.Errorf("public board in the final phase %s, want the development board %s", got, devPublic)
	}
	if _, err := e.Leaderboard("contest", ada, true); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("participant's private board in the final phase: got %v, want ErrForbidden", err)
	}
	own, err := e.Submission(subs["ada"].ID, ada)
	if err != nil {
		t.Fatal(err)
	}
	if *own.Scores.Public != *subs["ada"].Scores.Public {
		t.Errorf("ada's own submission in the final phase: public %v, want the development score %v", *own.Scores.Public, *subs["ada"].Scores.Public)
	}
	hostView, _ := e.Submission(subs["ada"].ID, engine.Host)
	if *hostView.Scores.Public == *subs["ada"].Scores.Public {
		t.Errorf("the host's view of ada's submission kept the development score: the re-run did not record")
	}
	hist, err := e.History("contest", ada)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range hist {
		if !ev.Time.Before(finalStart) {
			t.Errorf("participant's history shows %+v, a change of the final phase", ev)
		}
	}

	// The end of the final phase closes and certifies on the final board.
	clk.Set(finalEnd)
	ps2, err := e.Certification(ctx, "contest")
	if err != nil {
		t.Fatalf("Certification: %v", err)
	}
	if len(ps2) == 0 || ps2[0].Participant != "bob" {
		t.Errorf("certified %+v, want bob first", ps2)
	}
	if got := order(t, board(t, e, ada, true)); got != "bob,ada,cy" {
		t.Errorf("revealed final board %s, want bob,ada,cy", got)
	}
	if n := auditCount(t, e, engine.AuditPhase); n != 1 {
		t.Errorf("%d phase entries in the audit trail, want 1", n)
	}
	if n := auditCount(t, e, engine.AuditRescore); n != 1 {
		t.Errorf("%d rescore entries in the audit trail, want 1 (the final re-run)", n)
	}
	if _, err := e.Certification(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(t, e, engine.AuditClose); n != 1 {
		t.Errorf("%d close entries in the audit trail, want 1 (the schedule's, once)", n)
	}
}

// TestPhaseAdvance: the host moves to the final phase ahead of the
// schedule; the transition is recorded once, survives a restart, and a
// last phase has no next.
func TestPhaseAdvance(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, clk, _ := phaseContest(t, engine.Config{DataDir: dir}, "")
	clk.Add(time.Hour)
	ps, err := e.AdvancePhase(engine.WithActor(ctx, engine.Actor{Who: "alice-host", Why: "early"}), "contest")
	if err != nil {
		t.Fatalf("AdvancePhase: %v", err)
	}
	if !ps[1].Current || ps[1].By != "host" || !ps[1].Entered.Equal(clk.Now()) {
		t.Errorf("after advance: %+v, want the final phase current, entered by the host now", ps[1])
	}
	if _, err := e.AdvancePhase(ctx, "contest"); !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), "last phase") {
		t.Errorf("advance past the last phase: got %v, want ErrBadRequest", err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	clk.Set(finalStart.Add(time.Minute)) // the schedule reaches it too: no second transition
	ps, err = e2.SettlePhases(ctx, "contest")
	if err != nil {
		t.Fatal(err)
	}
	if ps[1].By != "host" || !ps[1].Rerun.Done {
		t.Errorf("after restart: %+v, want the host's transition, its re-run done", ps[1])
	}
	if n := auditCount(t, e2, engine.AuditPhase); n != 1 {
		t.Errorf("%d phase entries in the audit trail, want 1", n)
	}
	if _, err := e2.AdvancePhase(ctx, "no-such-task"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("advance an unknown task: got %v, want ErrNotFound", err)
	}
}

// TestPhaseRerunResumes: a final re-run interrupted after its first
// submission resumes after a restart without running that one again.
func TestPhaseRerunResumes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, clk, _ := phaseContest(t, engine.Config{DataDir: dir}, "")
	ran := map[string]int{}
	cctx, cancel := context.WithCancel(ctx)
	engine.SetRescoreHooks(func(string) { cancel() }, func(id string) { ran[id]++ })
	t.Cleanup(func() { engine.SetRescoreHooks(nil, nil) })
	clk.Set(finalStart.Add(-time.Hour))
	if _, err := e.AdvancePhase(cctx, "contest"); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted advance: got %v, want context.Canceled", err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	ps, err := e2.SettlePhases(ctx, "contest")
	if err != nil {
		t.Fatalf("SettlePhases after restart: %v", err)
	}
	if !ps[1].Rerun.Done {
		t.Errorf("re-run not done after resume: %+v", ps[1].Rerun)
	}
	if len(ran) != 3 {
		t.Errorf("re-ran %v, want each of the 3 selections", ran)
	}
	for id, n := range ran {
		if n != 1 {
			t.Errorf("submission %s re-ran %d times, want once", id, n)
		}
	}
	if got := order(t, board(t, e2, engine.Host, true)); got != "bob,ada,cy" {
		t.Errorf("final board %s, want bob,ada,cy", got)
	}
	if n := auditCount(t, e2, engine.AuditPhase); n != 1 {
		t.Errorf("%d phase entries, want 1", n)
	}
}

// TestPhaseSubmissionsAllowed: a final phase that takes submissions
// scores them on the final data and shows their participant nothing of
// the outcome until close.
func TestPhaseSubmissionsAllowed(t *testing.T) {
	ctx := context.Background()
	e, clk, _ := phaseContest(t, engine.Config{}, ", submissions: true, \"limits\": {daily_limit: 1}")
	bob2 := mustSubmit(t, e, "bob", variant(cmodel, 2)) // not selected: not re-run
	clk.Set(finalStart.Add(time.Hour))
	if _, err := e.SettlePhases(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	sub := mustSubmit(t, e, "ada", variant(cmodel, 7))
	var qe *engine.QuotaError
	if _, err := submit(t, e, "ada", variant(cmodel, 8)); !errors.As(err, &qe) {
		t.Errorf("second submission of the day in the final phase (its daily limit 1): got %v, want a QuotaError", err)
	}
	for _, tc := range []struct {
		name string
		who  string
		ids  []string
		want error
	}{
		{"FinalPhaseSubmission", "ada", []string{sub.ID}, nil},
		{"ErrBadRequest/not re-run", "bob", []string{bob2.ID}, engine.ErrBadRequest},
		{"ErrBadRequest/none", "bob", nil, engine.ErrBadRequest},
	} {
		if err := e.Select("contest", tc.who, tc.ids); !errors.Is(err, tc.want) {
			t.Errorf("%s: Select: got %v, want %v", tc.name, err, tc.want)
		}
	}
	got, err := e.Submission(sub.ID, engine.Viewer{Participant: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Scores.Public != nil || got.Scores.Private != nil || got.Gates != nil {
		t.Errorf("final-phase submission as ada sees it: %+v, want no scores", got.Scores)
	}
	clk.Set(finalEnd)
	got, err = e.Submission(sub.ID, engine.Viewer{Participant: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Scores.Public == nil {
		t.Errorf("after close: no public score, want it revealed")
	}
}

// TestPhaseWithoutOwnData: a final phase on the task's data re-runs
// nothing; its final board is the task's private board.
func TestPhaseWithoutOwnData(t *testing.T) {
	ctx := context.Background()
	e, clk := contest(t, phasesSpec("", ""), engine.Config{})
	mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "bob", cmodel)
	before := order(t, board(t, e, engine.Host, true))
	clk.Set(finalStart)
	ps, err := e.SettlePhases(ctx, "contest")
	if err != nil {
		t.Fatal(err)
	}
	if ps[1].Rerun == nil || !ps[1].Rerun.Done || ps[1].OwnData {
		t.Errorf("final phase %+v: want done, no own data", ps[1])
	}
	if n := auditCount(t, e, engine.AuditRescore); n != 0 {
		t.Errorf("%d rescores, want none", n)
	}
	if got := order(t, board(t, e, engine.Host, true)); got != before {
		t.Errorf("final board %s, want the private board %s", got, before)
	}
}

// TestPhaseLeak: two contests whose final data differ only in their
// labels look the same to a participant through the final phase, until
// close: boards, submissions, pictures, history, phases, state, task and
// audit trail.
func TestPhaseLeak(t *testing.T) {
	ctx := context.Background()
	var views []string
	for _, fix := range []func(a, b float64) float64{math.Max, math.Min} {
		data := fixedData(t, func(a, b, _ float64) float64 { return fix(a, b) }, nil)
		e, clk := contest(t, phasesSpec(data, ""), engine.Config{})
		sub := mustSubmit(t, e, "ada", linear)
		mustSubmit(t, e, "bob", cmodel)
		clk.Set(finalStart.Add(time.Hour))
		if _, err := e.SettlePhases(ctx, "contest"); err != nil {
			t.Fatal(err)
		}
		views = append(views, phaseView(t, e, sub.ID))
	}
	if views[0] != views[1] {
		t.Errorf("the participant's view depends on the final data's labels:\n%s\n---\n%s", views[0], views[1])
	}
}

// phaseView is all ada sees of the contest and of her submission id, as
// text: boards, submissions, pictures, history (viewOf), phases, state,
// task and audit trail.
func phaseView(t *testing.T, e *engine.Engine, id string) string {
	t.Helper()
	ada := engine.Viewer{Participant: "ada"}
	v := viewOf(t, e, "contest", id)
	ps, err := e.Phases("contest", ada)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.TaskState("contest")
	task, _ := e.Task("contest")
	as, err := e.AuditTrail("contest", ada)
	if err != nil {
		t.Fatal(err)
	}
	for i := range as {
		as[i].Time = time.Time{}
	}
	// Each phase's board, as ada may read it.
	boards := map[string][]engine.Entry{}
	for _, p := range ps {
		b, err := e.PhaseLeaderboard("contest", ada, false, p.ID)
		if err != nil {
			t.Fatalf("PhaseLeaderboard(%q): %v", p.ID, err)
		}
		for i := range b {
			b[i].Submission = "" // ids differ between contests
		}
		boards[p.ID] = b
	}
	b, _ := json.Marshal(map[string]any{"phases": ps, "state": st, "info": task.Info(), "audit": as, "boards": boards})
	return v + string(b)
}

// TestPhaseMissedFinalPhase: no engine ran during the whole final phase;
// the certification after its end makes the transition and its re-run
// first, so the final board is decided on the final data all the same.
func TestPhaseMissedFinalPhase(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, clk, _ := phaseContest(t, engine.Config{DataDir: dir}, "")
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(finalEnd.Add(time.Hour))
	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	ps, err := e2.Certification(ctx, "contest")
	if err != nil {
		t.Fatalf("Certification: %v", err)
	}
	if len(ps) == 0 || ps[0].Participant != "bob" {
		t.Errorf("certified %+v, want bob first (the final data's winner)", ps)
	}
	phases, err := e2.Phases("contest", engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	if f := phases[1]; f.Rerun == nil || !f.Rerun.Done || f.By != "schedule" || !f.Entered.Equal(finalStart) {
		t.Errorf("final phase %+v: want entered by the schedule at its start, re-run done", f)
	}
}
