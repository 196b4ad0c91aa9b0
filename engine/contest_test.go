package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// clock is an injected clock: it moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// day0 is the first day of every test contest.
var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// variant returns module with a custom section appended: the same model,
// another SHA-256 (a participant's "new" submission).
func variant(module []byte, n int) []byte {
	payload := []byte(fmt.Sprint(n))
	name := []byte("verdict-test-variant")
	body := append(append([]byte{byte(len(name))}, name...), payload...)
	out := slices.Clone(module)
	out = append(out, 0) // custom section id
	out = appendLEB(out, uint32(len(body)))
	return append(out, body...)
}

func appendLEB(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// contest opens an engine on a fake clock at day0+9h and creates a
// regression task "contest" on engine/testdata/contest.csv, with extra
// spec lines appended.
func contest(t testing.TB, extra string, cfg engine.Config) (*engine.Engine, *clock) {
	t.Helper()
	clk := &clock{t: day0.Add(9 * time.Hour)}
	cfg.Now, cfg.CacheDir = clk.Now, cacheDir
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
	}
	e, err := engine.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	createContest(t, e, "contest", extra)
	return e, clk
}

func createContest(t testing.TB, e *engine.Engine, id, extra string) {
	t.Helper()
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	limits := "limits: {memory_mb: 16}\n"
	if strings.Contains(extra, "limits: {") {
		extra, limits = strings.Replace(extra, "limits: {", "limits: {memory_mb: 16, ", 1), ""
	}
	spec := fmt.Sprintf("id: %s\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\n%s%s", id, data, limits, extra)
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(context.Background(), path); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
}

func submit(t testing.TB, e *engine.Engine, who string, module []byte) (*engine.Submission, error) {
	t.Helper()
	return e.Submit(context.Background(), engine.SubmitRequest{Task: "contest", Participant: who, Module: module})
}

func mustSubmit(t testing.TB, e *engine.Engine, who string, module []byte) *engine.Submission {
	t.Helper()
	sub, err := submit(t, e, who, module)
	if err != nil || sub.Failed() {
		t.Fatalf("Submit(%s): %+v, %v", who, sub, err)
	}
	return sub
}

var (
	linear = sandboxtest.Wasm(sandboxtest.Linear)
	cmodel = sandboxtest.Wasm(sandboxtest.CModel)
	konst  = sandboxtest.Wasm(sandboxtest.Const)
)

func TestSchedule(t *testing.T) {
	e, clk := contest(t, "schedule: {start: 2026-03-01T12:00:00Z, end: 2026-03-03T00:00:00Z}\n", engine.Config{})
	steps := []struct {
		name string
		at   time.Time
		want error
		msg  string
	}{
		{"ErrNotOpen/before start", day0.Add(9 * time.Hour), engine.ErrNotOpen, "opens at 2026-03-01T12:00:00Z (now 2026-03-01T09:00:00Z)"},
		{"at start", day0.Add(12 * time.Hour), nil, ""},
		{"just before end", day0.Add(48*time.Hour - time.Second), nil, ""},
		{"ErrClosed/at end", day0.Add(48 * time.Hour), engine.ErrClosed, "closed at 2026-03-03T00:00:00Z"},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.Set(st.at)
			_, err := submit(t, e, "ada", variant(linear, i))
			if !errors.Is(err, st.want) || (st.msg != "" && !strings.Contains(err.Error(), st.msg)) {
				t.Errorf("got %v, want %v mentioning %q", err, st.want, st.msg)
			}
		})
	}
	state, err := e.TaskState("contest")
	if err != nil || state.Open || !state.Reveal || !state.Closed.Equal(day0.Add(48*time.Hour)) {
		t.Errorf("state after end: got %+v, %v; want closed at the end, revealed", state, err)
	}
}

func TestCloseTask(t *testing.T) {
	e, clk := contest(t, "", engine.Config{})
	ada := mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "bob", cmodel)
	participant := engine.Viewer{Participant: "bob"}
	if _, err := e.Leaderboard("contest", participant, true); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("private board for a participant before close: got %v, want ErrForbidden", err)
	}
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatalf("CloseTask: %v", err)
	}
	tests := []struct {
		name string
		err  error
	}{
		{"ErrClosed/submit", func() error { _, err := submit(t, e, "cy", konst); return err }()},
		{"ErrClosed/select", e.Select("contest", "ada", []string{ada.ID})},
		{"ErrClosed/close again", func() error { _, err := e.CloseTask(context.Background(), "contest"); return err }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, engine.ErrClosed) {
				t.Errorf("got %v, want ErrClosed", tc.err)
			}
		})
	}
	board, err := e.Leaderboard("contest", participant, true)
	if err != nil || len(board) != 2 {
		t.Errorf("private board for a participant after close: got %+v, %v; want 2 rows", board, err)
	}
	subs, err := e.Submissions("contest", participant, "")
	if err != nil || len(subs) != 1 || subs[0].Scores.Private == nil {
		t.Errorf("own submissions after close: got %+v, %v; want bob's, with its private score", subs, err)
	}
}

func TestLimits(t *testing.T) {
	e, clk := contest(t, "limits: {daily_limit: 2, total_limit: 3}\n", engine.Config{})
	steps := []struct {
		name   string
		day    int
		module []byte
		want   string // "ok", "dup", "daily", "total"
	}{
		{"first", 0, variant(linear, 1), "ok"},
		{"same module again is the earlier result", 0, variant(linear, 1), "dup"},
		{"second", 0, variant(linear, 2), "ok"},
		{"ErrQuotaExceeded/daily", 0, variant(linear, 3), "daily"},
		{"next day", 1, variant(linear, 3), "ok"},
		{"ErrQuotaExceeded/total", 2, variant(linear, 4), "total"},
	}
	var first *engine.Submission
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.Set(day0.Add(time.Duration(st.day)*24*time.Hour + 10*time.Hour))
			sub, err := submit(t, e, "ada", st.module)
			var qe *engine.QuotaError
			switch st.want {
			case "ok", "dup":
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				if st.want == "dup" && (!sub.Duplicate || sub.ID != first.ID) {
					t.Errorf("got %s (duplicate %v), want the earlier %s", sub.ID, sub.Duplicate, first.ID)
				}
				if first == nil {
					first = sub
				}
			default:
				if !errors.As(err, &qe) || qe.Limit != st.want || !errors.Is(err, engine.ErrQuotaExceeded) {
					t.Fatalf("got %v, want a %s QuotaError", err, st.want)
				}
				if st.want == "daily" && !strings.Contains(err.Error(), "next slot opens at 2026-03-02T00:00:00Z") {
					t.Errorf("got %q, want the next slot", err)
				}
			}
		})
	}
	subs, _ := e.Submissions("contest", engine.Host, "ada")
	if len(subs) != 3 {
		t.Errorf("stored: got %d submissions, want 3", len(subs))
	}
}

// TestHostFailureNotCharged: an evaluation interrupted by the host (Close)
// goes back to queued; when its module is lost, Recover fails it as the
// host's fault, and it does not count toward the limit.
func TestHostFailureNotCharged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	e, clk := contest(t, "limits: {daily_limit: 1, timeout_s: 60}\n", engine.Config{DataDir: dir})
	ctx := context.Background()
	loop := sandboxtest.Wasm(sandboxtest.LoopPredict)
	sub, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: "ada", Module: loop})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := submit(t, e, "ada", linear); !errors.Is(err, engine.ErrQuotaExceeded) {
		t.Fatalf("second submission: got %v, want ErrQuotaExceeded", err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "modules", sub.ModuleSHA256+".wasm")); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	if _, err := e2.Recover(ctx); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	got, err := e2.Submission(sub.ID, engine.Host)
	if err != nil || got.Status != "failed" || got.Error == nil || got.Error.Kind != "host" {
		t.Fatalf("lost module after a restart: got %+v, %v; want failed with kind host", got, err)
	}
	if !strings.Contains(got.Error.Detail, "not stored") {
		t.Errorf("host's detail: got %q, want the cause", got.Error.Detail)
	}
	mine, err := e2.Submission(sub.ID, engine.Viewer{Participant: "ada"})
	if err != nil || mine.Error == nil || mine.Error.Message != engine.HostFailureMessage || mine.Error.Detail != "" {
		t.Errorf("ada's view of the host's failure: got %+v, %v; want the fixed message and no detail", mine.Error, err)
	}
	if _, err := submit(t, e2, "ada", linear); err != nil {
		t.Errorf("after a host failure: got %v, want the slot free", err)
	}
}

func TestSelectionsAndVisibility(t *testing.T) {
	e, clk := contest(t, "final_selections: 2\n", engine.Config{})
	var ada []*engine.Submission
	for i, m := range [][]byte{linear, cmodel, konst} {
		ada = append(ada, mustSubmit(t, e, "ada", m))
		_ = i
	}
	bob := mustSubmit(t, e, "bob", linear)
	// The private board by hand: ada's best private among her two best
	// public (rmse: lower is better), or among her selections.
	bestPrivate := func(subs []*engine.Submission) *engine.Submission {
		var best *engine.Submission
		for _, s := range subs {
			if best == nil || *s.Scores.Private < *best.Scores.Private {
				best = s
			}
		}
		return best
	}
	byPublic := slices.Clone(ada)
	slices.SortStableFunc(byPublic, func(a, b *engine.Submission) int {
		switch {
		case *a.Scores.Public < *b.Scores.Public:
			return -1
		case *a.Scores.Public > *b.Scores.Public:
			return 1
		}
		return 0
	})
	check := func(name string, want *engine.Submission) {
		t.Helper()
		board, err := e.Leaderboard("contest", engine.Host, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range board {
			if r.Participant == "ada" && r.Submission != want.ID {
				t.Errorf("%s: ada's private row is %s (%v), want %s", name, r.Submission, r.Score, want.ID)
			}
		}
	}
	check("no selection: best public two", bestPrivate(byPublic[:2]))
	if err := e.Select("contest", "ada", []string{byPublic[2].ID}); err != nil {
		t.Fatal(err)
	}
	check("selected the worst public", byPublic[2])
	tests := []struct {
		name string
		ids  []string
		want error
	}{
		{"ErrBadRequest/too many", []string{ada[0].ID, ada[1].ID, ada[2].ID}, engine.ErrBadRequest},
		{"ErrBadRequest/another's", []string{bob.ID}, engine.ErrBadRequest},
		{"ErrBadRequest/unknown", []string{"nope"}, engine.ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.Select("contest", "ada", tc.ids); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	if err := e.Select("contest", "ada", nil); err != nil {
		t.Fatal(err)
	}
	check("cleared", bestPrivate(byPublic[:2]))

	// Visibility while open.
	v := engine.Viewer{Participant: "bob"}
	subs, err := e.Submissions("contest", v, "")
	if err != nil || len(subs) != 1 || subs[0].ID != bob.ID || subs[0].Scores.Private != nil || subs[0].Scores.Public == nil {
		t.Errorf("bob's view: got %+v, %v; want his one submission, public score only", subs, err)
	}
	if _, err := e.Submission(ada[0].ID, v); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("bob reading ada's submission: got %v, want ErrNotFound", err)
	}
	pub, err := e.Leaderboard("contest", v, false)
	if err != nil || len(pub) != 2 {
		t.Errorf("public board for bob: got %+v, %v", pub, err)
	}
	all, _ := e.Submissions("contest", engine.Host, "")
	if len(all) != 4 || all[0].Scores.Private == nil {
		t.Errorf("host: got %d submissions, want 4 with private scores", len(all))
	}
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	if priv, err := e.Leaderboard("contest", v, true); err != nil || len(priv) != 2 {
		t.Errorf("private board for bob after close: got %+v, %v", priv, err)
	}
}

func TestTeams(t *testing.T) {
	e, clk := contest(t, "limits: {daily_limit: 3}\nteams: {max_size: 3, merge_deadline: 2026-03-02T00:00:00Z}\n", engine.Config{})
	mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "bob", variant(linear, 1))
	mustSubmit(t, e, "bob", cmodel)
	mustSubmit(t, e, "cy", konst)
	if _, err := e.JoinTeam("contest", "ab", "ada", "bob"); err != nil {
		t.Fatalf("JoinTeam: %v", err)
	}
	board, err := e.Leaderboard("contest", engine.Host, false)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range board {
		rows = append(rows, fmt.Sprintf("%s/%v/%d", r.Participant, r.Team, r.Submissions))
	}
	slices.Sort(rows)
	if want := []string{"ab/true/3", "cy/false/1"}; !slices.Equal(rows, want) {
		t.Errorf("board: got %v, want %v", rows, want)
	}
	// The team shares its limit: 3 used today.
	if _, err := submit(t, e, "ada", variant(konst, 9)); !errors.Is(err, engine.ErrQuotaExceeded) || !strings.Contains(err.Error(), `team "ab"`) {
		t.Errorf("team member over the shared limit: got %v", err)
	}
	// The same module by a teammate is the team's earlier submission.
	if sub, err := submit(t, e, "ada", cmodel); err != nil || !sub.Duplicate || sub.Team != "ab" {
		t.Errorf("teammate's module: got %+v, %v; want the team's earlier submission", sub, err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"ErrTeam/already in a team", func() error { _, err := e.JoinTeam("contest", "x", "ada"); return err }(), engine.ErrTeam},
		{"ErrBadRequest/named like a DID", func() error { _, err := e.JoinTeam("contest", "did:key:z6MkAda", "cy"); return err }(), engine.ErrBadRequest},
		{"ErrTeam/merge over the daily limit", func() error {
			if _, err := e.JoinTeam("contest", "c", "cy"); err != nil {
				return err
			}
			_, err := e.MergeTeams("contest", "c", "ab")
			return err
		}(), engine.ErrTeam},
		{"ErrTeam/after the merge deadline", func() error {
			clk.Set(day0.Add(24 * time.Hour))
			_, err := e.JoinTeam("contest", "d", "dee")
			return err
		}(), engine.ErrTeam},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("got %v, want %v", tc.err, tc.want)
			}
		})
	}
}

func TestBaselineAndLadder(t *testing.T) {
	e, _ := contest(t, "leaderboard: {mode: ladder, step: 0.5}\nlimits: {total_limit: 1}\n", engine.Config{})
	ctx := context.Background()
	base, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: "host", Module: konst, Baseline: true})
	if err != nil || !base.Baseline {
		t.Fatalf("baseline: %+v, %v", base, err)
	}
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: "host", Module: cmodel, Baseline: true}); err != nil {
		t.Errorf("second baseline: got %v, want no quota on baselines", err)
	}
	ada := mustSubmit(t, e, "ada", linear)
	if want := math.Round(*ada.Scores.Public/0.5) * 0.5; ada.Shown == nil || *ada.Shown != want {
		t.Errorf("ladder: got shown %v, want the score %v rounded to the step: %v", ada.Shown, *ada.Scores.Public, want)
	}
	if _, err := submit(t, e, "ada", cmodel); !errors.Is(err, engine.ErrQuotaExceeded) {
		t.Errorf("total limit: got %v", err)
	}
	board, err := e.Leaderboard("contest", engine.Viewer{Participant: "ada"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var ranked, baselines int
	for _, r := range board {
		if r.Baseline {
			baselines++
			if r.Rank != 0 {
				t.Errorf("baseline ranked %d", r.Rank)
			}
		} else {
			ranked++
			if r.Score != *ada.Shown || r.CI != nil {
				t.Errorf("ada's row: got score %v, CI %v; want the shown %v and no raw interval", r.Score, r.CI, *ada.Shown)
			}
		}
	}
	if ranked != 1 || baselines != 2 {
		t.Errorf("board: got %d ranked, %d baselines; want 1, 2", ranked, baselines)
	}
	mine, _ := e.Submissions("contest", engine.Viewer{Participant: "ada"}, "")
	if len(mine) != 1 || *mine[0].Scores.Public != *ada.Shown {
		t.Errorf("ada's own view under the Ladder: got %+v, want the shown score only", mine)
	}
}

func TestHistory(t *testing.T) {
	e, clk := contest(t, "", engine.Config{})
	mustSubmit(t, e, "ada", konst)
	clk.Add(time.Minute)
	mustSubmit(t, e, "bob", linear)
	clk.Add(time.Minute)
	mustSubmit(t, e, "ada", linear)
	evs, err := e.History("contest", engine.Viewer{Participant: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Private {
			t.Errorf("participant sees a private event before close: %+v", ev)
		}
		got = append(got, fmt.Sprintf("%s %s #%d", ev.Time.Format("15:04"), ev.Participant, ev.Rank))
	}
	// linear beats const; ada's linear ties bob's and is later: rank 2.
	want := []string{"09:00 ada #1", "09:01 bob #1", "09:02 ada #2"}
	if !slices.Equal(got, want) {
		t.Errorf("history: got %q, want %q", got, want)
	}
	host, _ := e.History("contest", engine.Host)
	if len(host) <= len(evs) {
		t.Errorf("host history: got %d events, want the private ones too", len(host))
	}
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	after, _ := e.History("contest", engine.Viewer{Participant: "bob"})
	if len(after) != len(host) {
		t.Errorf("participant's history after close: got %d events, want all %d", len(after), len(host))
	}
}

func TestQueueFull(t *testing.T) {
	e, _ := contest(t, "limits: {timeout_s: 10}\n", engine.Config{Workers: 1, QueueSize: 1})
	ctx := context.Background()
	loop := sandboxtest.Wasm(sandboxtest.LoopPredict)
	var full error
	for i := range 3 {
		_, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: fmt.Sprintf("p%d", i), Module: loop})
		if err != nil {
			full = err
		}
	}
	if !errors.Is(full, engine.ErrQueueFull) {
		t.Errorf("third submission with one worker busy and one queued: got %v, want ErrQueueFull", full)
	}
}
