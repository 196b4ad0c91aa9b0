package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestLargeTask creates a generated task of 2e7 rows, more than
// datasets.DefaultMaxRows (the bound of untrusted input, which a task's
// dataset no longer has), stores it, opens it again from the data dir
// and scores a submission of the Linear guest: the score (every row is
// public, so that the split hashes no id and the test stays in CI time)
// must be the metric's value computed here from the generator, row by
// row. It runs under -short (the data is generated,
// not checked in); under the race detector it is skipped (make test runs
// it without -race).
func TestLargeTask(t *testing.T) {
	if raceEnabled {
		t.Skip("2e7 rows under the race detector: run without -race (make test does)")
	}
	const rows, feats = 20_000_000, 2
	if rows <= datasets.DefaultMaxRows {
		t.Fatalf("got %d rows, want more than the untrusted bound %d", rows, datasets.DefaultMaxRows)
	}
	ctx := context.Background()
	dir := t.TempDir()
	spec := writeArrowTask(t, dir, rows, feats, 1)
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	task, err := e.CreateTask(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if task.Rows != rows || task.PublicRows != rows {
		t.Fatalf("got %d rows (%d public, %d private), want %d", task.Rows, task.PublicRows, task.PrivateRows, rows)
	}
	sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "scale", Participant: "p", Module: sandboxtest.Wasm(sandboxtest.Linear)})
	if err != nil || sub.Status != "scored" || sub.Scores.Public == nil {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}

	// Every row is public (public_fraction 1: the split rule hashes no
	// id); the guest's prediction is the features' mean.
	truth, pred := make([]float64, 0, rows), make([]float64, 0, rows)
	labels := newLabels()
	for lo := 0; lo < rows; lo += genRows {
		x, y := genBatch(lo, min(lo+genRows, rows), feats, labels)
		for i := range y {
			sum := 0.0
			for j := range x {
				sum += x[j][i]
			}
			truth = append(truth, y[i])
			pred = append(pred, sum/float64(len(x)))
		}
	}
	if len(truth) != task.PublicRows {
		t.Fatalf("got %d public rows from the split rule, the task has %d", len(truth), task.PublicRows)
	}
	m, err := metric.Lookup("roc_auc")
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Score(metric.Input{Type: metric.Binary, Truth: truth, Pred: [][]float64{pred}})
	if err != nil {
		t.Fatal(err)
	}
	if got := *sub.Scores.Public; got != want {
		t.Errorf("got public roc_auc %v, want %v", got, want)
	}
	if sub.Scores.PublicCI == nil || !(sub.Scores.PublicCI.Low <= want && want <= sub.Scores.PublicCI.High) {
		t.Errorf("got public interval %+v, want one around %v", sub.Scores.PublicCI, want)
	}
}
