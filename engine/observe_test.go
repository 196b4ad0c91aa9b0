package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestDrain enqueues submissions on one worker, drains, closes, reopens
// and recovers: every submission is scored before the drain or left queued
// by it (never running, never lost), the observer sees each exactly once
// per evaluation, and Recover scores the rest.
func TestDrain(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	e, _ := contest(t, "", engine.Config{DataDir: data, Workers: 1, QueueSize: 64})
	var mu sync.Mutex
	counts := map[string]int{} // by outcome
	e.Observe(func(ev engine.Evaluation) {
		mu.Lock()
		defer mu.Unlock()
		counts[ev.Outcome]++
	})
	const n = 20
	var ids []string
	for i := range n {
		s, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: fmt.Sprintf("p%d", i), Module: variant(linear, i)})
		if err != nil {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
		ids = append(ids, s.ID)
	}
	if err := e.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if q := e.Queue(); q.Running != 0 {
		t.Errorf("after Drain: %+v running", q)
	}
	// Accepted while draining: recorded and left queued too.
	late, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: "late", Module: variant(linear, 99)})
	if err != nil {
		t.Fatalf("Enqueue while draining: %v", err)
	}
	ids = append(ids, late.ID)
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	scored, requeued := counts[engine.OutcomeScored], counts[engine.OutcomeRequeued]
	mu.Unlock()
	if scored+requeued != n+1 || counts[engine.OutcomeFailed]+counts[engine.OutcomeHost] != 0 {
		t.Errorf("observed %v, want %d scored or requeued", counts, n+1)
	}

	e2, err := engine.Open(ctx, engine.Config{DataDir: data, CacheDir: cacheDir, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	queued := 0
	for _, id := range ids {
		s, err := e2.Submission(id, engine.Host)
		if err != nil {
			t.Fatal(err)
		}
		switch s.Status {
		case "scored":
		case "queued":
			queued++
		default:
			t.Errorf("submission %s is %s after a drain, want scored or queued", id, s.Status)
		}
	}
	if queued != requeued {
		t.Errorf("%d queued in the store, %d observed as requeued", queued, requeued)
	}
	got, err := e2.Recover(ctx)
	if err != nil || got != queued {
		t.Fatalf("Recover: %d, %v; want %d", got, err, queued)
	}
	for _, id := range ids {
		if s, _ := e2.Submission(id, engine.Host); s.Status != "scored" {
			t.Errorf("submission %s is %s after Recover", id, s.Status)
		}
	}
	t.Logf("%d scored before the drain, %d left queued and recovered", scored, requeued)
}
