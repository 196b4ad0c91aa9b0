package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// The probe tests: a participant's model (sandboxtest.Probe) outputs a
// value of its choosing on one row it recognises by its features, and
// everything the participant can read of the evaluation is compared
// between two tasks that differ only in what must stay secret before
// close: which part the row is in, or a private label. It must be the same.

// probeRows is the number of rows of a probe task; the target is row
// probeTarget (0-based, id "r7").
const (
	probeRows   = 40
	probeTarget = 7
)

// probeTask is a probe task's dataset and spec, and the model submitted.
type probeTask struct {
	typ, metric string
	seed        string
	module      string              // sandboxtest fixture; default Probe
	payload     float64             // the probe's output on the target row
	features    func(i int) float64 // payload of the other rows; default 0
	label       func(i int) float64 // label of row i
}

// create writes the dataset and creates the task "probe" in a new engine.
func (p probeTask) create(t *testing.T) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,marker,payload,label\n")
	for i := range probeRows {
		marker, payload := 0, 0.0
		if p.features != nil {
			payload = p.features(i)
		}
		if i == probeTarget {
			marker, payload = 1, p.payload
		}
		fmt.Fprintf(&b, "r%d,%d,%v,%v\n", i, marker, payload, p.label(i))
	}
	data := filepath.Join(dir, "probe.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: probe\ntype: %s\nmetric: %s\ndata: {test: %q, label: label}\nsplit: {public_fraction: 0.5, seed: %q}\nlimits: {memory_mb: 16}\n",
		p.typ, p.metric, data, p.seed)
	path := filepath.Join(dir, "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: day0.Add(9 * time.Hour)}
	e, err := engine.Open(context.Background(), engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	if _, err := e.CreateTask(context.Background(), path); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	return e
}

// seedFor returns a split seed that puts the target row in the public
// part (public true) or the private part, and leaves both labels 0 and 1
// among the public and the private rows of alternating labels.
func seedFor(t *testing.T, public bool) string {
	t.Helper()
	for n := range 1000 {
		seed := fmt.Sprintf("seed-%d", n)
		if engine.Public(seed, fmt.Sprintf("r%d", probeTarget), 0.5) != public {
			continue
		}
		var classes [2][2]bool // [public][label]
		for i := range probeRows {
			p := 0
			if engine.Public(seed, fmt.Sprintf("r%d", i), 0.5) {
				p = 1
			}
			classes[p][i%2] = true
		}
		if classes[0][0] && classes[0][1] && classes[1][0] && classes[1][1] {
			return seed
		}
	}
	t.Fatal("no seed found")
	return ""
}

// participantView is everything the participant "ada" can read about
// her submission while the task is open, with what differs between any
// two evaluations (ids, times) blanked, as JSON.
func participantView(t *testing.T, e *engine.Engine, id string) string {
	return viewOf(t, e, "probe", id)
}

// viewOf is participantView on any task.
func viewOf(t *testing.T, e *engine.Engine, task, id string) string {
	t.Helper()
	ada := engine.Viewer{Participant: "ada"}
	blank := func(s *engine.Submission) {
		s.ID, s.Created, s.Updated, s.ElapsedMS = "", time.Time{}, time.Time{}, 0
	}
	sub, err := e.Submission(id, ada)
	if err != nil {
		t.Fatal(err)
	}
	blank(sub)
	subs, err := e.Submissions(task, ada, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range subs {
		blank(&subs[i])
	}
	diag, err := e.Diagnostics(id, ada)
	if err != nil {
		t.Fatal(err)
	}
	diag.Submission = ""
	board, err := e.Leaderboard(task, ada, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range board {
		board[i].Submission, board[i].Submitted = "", time.Time{}
	}
	hist, err := e.History(task, ada)
	if err != nil {
		t.Fatal(err)
	}
	for i := range hist {
		hist[i].Submission, hist[i].Time = "", time.Time{}
	}
	b, err := json.MarshalIndent(map[string]any{"submission": sub, "submissions": subs, "diagnostics": diag,
		"leaderboard": board, "history": hist}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// probe creates each task, submits the probe as ada and returns the
// submissions as the host sees them and ada's views.
func probe(t *testing.T, tasks ...probeTask) ([]*engine.Submission, []string) {
	t.Helper()
	var subs []*engine.Submission
	var views []string
	for _, p := range tasks {
		e := p.create(t)
		module := p.module
		if module == "" {
			module = sandboxtest.Probe
		}
		sub, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "probe", Participant: "ada", Module: sandboxtest.Wasm(module)})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		host, err := e.Submission(sub.ID, engine.Host)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, host)
		views = append(views, participantView(t, e, sub.ID))
	}
	return subs, views
}

func alternate(i int) float64 { return float64(i % 2) }

// TestProbeOutOfRange: a probability of 1.5 on one row is a bad output
// named by the row's position in the model's output, whichever part the
// row is in; the participant reads the same either way.
func TestProbeOutOfRange(t *testing.T) {
	for _, metric := range []string{"roc_auc", "log_loss", "accuracy"} {
		t.Run(metric, func(t *testing.T) {
			p := probeTask{typ: "binary", metric: metric, payload: 1.5, label: alternate}
			pub, priv := p, p
			pub.seed, priv.seed = seedFor(t, true), seedFor(t, false)
			subs, views := probe(t, pub, priv)
			if views[0] != views[1] {
				t.Errorf("the participant's view depends on the row's part:\npublic row:\n%s\nprivate row:\n%s", views[0], views[1])
			}
			for _, s := range subs {
				if !s.Failed() || s.Error.Kind != "bad_output" {
					t.Fatalf("got %+v, want a failed submission of kind bad_output", s)
				}
				msg := s.Error.Message
				t.Logf("%s reads: %s", s.Participant, msg)
				if !strings.Contains(msg, fmt.Sprintf("row %d:", probeTarget+1)) || !strings.Contains(msg, "1.5") ||
					strings.Contains(msg, "public") || strings.Contains(msg, "private") {
					t.Errorf("got %q, want the output's row %d and value, and no part", msg, probeTarget+1)
				}
			}
		})
	}
}

// TestProbeMAPEOverflow: with MAPE, a prediction of 1e300 overflows the
// mean exactly when the row's label is below about 1e-8. Whether a private
// label is tiny must not change what the participant reads before close.
func TestProbeMAPEOverflow(t *testing.T) {
	seed := seedFor(t, false) // the target row is private
	normal := probeTask{typ: "regression", metric: "mape", seed: seed, payload: 1e300,
		label: func(i int) float64 { return float64(1 + i) }}
	tiny := normal
	tiny.label = func(i int) float64 {
		if i == probeTarget {
			return 1e-10
		}
		return float64(1 + i)
	}
	subs, views := probe(t, normal, tiny)
	if views[0] != views[1] {
		t.Errorf("the participant's view depends on a private label:\nlabel 8:\n%s\nlabel 1e-10:\n%s", views[0], views[1])
	}
	for _, s := range subs {
		if s.Failed() || s.Scores.Private == nil || math.IsInf(*s.Scores.Private, 0) {
			t.Errorf("host: got %+v, want scored with a finite private score", s)
		}
	}
	if got := subs[1].Scores.Private; got == nil || *got != math.MaxFloat64 {
		t.Errorf("host: private score with the tiny label: got %v, want the worst finite value %v", got, math.MaxFloat64)
	}
}

// TestProbePrivateUndefined: a metric undefined on the private part
// (pearson where the model's private outputs are constant) fails nothing
// the participant can see before close; the host reads why. (A truth on
// which the metric is undefined, such as a constant private truth, is
// refused when the task is created: TestCreateTaskOneClass.)
func TestProbePrivateUndefined(t *testing.T) {
	seed := seedFor(t, true)
	// Linear predicts the mean of the features: (0 + i) / 2 on row i.
	varied := probeTask{typ: "regression", metric: "pearson", seed: seed, module: sandboxtest.Linear,
		payload: probeTarget, features: func(i int) float64 { return float64(i) },
		label: func(i int) float64 { return float64(i % 5) }}
	constant := varied
	constant.features = func(i int) float64 {
		if engine.Public(seed, fmt.Sprintf("r%d", i), 0.5) {
			return float64(i)
		}
		return 7 // every private row: the same output
	}
	subs, views := probe(t, varied, constant)
	if views[0] != views[1] {
		t.Errorf("the participant's view depends on the private labels:\nvaried:\n%s\nconstant:\n%s", views[0], views[1])
	}
	host, err := json.Marshal(subs[1])
	if err != nil {
		t.Fatal(err)
	}
	if subs[1].Failed() || subs[1].Scores.Private != nil || !strings.Contains(string(host), "constant") {
		t.Errorf("host: got %s, want scored, no private score and the reason", host)
	}
	if strings.Contains(views[1], "constant") {
		t.Errorf("participant: the private part's error shows:\n%s", views[1])
	}
}

// TestLadderHidesThePublicScore: under the Ladder, nothing ada reads
// before close holds her exact public score: not the score, not its
// interval, not the min_score gate measured from it, not a picture.
func TestLadderHidesThePublicScore(t *testing.T) {
	e, _ := contest(t, "leaderboard: {mode: ladder, step: 0.5}\ngates: {min_score: 10, beats_baseline: {}, max_module_mb: 1}\n", engine.Config{})
	if _, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "contest", Participant: "host", Module: konst, Baseline: true}); err != nil {
		t.Fatal(err)
	}
	sub := mustSubmit(t, e, "ada", linear)
	exact := *sub.Scores.Public
	view := viewOf(t, e, "contest", sub.ID)
	b, _ := json.Marshal(exact)
	if strings.Contains(view, string(b)) || strings.Contains(view, fmt.Sprint(exact)) {
		t.Errorf("ada's view holds the exact public score %v:\n%s", exact, view)
	}
	mine, err := e.Submission(sub.ID, engine.Viewer{Participant: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Gates) != 3 {
		t.Fatalf("got gates %+v, want 3", mine.Gates)
	}
	for _, g := range mine.Gates {
		label := g.Name == "min_score" || g.Name == "beats_baseline"
		if g.Hidden != label || (label && (g.Value != 0 || g.Passed)) {
			t.Errorf("gate %+v: want hidden (no value, not passed) exactly when measured from the labels", g)
		}
	}
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	after, err := e.Submission(sub.ID, engine.Viewer{Participant: "ada"})
	if err != nil || after.Scores.Public == nil || *after.Scores.Public != exact || after.Gates[0].Hidden {
		t.Errorf("after close: got %+v, %v; want the exact public score %v and the gates", after, err, exact)
	}
}

// TestProbePrivateLabelRange: private labels spanning float64's range,
// or constant and too large for the scatter's ±0.5 padding, must neither
// stop the engine (binning them used to index out of range) nor change the
// participant's view.
func TestProbePrivateLabelRange(t *testing.T) {
	seed := seedFor(t, true)
	normal := probeTask{typ: "regression", metric: "mae", seed: seed, payload: 1,
		label: func(i int) float64 { return float64(i % 5) }}
	for name, private := range map[string]func(i int) float64{
		"wide":           func(i int) float64 { return math.Copysign(1.7e308, float64(i%2)-0.5) },
		"constant, huge": func(int) float64 { return 1e20 },
	} {
		t.Run(name, func(t *testing.T) {
			odd := normal
			odd.label = func(i int) float64 {
				if engine.Public(seed, fmt.Sprintf("r%d", i), 0.5) {
					return normal.label(i)
				}
				return private(i)
			}
			subs, views := probe(t, normal, odd)
			if views[0] != views[1] {
				t.Errorf("the participant's view depends on the private labels:\nnormal:\n%s\n%s:\n%s", views[0], name, views[1])
			}
			if subs[1].Failed() {
				t.Errorf("host: got %+v, want scored", subs[1])
			}
		})
	}
}

// TestProbePublicUndefined: a metric without a value on the public part
// (pearson on constant public predictions) fails the submission with a
// fixed message: no row, no value, no reason drawn from the labels; the
// host reads the cause.
func TestProbePublicUndefined(t *testing.T) {
	p := probeTask{typ: "regression", metric: "pearson", seed: seedFor(t, false), payload: 9,
		label: func(i int) float64 { return float64(i % 5) }}
	e := p.create(t)
	sub, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "probe", Participant: "ada", Module: sandboxtest.Wasm(sandboxtest.Probe)})
	if err != nil {
		t.Fatal(err)
	}
	if !sub.Failed() || sub.Error.Kind != "score" || !strings.Contains(sub.Error.Detail, "constant") {
		t.Fatalf("host: got %+v (%+v), want a score failure with the cause", sub, sub.Error)
	}
	mine, err := e.Submission(sub.ID, engine.Viewer{Participant: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	want := "pearson has no value on the public rows for these outputs; the host has the details"
	if mine.Error == nil || mine.Error.Message != want || mine.Error.Detail != "" {
		t.Errorf("participant: got %+v, want only %q", mine.Error, want)
	}
}
