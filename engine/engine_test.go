package engine_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// cacheDir is shared by every engine in this test binary so that each
// module is compiled once: under -race wazero's own compiler is slow.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verdict-engine-cache-")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newTask opens an engine in a temp dir and creates the breast-cancer task
// "bc-test" from the shipped data with the given split fraction.
func newTask(t *testing.T, fraction float64) (*engine.Engine, *engine.Task) {
	t.Helper()
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	return e, createTask(t, e, "bc-test", fraction, 60)
}

// createTask creates a breast-cancer task with the given id, split
// fraction and time limit.
func createTask(t *testing.T, e *engine.Engine, id string, fraction, timeoutS float64) *engine.Task {
	t.Helper()
	data, err := filepath.Abs("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`id: %s
title: Breast cancer
type: binary
metric: roc_auc
data: {test: %q, id: id, label: target}
split: {public_fraction: %v, seed: "test"}
limits: {memory_mb: 64, timeout_s: %v}
`, id, data, fraction, timeoutS)
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	task, err := e.CreateTask(context.Background(), path)
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	return task
}

func exampleModule(t *testing.T, participant string) []byte {
	t.Helper()
	for _, d := range examples.Demo() {
		if d.Participant == participant {
			b, err := fs.ReadFile(examples.FS, d.Path)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no example for participant %q", participant)
	return nil
}

func TestCreateTask(t *testing.T) {
	e, task := newTask(t, 0.3)
	if task.Rows != 171 || len(task.Features) != 30 || task.Outputs != 1 {
		t.Errorf("got rows %d, features %d, outputs %d; want 171, 30, 1", task.Rows, len(task.Features), task.Outputs)
	}
	if task.PublicRows+task.PrivateRows != task.Rows || task.PublicRows == 0 || task.PrivateRows == 0 {
		t.Errorf("split: got %d public + %d private of %d", task.PublicRows, task.PrivateRows, task.Rows)
	}
	if !task.HigherIsBetter {
		t.Error("roc_auc: HigherIsBetter = false")
	}
	got, err := e.Task("bc-test")
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	if got.DatasetSHA256 != task.DatasetSHA256 || got.Features[0] != "mean_radius" {
		t.Errorf("stored task: got %+v", got.Info())
	}
	info := got.Info()
	if info.ID != "bc-test" || len(info.Features) != 30 {
		t.Errorf("Info: got %+v", info)
	}
	_, err = e.Task("nope")
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Task(nope): got %v, want ErrNotFound", err)
	}
	list, err := e.Tasks()
	if err != nil || len(list) != 1 {
		t.Errorf("Tasks: got %d tasks, %v; want 1", len(list), err)
	}
}

func TestCreateTaskTwice(t *testing.T) {
	e, _ := newTask(t, 0.3)
	dir := t.TempDir()
	data, _ := filepath.Abs("../examples/data/breast_cancer_test.csv")
	path := filepath.Join(dir, "t.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf("id: bc-test\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\n", data)), 0o644)
	_, err := e.CreateTask(context.Background(), path)
	if !errors.Is(err, engine.ErrExists) {
		t.Errorf("got %v, want ErrExists", err)
	}
}

func TestCreateTaskBadData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	tests := []struct {
		name, csv, spec, want string
	}{
		{"MissingLabel", "id,a\nx,1\n", "id: abc\ntype: binary\nmetric: roc_auc\ndata: {test: d.csv}\n", "target"},
		{"MulticlassFractionalLabel", "id,a,target\nx,1,0\ny,2,1.5\n", "id: abd\ntype: multiclass\nmetric: accuracy\ndata: {test: d.csv}\n", "1.5"},
		{"NoPrivateRows", "id,a,target\nx,1,0\ny,2,1\n", "id: abe\ntype: binary\nmetric: accuracy\ndata: {test: d.csv}\nsplit: {public_fraction: 0.99, seed: fixed}\n", "no private rows"},
		{"MissingFile", "", "id: abf\ntype: binary\nmetric: roc_auc\ndata: {test: nope.csv}\n", "nope.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := t.TempDir()
			if tc.csv != "" {
				os.WriteFile(filepath.Join(sub, "d.csv"), []byte(tc.csv), 0o644)
			}
			path := filepath.Join(sub, "t.yaml")
			os.WriteFile(path, []byte(tc.spec), 0o644)
			_, err := e.CreateTask(ctx, path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestSubmitFailures runs hostile and broken modules: each fails with its
// own kind, and the host goes on to score the next submission normally.
func TestSubmitFailures(t *testing.T) {
	e, task := newTask(t, 0.3)
	// The infinite loop runs on a task with a short time limit; the others
	// get a generous one, so that a loaded machine cannot turn them into
	// timeouts.
	fast := createTask(t, e, "bc-fast", 0.3, 1)
	ctx := context.Background()
	good := exampleModule(t, "alice")
	tests := []struct {
		name, fixture, kind string
	}{
		{"ForbiddenImport", "forbidden_import", "forbidden_import"},
		{"InfiniteLoop", "loop_predict", "timeout"},
		{"MemoryBomb", "grow_bomb", "memory_limit"},
		{"Trap", "trap", "trap"},
		{"NaN", "nan", "bad_output"},
		{"NotWasm", "", "invalid_module"},
	}
	var want *float64
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			module := []byte("this is not wasm")
			if tc.fixture != "" {
				module = sandboxtest.Wasm(tc.fixture)
			}
			on := task.Spec.ID
			if tc.kind == "timeout" {
				on = fast.Spec.ID
			}
			sub, err := e.Submit(ctx, engine.SubmitRequest{Task: on, Participant: "mallory", Module: module})
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if !sub.Failed() || sub.Error == nil || sub.Error.Kind != tc.kind {
				t.Fatalf("got status %s, error %+v; want failed with kind %s", sub.Status, sub.Error, tc.kind)
			}
			if sub.Scores.Public != nil {
				t.Errorf("failed submission has a public score %v", *sub.Scores.Public)
			}
			ok, err := e.Submit(ctx, engine.SubmitRequest{Task: task.Spec.ID, Participant: "alice", Module: good})
			if err != nil || ok.Failed() {
				t.Fatalf("next submission: got %+v, %v; want scored", ok, err)
			}
			if ok.Duplicate != (want != nil) {
				t.Errorf("alice's module again: got Duplicate %v, want %v", ok.Duplicate, want != nil)
			}
			if want == nil {
				want = ok.Scores.Public
			} else if *ok.Scores.Public != *want {
				t.Errorf("next submission: got public %v, want %v as before", *ok.Scores.Public, *want)
			}
		})
	}
	// mallory's failures on bc-test (the loop ran on bc-fast), and alice's
	// module once: the same module again returns the earlier submission.
	subs, err := e.Submissions(task.Spec.ID, engine.Host, "")
	if err != nil || len(subs) != len(tests) {
		t.Errorf("Submissions: got %d, %v; want %d", len(subs), err, len(tests))
	}
}

func TestSubmitBadRequest(t *testing.T) {
	e, task := newTask(t, 0.3)
	ctx := context.Background()
	tests := []struct {
		name string
		req  engine.SubmitRequest
		want error
	}{
		{"UnknownTask", engine.SubmitRequest{Task: "nope", Participant: "a", Module: []byte{0}}, engine.ErrNotFound},
		{"EmptyParticipant", engine.SubmitRequest{Task: task.Spec.ID, Module: []byte{0}}, engine.ErrBadRequest},
		{"SpaceInParticipant", engine.SubmitRequest{Task: task.Spec.ID, Participant: "a b", Module: []byte{0}}, engine.ErrBadRequest},
		{"EmptyModule", engine.SubmitRequest{Task: task.Spec.ID, Participant: "a"}, engine.ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := e.Submit(ctx, tc.req)
			if !errors.Is(err, tc.want) || sub != nil {
				t.Errorf("got %v, %v; want nil, %v", sub, err, tc.want)
			}
		})
	}
}

// TestScoreMatchesOffline checks that with public_fraction 1 every row is
// public, and that offline scoring of the same predictions gives the same
// number.
func TestScoreMatchesOffline(t *testing.T) {
	e, task := newTask(t, 1)
	if task.PrivateRows != 0 || task.PublicRows != task.Rows {
		t.Fatalf("fraction 1: got %d public, %d private of %d", task.PublicRows, task.PrivateRows, task.Rows)
	}
	for _, who := range []string{"alice", "bob"} {
		t.Run(who, func(t *testing.T) {
			sub, err := e.Submit(context.Background(), engine.SubmitRequest{
				Task: task.Spec.ID, Participant: who, Module: exampleModule(t, who), KeepPredictions: true,
			})
			if err != nil || sub.Failed() {
				t.Fatalf("Submit: %+v, %v", sub, err)
			}
			if sub.Scores.Private != nil {
				t.Errorf("got private score %v, want none", *sub.Scores.Private)
			}
			dir := t.TempDir()
			pred := filepath.Join(dir, "pred.csv")
			writeCSV(t, pred, []string{"id", "p"}, sub.Predictions.IDs, sub.Predictions.Values[0])
			truth, _ := filepath.Abs("../examples/data/breast_cancer_test.csv")
			res, err := engine.ScoreFiles{TaskType: "binary", Metric: "roc_auc", Truth: truth, Pred: pred, Label: "target"}.Score()
			if err != nil {
				t.Fatalf("ScoreFiles: %v", err)
			}
			got := res.Score
			if got != *sub.Scores.Public {
				t.Errorf("offline: got %v, want %v as evaluated", got, *sub.Scores.Public)
			}
			ci := sub.Scores.PublicCI
			if ci == nil || !(ci.Low <= got && got <= ci.High) || ci.Level != 0.95 {
				t.Errorf("public CI: got %+v, want a 95%% interval around %v", ci, got)
			}
			if got < 0.9 {
				t.Errorf("example model roc_auc %v, want > 0.9", got)
			}
		})
	}
}

func TestScoreFilesErrors(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth.csv")
	os.WriteFile(truth, []byte("id,label\na,0\nb,1\nc,1\n"), 0o644)
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	tests := []struct {
		name string
		sf   engine.ScoreFiles
		want string
	}{
		{"MissingPrediction", engine.ScoreFiles{TaskType: "binary", Metric: "roc_auc", Truth: truth, Pred: write("p1.csv", "id,p\na,0.1\nb,0.9\n")}, `no prediction for id "c"`},
		{"ExtraPrediction", engine.ScoreFiles{TaskType: "binary", Metric: "roc_auc", Truth: truth, Pred: write("p2.csv", "id,p\na,0.1\nb,0.9\nc,0.8\nd,0.5\n")}, `"d" is not in the truth`},
		{"TwoColumns", engine.ScoreFiles{TaskType: "binary", Metric: "roc_auc", Truth: truth, Pred: write("p3.csv", "id,p,q\na,0.1,1\nb,0.9,1\nc,0.8,1\n")}, "want 1"},
		{"BadType", engine.ScoreFiles{TaskType: "clustering", Metric: "roc_auc", Truth: truth, Pred: truth}, "clustering"},
		{"MetricMismatch", engine.ScoreFiles{TaskType: "binary", Metric: "rmse", Truth: truth, Pred: truth}, "does not apply"},
		{"ProbabilityAboveOne", engine.ScoreFiles{TaskType: "binary", Metric: "log_loss", Truth: truth, Pred: write("p4.csv", "id,p\na,0.1\nb,1.5\nc,0.8\n")}, "1.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.sf.Score()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLeaderboard(t *testing.T) {
	e, task := newTask(t, 0.3)
	ctx := context.Background()
	scores := map[string]float64{}
	for _, who := range []string{"alice", "bob", "carol"} {
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: task.Spec.ID, Participant: who, Module: exampleModule(t, who)})
		if err != nil {
			t.Fatal(err)
		}
		if !sub.Failed() {
			scores[who] = *sub.Scores.Public
		}
	}
	if len(scores) != 2 {
		t.Fatalf("got %d scored examples, want 2 (alice, bob): %v", len(scores), scores)
	}
	board, err := e.Leaderboard(task.Spec.ID, engine.Host, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(board) != 2 {
		t.Fatalf("got %d rows, want 2", len(board))
	}
	if board[0].Score < board[1].Score || board[0].Rank != 1 || board[1].Rank != 2 {
		t.Errorf("not ranked best first: %+v", board)
	}
	for _, r := range board {
		if scores[r.Participant] != r.Score {
			t.Errorf("%s: got %v on the board, want %v", r.Participant, r.Score, scores[r.Participant])
		}
	}
	for _, r := range board {
		if r.CI == nil || r.CI.Low > r.Score || r.CI.High < r.Score {
			t.Errorf("%s: got interval %+v, want one around %v", r.Participant, r.CI, r.Score)
		}
	}
	priv, err := e.Leaderboard(task.Spec.ID, engine.Host, true)
	if err != nil || len(priv) != 2 {
		t.Errorf("private board: got %d rows, %v; want 2", len(priv), err)
	}
}

func writeCSV(t *testing.T, path string, header, ids []string, vals []float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(header)
	for i, id := range ids {
		w.Write([]string{id, strconv.FormatFloat(vals[i], 'g', -1, 64)})
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestIntervalsSeeded: the same module always gets the same interval; the
// stored submission keeps it.
func TestIntervalsSeeded(t *testing.T) {
	e, task := newTask(t, 0.5)
	ctx := context.Background()
	var subs []*engine.Submission
	for range 2 {
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: task.Spec.ID, Participant: "bob", Module: exampleModule(t, "bob")})
		if err != nil || sub.Failed() {
			t.Fatalf("Submit: %+v, %v", sub, err)
		}
		subs = append(subs, sub)
	}
	a, b := subs[0].Scores, subs[1].Scores
	if a.PublicCI == nil || a.PrivateCI == nil {
		t.Fatalf("got no intervals: %+v", a)
	}
	if *a.PublicCI != *b.PublicCI || *a.PrivateCI != *b.PrivateCI {
		t.Errorf("same module, different intervals: %+v vs %+v", a, b)
	}
	if *a.PublicCI == *a.PrivateCI {
		t.Errorf("public and private parts got the same interval %+v", *a.PublicCI)
	}
	stored, err := e.Submission(subs[0].ID, engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Scores.PublicCI == nil || *stored.Scores.PublicCI != *a.PublicCI {
		t.Errorf("stored interval: got %+v, want %+v", stored.Scores.PublicCI, a.PublicCI)
	}
}

// TestSubmitProgress follows an evaluation's rows through
// SubmitRequest.Progress and Engine.Progress.
func TestSubmitProgress(t *testing.T) {
	e, task := newTask(t, 0.5)
	var calls [][2]int // written by the worker, read once Submit returned
	var during struct {
		done, total int
		ok          bool
		err         error
	}
	progress := func(done, total int) {
		if len(calls) == 0 {
			// The evaluation has started: look at it from outside.
			subs, err := e.Submissions(task.Spec.ID, engine.Host, "bob")
			if err != nil || len(subs) != 1 {
				during.err = fmt.Errorf("submissions: %v, %d of them", err, len(subs))
			} else {
				during.done, during.total, during.ok = e.Progress(subs[0].ID)
			}
		}
		calls = append(calls, [2]int{done, total})
	}
	sub, err := e.Submit(context.Background(), engine.SubmitRequest{
		Task: task.Spec.ID, Participant: "bob", Module: exampleModule(t, "bob"), Progress: progress})
	if err != nil || sub.Status != "scored" {
		t.Fatalf("Submit: %v, %+v", err, sub)
	}
	rows := task.Rows
	if during.err != nil || !during.ok || during.done != 0 || during.total != rows {
		t.Errorf("Progress while running: got %+v, want 0 of %d rows", during, rows)
	}
	if len(calls) < 2 || calls[0] != [2]int{0, rows} || calls[len(calls)-1] != [2]int{rows, rows} {
		t.Fatalf("Progress calls %v: want (0, %d) first and (%d, %d) last", calls, rows, rows, rows)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] <= calls[i-1][0] || calls[i][1] != rows {
			t.Errorf("Progress calls %v: call %d does not increase", calls, i)
		}
	}
	if done, total, ok := e.Progress(sub.ID); ok {
		t.Errorf("Progress after the evaluation: got %d of %d, want none", done, total)
	}
}
