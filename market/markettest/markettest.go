// Package markettest builds a real marketplace for other packages' tests:
// an engine on a temporary data dir with a fake clock, a regression task
// closed and promoted, and its certified models listed (real Badger, real
// sandbox, real credentials). Nothing is mocked.
//
// # Usage
//
//	f := markettest.Open(t, engine.Config{})
//	es, _ := f.Market.List(market.Query{})
//	// f.Sample is the task's data as CSV: id,a,b,target
package markettest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// Sample is the task's data (40 rows: id,a,b,target), usable as a
// labelled sample with Label "target".
//
//go:embed testdata/contest.csv
var Sample []byte

// Authors of the two certified models: Linear predicts mean(a, b)
// (sandboxtest.Linear), Max predicts max(a, b) (sandboxtest.CModel).
const (
	Linear = "ada"
	Max    = "bob"
)

// Fixture is an open engine and its marketplace with two certified
// models of task "contest" (regression, rmse).
type Fixture struct {
	Engine *engine.Engine
	Market *market.Market
	// IDs maps Linear and Max to their marketplace ids.
	IDs map[string]string
	// Modules maps Linear and Max to their wasm.
	Modules map[string][]byte
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Open builds the fixture in t.TempDir() (cfg.DataDir if set). cfg.Now
// is replaced by a fake clock starting at 2026-03-01T09:00:00Z.
func Open(t testing.TB, cfg engine.Config) *Fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	cfg.Now = clk.now
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
	}
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("engine.Open: %v", err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	mk, err := market.Open(ctx, e)
	if err != nil {
		t.Fatalf("market.Open: %v", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "contest.csv")
	if err := os.WriteFile(data, Sample, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: contest\ntitle: Contest\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n", data)
	path := filepath.Join(dir, "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, path); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	f := &Fixture{Engine: e, Market: mk, IDs: map[string]string{}, Modules: map[string][]byte{
		Linear: sandboxtest.Wasm(sandboxtest.Linear),
		Max:    sandboxtest.Wasm(sandboxtest.CModel),
	}}
	for _, who := range []string{Linear, Max} {
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: who, Module: f.Modules[who], License: "MIT"})
		if err != nil || sub.Failed() {
			t.Fatalf("Submit(%s): %+v, %v", who, sub, err)
		}
	}
	clk.add(time.Hour)
	if _, err := e.CloseTask(ctx, "contest"); err != nil {
		t.Fatalf("CloseTask: %v", err)
	}
	proms, err := e.Promote(ctx, "contest")
	if err != nil || len(proms) != 2 {
		t.Fatalf("Promote: got %+v, %v; want two credentials", proms, err)
	}
	for _, p := range proms {
		if p.Credential == nil {
			t.Fatalf("Promote: %+v has no credential", p)
		}
		f.IDs[p.Participant] = strings.TrimPrefix(p.Credential.ID, "urn:uuid:")
	}
	if f.IDs[Linear] == "" || f.IDs[Max] == "" {
		t.Fatalf("Promote: credentials of %v, want %s and %s", f.IDs, Linear, Max)
	}
	return f
}

// Scores is what the two models score on Sample (label "target") with
// the named metric, computed directly from their definitions, without
// the sandbox: Linear predicts mean(a, b), Max predicts max(a, b).
func Scores(t testing.TB, metricName string) map[string]float64 {
	t.Helper()
	d, err := datasets.Read(bytes.NewReader(Sample), "sample.csv", datasets.Auto,
		datasets.Schema{ID: "id", Label: "target", Kind: datasets.NumericLabel, Features: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	m, err := metric.Lookup(metricName)
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.Column(0), d.Column(1)
	mean, mx := make([]float64, len(a)), make([]float64, len(a))
	for i := range a {
		mean[i], mx[i] = (a[i]+b[i])/2, math.Max(a[i], b[i])
	}
	out := map[string]float64{}
	for who, p := range map[string][]float64{Linear: mean, Max: mx} {
		v, err := m.Score(metric.Input{Type: metric.Regression, Truth: d.Labels, Pred: [][]float64{p}})
		if err != nil {
			t.Fatal(err)
		}
		out[who] = v
	}
	return out
}
