package bench

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestLargeTask creates a generated task of 2e7 rows, more than
// datasets.DefaultMaxRows (the bound of untrusted input, which a task's
// dataset no longer has), stores it, opens it again from the data dir
// and scores a submission of the Linear guest: the public score must be
// the metric's value on the public rows computed here from the
// generator, row by row. It runs under -short (the data is generated,
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
	spec := writeArrowTask(t, dir, rows, feats)
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	task, err := e.CreateTask(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if task.Rows != rows || task.PublicRows+task.PrivateRows != rows {
		t.Fatalf("got %d rows (%d public, %d private), want %d", task.Rows, task.PublicRows, task.PrivateRows, rows)
	}
	sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "scale", Participant: "p", Module: sandboxtest.Wasm(sandboxtest.Linear)})
	if err != nil || sub.Status != "scored" || sub.Scores.Public == nil || sub.Scores.Private == nil {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}

	// The public part, from the generator: the split rule on each id,
	// the guest's prediction (the features' mean) and the label.
	var truth, pred []float64
	labels := newLabels()
	var id []byte
	for lo := 0; lo < rows; lo += genRows {
		hi := min(lo+genRows, rows)
		x, y := genBatch(lo, hi, feats, labels)
		for i := lo; i < hi; i++ {
			id = strconv.AppendInt(append(id[:0], 'r'), int64(i), 10)
			if !engine.Public("scale", string(id), 0.3) {
				continue
			}
			sum := 0.0
			for j := range x {
				sum += x[j][i-lo]
			}
			truth = append(truth, y[i-lo])
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
