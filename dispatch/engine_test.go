package dispatch_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox"
)

// The coordinator is what an engine dispatches through.
var _ engine.Dispatcher = (*dispatch.Coordinator)(nil)

// openEngine opens an engine on a fresh data dir, dispatching through d
// (nil: the direct path), with the breast-cancer task "bc-queue".
func openEngine(t *testing.T, d engine.Dispatcher) *engine.Engine {
	return openEngineLimits(t, d, "{memory_mb: 64, timeout_s: 60}")
}

// openEngineLimits is openEngine with the task's limits.
func openEngineLimits(t *testing.T, d engine.Dispatcher, limits string) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), Dispatcher: d})
	if err != nil {
		t.Fatalf("engine.Open: %v", err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	data, err := filepath.Abs("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`id: bc-queue
title: Breast cancer
type: binary
metric: roc_auc
data: {test: %q, id: id, label: target}
split: {public_fraction: 0.5, seed: "dispatch"}
limits: %s
`, data, limits)
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, path); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	return e
}

// TestEngineThroughQueue: an engine whose evaluations go through the
// queue, sharded, scores every shipped example exactly as the direct path
// does (scores and intervals, bit for bit), and fails a failing one with
// the same kind.
func TestEngineThroughQueue(t *testing.T) {
	c := newCluster(t, 40) // the test split's rows in several shards
	c.startWorker(t, dispatch.WorkerConfig{Slots: 2})
	queued := openEngine(t, c.co)
	direct := openEngine(t, nil)
	demos := examples.Demo()
	if testing.Short() {
		demos = demos[:1]
	}
	for _, d := range demos {
		t.Run(d.Participant, func(t *testing.T) {
			module, err := fs.ReadFile(examples.FS, d.Path)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			req := engine.SubmitRequest{Task: "bc-queue", Participant: d.Participant, Module: module}
			want, err := direct.Submit(ctx, req)
			if err != nil {
				t.Fatalf("direct Submit: %v", err)
			}
			got, err := queued.Submit(ctx, req)
			if err != nil {
				t.Fatalf("queued Submit: %v", err)
			}
			if got.Status != want.Status {
				t.Fatalf("status: got %s, want %s (%v)", got.Status, want.Status, got.Error)
			}
			gs, _ := json.Marshal(got.Scores)
			ws, _ := json.Marshal(want.Scores)
			if string(gs) != string(ws) {
				t.Errorf("scores through the queue:\n got %s\nwant %s", gs, ws)
			}
			// A failure is of the same kind; its message may differ where
			// the guest's own stderr names the batch's size (a shard's rows
			// here, all rows on the direct path).
			if (got.Error == nil) != (want.Error == nil) || got.Error != nil && got.Error.Kind != want.Error.Kind {
				t.Errorf("error through the queue: got %+v, want %+v", got.Error, want.Error)
			}
		})
	}
}

// TestEngineCrashUncharged: a submission whose job kills its worker on
// every try ends failed with kind crash after MaxDeliver, and is not
// charged: with a total limit of one, the participant may still submit.
func TestEngineCrashUncharged(t *testing.T) {
	demos := examples.Demo()
	module := func(i int) []byte {
		b, err := fs.ReadFile(examples.FS, demos[i].Path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	doomed := fmt.Sprintf("%x", sha256.Sum256(module(0)))
	c := newCluster(t, 0)
	c.startWorker(t, dispatch.WorkerConfig{Fault: func(at dispatch.FaultPoint, j dispatch.Job, _ uint64) bool {
		return at == dispatch.FaultBeforeRun && j.Module == doomed
	}})
	e := openEngineLimits(t, c.co, "{memory_mb: 64, timeout_s: 60, total_limit: 1}")
	ctx := context.Background()
	got, err := e.Submit(ctx, engine.SubmitRequest{Task: "bc-queue", Participant: "dana", Module: module(0)})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if got.Status != engine.StatusFailed || got.Error == nil || got.Error.Kind != sandbox.KindCrash {
		t.Fatalf("first submission: got %s %+v, want failed with kind %q", got.Status, got.Error, sandbox.KindCrash)
	}
	again, err := e.Submit(ctx, engine.SubmitRequest{Task: "bc-queue", Participant: "dana", Module: module(1)})
	if err != nil {
		t.Fatalf("second Submit (the crash must not count against total_limit 1): %v", err)
	}
	if again.Status != engine.StatusScored {
		t.Errorf("second submission: got %s %+v, want scored", again.Status, again.Error)
	}
	var qe *engine.QuotaError
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "bc-queue", Participant: "dana", Module: module(2)}); !errors.As(err, &qe) {
		t.Errorf("third Submit: got %v, want a *QuotaError (the limit is real)", err)
	}
}
