package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// cacheDir is one wazero compilation cache for every engine of this test
// binary, so each fixture module is compiled once.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verdict-web-cache-")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// clock is the engines' fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var day0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// site is a real engine, with a real store in a temp dir, holding three
// tasks (regression, binary, multiclass) and real scored submissions of
// the small sandboxtest fixtures, made over a day on a fake clock.
type site struct {
	e    *engine.Engine
	clk  *clock
	subs map[string]*engine.Submission // by "task/participant/fixture"
}

// Task ids of the site.
const (
	regressionTask = "house-prices"
	binaryTask     = "spam-filter"
	multiclassTask = "three-tiers"
)

func newSite(t testing.TB) *site {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: day0}
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	s := &site{e: e, clk: clk, subs: map[string]*engine.Submission{}}
	specs := []struct{ id, title, typ, metric, data, extra string }{
		{regressionTask, "House prices", "regression", "rmse", "regression.csv",
			"gates: {min_score: 0.3, max_module_mb: 1}\nfinal_selections: 2\nteams: {max_size: 3}\n"},
		{binaryTask, "Spam filter", "binary", "roc_auc", "binary.csv", "schedule: {end: 2026-03-08T00:00:00Z}\n"},
		{multiclassTask, "Three tiers", "multiclass", "accuracy", "multiclass.csv", "limits: {memory_mb: 16, daily_limit: 5}\n"},
	}
	for _, sp := range specs {
		data, err := filepath.Abs(filepath.Join("testdata", sp.data))
		if err != nil {
			t.Fatal(err)
		}
		label := "label"
		if sp.typ == "regression" {
			label = "target"
		}
		limits := "limits: {memory_mb: 16}\n"
		if sp.typ == "multiclass" {
			limits = ""
		}
		spec := fmt.Sprintf("id: %s\ntitle: %s\ntype: %s\nmetric: %s\ndata: {test: %q, id: id, label: %s}\nsplit: {public_fraction: 0.5, seed: web}\n%s%s",
			sp.id, sp.title, sp.typ, sp.metric, data, label, limits, sp.extra)
		path := filepath.Join(t.TempDir(), sp.id+".yaml")
		if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateTask(ctx, path); err != nil {
			t.Fatalf("CreateTask %s: %v", sp.id, err)
		}
	}
	// Multiclass outputs must be probabilities summing to 1: of the small
	// fixtures, only Const's 1/outs are.
	plan := []struct {
		after       time.Duration
		task, who   string
		fixture     string
		baseline    bool
		wantFailure bool
	}{
		{0, regressionTask, "flat-baseline", sandboxtest.StdoutFlood, true, false},
		{30 * time.Minute, regressionTask, "ada", sandboxtest.Const, false, false},
		{time.Hour, regressionTask, "bob", sandboxtest.CModel, false, false},
		{2 * time.Hour, regressionTask, "cyd", sandboxtest.CLinear, false, false},
		{150 * time.Minute, regressionTask, "dan", sandboxtest.Trap, false, true},
		{3 * time.Hour, regressionTask, "bob", sandboxtest.Stateful, false, false},
		{5 * time.Hour, regressionTask, "ada", sandboxtest.Linear, false, false},
		{5 * time.Hour, binaryTask, "ada", sandboxtest.Linear, false, false},
		{6 * time.Hour, binaryTask, "bob", sandboxtest.CModel, false, false},
		{7 * time.Hour, binaryTask, "cyd", sandboxtest.Const, false, false},
		{5 * time.Hour, multiclassTask, "ada", sandboxtest.Const, false, false},
	}
	for _, p := range plan {
		clk.Set(day0.Add(p.after))
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: p.task, Participant: p.who, Module: sandboxtest.Wasm(p.fixture), Baseline: p.baseline})
		if err != nil || sub.Failed() != p.wantFailure {
			t.Fatalf("Submit %s %s %s: got %+v (%+v), %v, want failed=%v", p.task, p.who, p.fixture, sub, sub.Error, err, p.wantFailure)
		}
		s.subs[p.task+"/"+p.who+"/"+p.fixture] = sub
	}
	clk.Set(day0.Add(8 * time.Hour))
	return s
}
