package engine_test

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// rescoreContest is a contest where ada (linear), bob (cmodel) and cy
// (const) rank 1, 2, 3 on both boards.
func rescoreContest(t *testing.T) (*engine.Engine, *clock, map[string]*engine.Submission) {
	t.Helper()
	e, clk := contest(t, "", engine.Config{})
	subs := map[string]*engine.Submission{}
	for _, p := range []struct {
		who    string
		module []byte
	}{{"ada", linear}, {"bob", cmodel}, {"cy", konst}} {
		subs[p.who] = mustSubmit(t, e, p.who, p.module)
	}
	return e, clk, subs
}

// fixedData writes contest.csv with the target column rewritten by fix(a,
// b, target) and returns its path.
func fixedData(t *testing.T, fix func(a, b, target float64) float64, edit func(rows [][]string) [][]string) string {
	t.Helper()
	f, err := os.Open("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		var v [3]float64
		for j := range v {
			if v[j], err = strconv.ParseFloat(r[j+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		if fix != nil {
			r[3] = strconv.FormatFloat(fix(v[0], v[1], v[2]), 'g', -1, 64)
		}
	}
	if edit != nil {
		rows = edit(rows)
	}
	path := filepath.Join(t.TempDir(), "fixed.csv")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// scoresOf returns every submission's scores as the host sees them.
func scoresOf(t *testing.T, e *engine.Engine) map[string]engine.Scores {
	t.Helper()
	subs, err := e.Submissions("contest", engine.Host, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]engine.Scores{}
	for _, s := range subs {
		out[s.ID] = s.Scores
	}
	return out
}

// TestRescoreDataFix is the acceptance line "a data fix changes two ranks
// and the report says so": the fixed labels are bob's predictions, so bob
// and ada swap places on both boards and cy keeps the third.
func TestRescoreDataFix(t *testing.T) {
	e, clk, subs := rescoreContest(t)
	before := scoresOf(t, e)
	clk.Add(time.Hour)
	fixed := fixedData(t, func(a, b, _ float64) float64 { return math.Max(a, b) }, nil)
	rep, err := e.Rescore(context.Background(), "contest", engine.RescoreOptions{Dataset: fixed})
	if err != nil {
		t.Fatalf("Rescore: %v", err)
	}
	task, err := e.Task("contest")
	if err != nil {
		t.Fatal(err)
	}
	if rep.DatasetAfter != task.DatasetSHA256 || rep.DatasetBefore == rep.DatasetAfter {
		t.Errorf("datasets: got %s -> %s, task has %s; want a new dataset, the task's", rep.DatasetBefore, rep.DatasetAfter, task.DatasetSHA256)
	}
	// The new dataset is stored as CreateTask stores one: with its file's
	// digest and its split, which opening the task checks.
	if task.DatasetFileSHA256 == "" || task.SplitSHA256 == "" {
		t.Errorf("replaced dataset: file digest %q, split digest %q; want both recorded", task.DatasetFileSHA256, task.SplitSHA256)
	}
	if rep.Rescored != 3 || rep.Ran != 3 || rep.Resumed {
		t.Errorf("got rescored %d, ran %d, resumed %v; want 3, 3, false", rep.Rescored, rep.Ran, rep.Resumed)
	}
	wantRanks := []engine.RankChange{
		{Participant: "bob", Board: "public", Before: 2, After: 1},
		{Participant: "ada", Board: "public", Before: 1, After: 2},
		{Participant: "bob", Board: "private", Before: 2, After: 1},
		{Participant: "ada", Board: "private", Before: 1, After: 2},
	}
	if !reflect.DeepEqual(rep.Ranks, wantRanks) {
		t.Errorf("rank changes:\ngot  %+v\nwant %+v", rep.Ranks, wantRanks)
	}
	after := scoresOf(t, e)
	if len(rep.Changes) != 3 {
		t.Fatalf("got %d score changes, want 3: %+v", len(rep.Changes), rep.Changes)
	}
	for _, c := range rep.Changes {
		b, a := before[c.Submission], after[c.Submission]
		if *c.Before.Public != *b.Public || *c.After.Public != *a.Public || *c.PublicDelta != *a.Public-*b.Public ||
			*c.Before.Private != *b.Private || *c.PrivateDelta != *a.Private-*b.Private {
			t.Errorf("change of %s: got %+v; want before %v/%v, after %v/%v", c.Participant, c, *b.Public, *b.Private, *a.Public, *a.Private)
		}
	}
	if s := after[subs["bob"].ID]; *s.Public != 0 || *s.Private != 0 {
		t.Errorf("bob's rmse on his own predictions: got %v/%v, want 0/0", *s.Public, *s.Private)
	}
	// The old scores stay on record; the report is kept.
	reps, err := e.Rescores("contest")
	if err != nil || len(reps) != 1 || !reflect.DeepEqual(reps[0].Ranks, wantRanks) {
		t.Errorf("Rescores: got %+v, %v; want this report", reps, err)
	}
	// Never charged: bob may still submit (total limit untouched) and
	// his count of submissions is one.
	board, err := e.Leaderboard("contest", engine.Host, false)
	if err != nil || board[0].Participant != "bob" || board[0].Submissions != 1 {
		t.Errorf("public board after: got %+v, %v; want bob first with 1 submission", board, err)
	}
	// A participant sees their new public score and nothing private.
	got, err := e.Submission(subs["bob"].ID, engine.Viewer{Participant: "bob"})
	if err != nil || got.Scores.Public == nil || *got.Scores.Public != 0 || got.Scores.Private != nil || got.Scores.PrivateCI != nil {
		t.Errorf("bob's view after the rescore: got %+v, %v; want public 0, no private score", got, err)
	}
	if _, err := e.Submission(subs["ada"].ID, engine.Viewer{Participant: "bob"}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("bob viewing ada's submission: got %v, want ErrNotFound", err)
	}
	// A new submission is scored on the fixed dataset.
	dan := mustSubmit(t, e, "dan", variant(cmodel, 1))
	if *dan.Scores.Public != 0 {
		t.Errorf("a new submission of bob's model after the fix: got public %v, want 0", *dan.Scores.Public)
	}
	// Verify now reproduces the fixed scores.
	vr, err := e.Verify(context.Background(), "contest", engine.VerifyOptions{})
	if err != nil || !vr.OK() || vr.Checked != 4 {
		t.Errorf("Verify after the fix: got %+v, %v; want 4 checked, no mismatch", vr, err)
	}
}

// TestRescoreUnchanged is the acceptance line "an unchanged rescore
// reproduces every score bit for bit".
func TestRescoreUnchanged(t *testing.T) {
	e, _, _ := rescoreContest(t)
	if _, err := e.Enqueue(context.Background(), engine.SubmitRequest{Task: "contest", Participant: "host", Module: linear, Baseline: true}); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	waitIdle(t, e)
	before := scoresOf(t, e)
	vr, err := e.Verify(context.Background(), "contest", engine.VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !vr.OK() || vr.Checked != 4 || vr.Matched != 4 {
		t.Errorf("Verify: got %+v; want 4 checked, 4 matched", vr)
	}
	rep, err := e.Rescore(context.Background(), "contest", engine.RescoreOptions{})
	if err != nil {
		t.Fatalf("Rescore: %v", err)
	}
	if rep.Rescored != 4 || len(rep.Changes) != 0 || len(rep.Ranks) != 0 || rep.DatasetBefore != rep.DatasetAfter {
		t.Errorf("unchanged rescore: got %+v; want 4 rescored, no change", rep)
	}
	after := scoresOf(t, e)
	for id, b := range before {
		a := after[id]
		if !sameScores(a, b) {
			t.Errorf("submission %s: got %+v, want %+v bit for bit", id, a, b)
		}
	}
}

// sameScores compares two Scores bit for bit.
func sameScores(a, b engine.Scores) bool {
	f := func(x, y *float64) bool {
		return (x == nil) == (y == nil) && (x == nil || math.Float64bits(*x) == math.Float64bits(*y))
	}
	iv := func(x, y *engine.Interval) bool {
		return (x == nil) == (y == nil) && (x == nil || (f(&x.Low, &y.Low) && f(&x.High, &y.High) && f(&x.Level, &y.Level) && x.Resamples == y.Resamples))
	}
	return f(a.Public, b.Public) && f(a.Private, b.Private) && iv(a.PublicCI, b.PublicCI) && iv(a.PrivateCI, b.PrivateCI) && a.PrivateError == b.PrivateError
}

// waitIdle waits until no submission of the contest is unfinished.
func waitIdle(t *testing.T, e *engine.Engine) {
	t.Helper()
	for range 2000 {
		subs, err := e.Submissions("contest", engine.Host, "")
		if err != nil {
			t.Fatal(err)
		}
		busy := false
		for _, s := range subs {
			busy = busy || (s.Status != "scored" && s.Status != "failed")
		}
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("submissions still unfinished")
}

// TestRescoreResume is the acceptance line "a crash mid-rescore resumes
// without double work": the first call is cancelled after its first
// re-run; the second finishes the rest, and every submission was re-run
// once.
func TestRescoreResume(t *testing.T) {
	e, _, _ := rescoreContest(t)
	fixed := fixedData(t, func(a, b, _ float64) float64 { return math.Max(a, b) }, nil)
	var mu sync.Mutex
	runs := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	engine.SetRescoreHooks(func(string) { cancel() }, func(id string) {
		mu.Lock()
		runs[id]++
		mu.Unlock()
	})
	t.Cleanup(func() { engine.SetRescoreHooks(nil, nil) })

	_, err := e.Rescore(ctx, "contest", engine.RescoreOptions{Dataset: fixed})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted after 1 of 3") {
		t.Fatalf("cancelled Rescore: got %v, want context.Canceled after 1 of 3", err)
	}
	refusals := []struct {
		name string
		opts engine.RescoreOptions
	}{
		{"ErrBadRequest/other submissions", engine.RescoreOptions{Submissions: []string{engine.SelectSelected}}},
		{"ErrBadRequest/other dataset", engine.RescoreOptions{Dataset: fixedData(t, func(a, _, _ float64) float64 { return a }, nil)}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.Rescore(context.Background(), "contest", tc.opts); !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), "unfinished (1 of 3 done)") {
				t.Errorf("got %v, want ErrBadRequest naming the unfinished rescore", err)
			}
		})
	}
	if _, err := e.Verify(context.Background(), "contest", engine.VerifyOptions{}); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Verify during a rescore: got %v, want ErrBadRequest", err)
	}

	engine.SetRescoreHooks(nil, func(id string) {
		mu.Lock()
		runs[id]++
		mu.Unlock()
	})
	rep, err := e.Rescore(context.Background(), "contest", engine.RescoreOptions{Dataset: fixed})
	if err != nil {
		t.Fatalf("resumed Rescore: %v", err)
	}
	if !rep.Resumed || rep.Ran != 2 || rep.Rescored != 3 || len(rep.Ranks) != 4 {
		t.Errorf("resumed report: got resumed %v, ran %d, rescored %d, %d rank changes; want true, 2, 3, 4", rep.Resumed, rep.Ran, rep.Rescored, len(rep.Ranks))
	}
	if len(runs) != 3 {
		t.Errorf("re-runs: got %v, want each of 3 submissions once", runs)
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("submission %s re-run %d times, want 1", id, n)
		}
	}
}

// TestRescoreSurvivesRestart interrupts a rescore, closes the engine and
// finishes the rescore from a new engine on the same data dir.
func TestRescoreSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	e, _ := contest(t, "", engine.Config{DataDir: dir})
	mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "bob", cmodel)
	ctx, cancel := context.WithCancel(context.Background())
	engine.SetRescoreHooks(func(string) { cancel() }, nil)
	t.Cleanup(func() { engine.SetRescoreHooks(nil, nil) })
	fixed := fixedData(t, func(a, b, _ float64) float64 { return math.Max(a, b) }, nil)
	if _, err := e.Rescore(ctx, "contest", engine.RescoreOptions{Dataset: fixed}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Rescore: got %v", err)
	}
	engine.SetRescoreHooks(nil, nil)
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(context.Background(), engine.Config{DataDir: dir, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(context.Background())
	rep, err := e2.Rescore(context.Background(), "contest", engine.RescoreOptions{})
	if err != nil || !rep.Resumed || rep.Ran != 1 || rep.Rescored != 2 {
		t.Fatalf("Rescore after restart: got %+v, %v; want resumed, 1 ran, 2 rescored", rep, err)
	}
}

func TestRescoreRefused(t *testing.T) {
	e, _, subs := rescoreContest(t)
	dropB := func(rows [][]string) [][]string {
		for i := range rows {
			rows[i] = append(rows[i][:2], rows[i][3:]...)
		}
		return rows
	}
	dupID := func(rows [][]string) [][]string {
		rows[2][0] = rows[1][0]
		return rows
	}
	extra := func(rows [][]string) [][]string {
		for i := range rows {
			v := "1"
			if i == 0 {
				v = "c"
			}
			rows[i] = append(rows[i], v)
		}
		return rows
	}
	tests := []struct {
		name string
		opts engine.RescoreOptions
		want error
		msg  string
	}{
		{"ErrInvalidSpec/features differ", engine.RescoreOptions{Dataset: fixedData(t, nil, extra)}, engine.ErrInvalidSpec, "feature columns [a b c] differ from the task's [a b]"},
		{"ErrInvalidSpec/missing feature", engine.RescoreOptions{Dataset: fixedData(t, nil, dropB)}, engine.ErrInvalidSpec, "feature columns [a] differ from the task's [a b]"},
		{"duplicate id", engine.RescoreOptions{Dataset: fixedData(t, nil, dupID)}, nil, `duplicate id: "r0"`},
		{"missing file", engine.RescoreOptions{Dataset: filepath.Join(t.TempDir(), "nope.csv")}, os.ErrNotExist, "nope.csv"},
		{"ErrNotFound/unknown submission", engine.RescoreOptions{Submissions: []string{"nope"}}, engine.ErrNotFound, `submission "nope"`},
		{"ErrBadRequest/all with ids", engine.RescoreOptions{Submissions: []string{engine.SelectAll, subs["ada"].ID}}, engine.ErrBadRequest, `"all" stands alone`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Rescore(context.Background(), "contest", tc.opts)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
	if _, err := e.Rescore(context.Background(), "nope", engine.RescoreOptions{}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown task: got %v, want ErrNotFound", err)
	}
	// Nothing was begun: a rescore of one submission runs.
	rep, err := e.Rescore(context.Background(), "contest", engine.RescoreOptions{Submissions: []string{subs["cy"].ID}})
	if err != nil || rep.Rescored != 1 || len(rep.Changes) != 0 {
		t.Errorf("rescore of cy's submission: got %+v, %v; want 1 rescored, unchanged", rep, err)
	}
}

// TestRescoreHammer runs rescores while participants keep submitting:
// every submission ends scored once, the rescores never charge anyone,
// and Verify then reproduces everything.
func TestRescoreHammer(t *testing.T) {
	e, _, _ := rescoreContest(t)
	n := 12
	if testing.Short() {
		n = 4
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := engine.SubmitRequest{Task: "contest", Participant: "p" + strconv.Itoa(i%3), Module: variant(linear, 100+i)}
			sub, err := e.Submit(context.Background(), req)
			for errors.Is(err, engine.ErrQueueFull) { // the bounded queue refuses: retry, as a client does
				time.Sleep(time.Millisecond)
				sub, err = e.Submit(context.Background(), req)
			}
			if err == nil && sub.Failed() {
				err = errors.New(sub.Error.Message)
			}
			errs <- err
		}()
	}
	for range 3 {
		if _, err := e.Rescore(context.Background(), "contest", engine.RescoreOptions{}); err != nil {
			t.Errorf("Rescore during submissions: %v", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Submit during rescores: %v", err)
		}
	}
	vr, err := e.Verify(context.Background(), "contest", engine.VerifyOptions{})
	if err != nil || !vr.OK() || vr.Checked != 3+n {
		t.Errorf("Verify after: got %+v, %v; want %d checked, no mismatch", vr, err, 3+n)
	}
	board, err := e.Leaderboard("contest", engine.Host, false)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, en := range board {
		total += en.Submissions
	}
	if total != 3+n {
		t.Errorf("submissions counted on the board: got %d, want %d (a rescore never counts one)", total, 3+n)
	}
}
