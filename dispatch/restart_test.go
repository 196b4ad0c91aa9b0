package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCoordinatorRestart: a coordinator that stops while its jobs wait
// (no worker yet) and a new one that evaluates the same submission again
// get every shard done once: the jobs are not published twice, and the
// results are read from the start of the stream.
func TestCoordinatorRestart(t *testing.T) {
	c := newCluster(t, 200)
	cols := features(1000, 3, 40)
	ev := dispatch.Evaluation{Submission: "sub-restart", Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: cols, Outputs: 1, Limits: limits}
	// The five jobs are seen on their subjects (no polling).
	sub, err := c.js.Conn().SubscribeSync("verdict.jobs.sub-restart.>")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.co.Evaluate(ctx, ev) // publishes, then waits for results that cannot come
		errc <- err
	}()
	for range 5 {
		if _, err := sub.NextMsg(10 * time.Second); err != nil {
			t.Fatalf("jobs: %v", err)
		}
	}
	sub.Unsubscribe()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("first Evaluate: got %v, want context.Canceled", err)
	}
	c.co.Close()
	co, err := dispatch.NewCoordinator(context.Background(), c.js, dispatch.CoordinatorConfig{Topology: testTopology, ShardRows: 200, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	var runs atomic.Int32
	c.startWorker(t, dispatch.WorkerConfig{Slots: 2, Fault: func(at dispatch.FaultPoint, _ dispatch.Job, _ uint64) bool {
		if at == dispatch.FaultBeforeRun {
			runs.Add(1)
		}
		return false
	}})
	res, err := co.Evaluate(context.Background(), ev)
	if err != nil {
		t.Fatalf("second Evaluate: %v", err)
	}
	sameBits(t, res.Outputs, sandboxtest.LinearPredict(cols, 1))
	if n := resultCount(t, c.js, "sub-restart"); n != 5 {
		t.Errorf("results: got %d, want 5", n)
	}
	if got := runs.Load(); got != 5 {
		t.Errorf("jobs run: got %d, want 5 (published twice, deduplicated)", got)
	}
}

// TestHammer: many evaluations at once, over several workers, each gets
// its own predictions.
func TestHammer(t *testing.T) {
	c := newCluster(t, 150)
	for range 3 {
		c.startWorker(t, dispatch.WorkerConfig{Slots: 2})
	}
	n := 24
	if testing.Short() {
		n = 8
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cols := features(400+i*7, 2, uint64(100+i))
			res, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{Submission: fmt.Sprintf("sub-hammer-%d", i),
				Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: cols, Outputs: 2, Limits: limits})
			if err != nil {
				t.Errorf("Evaluate %d: %v", i, err)
				return
			}
			want := sandboxtest.LinearPredict(cols, 2)
			for k := range want {
				for r := range want[k] {
					if math.Float64bits(res.Outputs[k][r]) != math.Float64bits(want[k][r]) {
						t.Errorf("evaluation %d output %d row %d: got %v, want %v", i, k, r, res.Outputs[k][r], want[k][r])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
