package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
)

// The coordinator is what an engine dispatches through.
var _ engine.Dispatcher = (*dispatch.Coordinator)(nil)

// openEngine opens an engine on a fresh data dir, dispatching through d
// (nil: the direct path), with the breast-cancer task "bc-queue".
func openEngine(t *testing.T, d engine.Dispatcher) *engine.Engine {
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
limits: {memory_mb: 64, timeout_s: 60}
`, data)
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
