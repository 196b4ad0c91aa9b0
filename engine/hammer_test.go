package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// TestHammer has 50 participants submit 40 distinct modules each from
// concurrent goroutines against one task with daily_limit 25: exactly 25
// are accepted per participant, every accepted one is scored and ranked,
// none is lost. A full queue is retried, as a client would.
func TestHammer(t *testing.T) {
	const participants, each, limit = 50, 40, 25
	e, _ := contest(t, fmt.Sprintf("limits: {daily_limit: %d}\n", limit), engine.Config{})
	ctx := context.Background()
	var accepted, refused, retries atomic.Int64
	ids := make([][]string, participants)
	var wg sync.WaitGroup
	start := time.Now()
	for p := range participants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := fmt.Sprintf("p%02d", p)
			for i := range each {
				for {
					sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: who, Module: variant(linear, p*1000+i)})
					switch {
					case errors.Is(err, engine.ErrQueueFull):
						retries.Add(1)
						time.Sleep(time.Millisecond)
						continue
					case errors.Is(err, engine.ErrQuotaExceeded):
						refused.Add(1)
					case err != nil:
						t.Errorf("%s #%d: %v", who, i, err)
					case sub.Status != "scored":
						t.Errorf("%s #%d: got %s, want scored", who, i, sub.Status)
					default:
						accepted.Add(1)
						ids[p] = append(ids[p], sub.ID)
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d submissions (%d accepted and evaluated, %d refused, %d queue-full retries) in %v: %.0f submissions/s, %.0f evaluations/s",
		participants*each, accepted.Load(), refused.Load(), retries.Load(), elapsed.Round(time.Millisecond),
		float64(participants*each)/elapsed.Seconds(), float64(accepted.Load())/elapsed.Seconds())
	for p, got := range ids {
		if len(got) != limit {
			t.Errorf("p%02d: got %d accepted, want %d", p, len(got), limit)
		}
	}
	subs, err := e.Submissions("contest", engine.Host, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != participants*limit {
		t.Errorf("stored: got %d submissions, want %d", len(subs), participants*limit)
	}
	seen := map[string]bool{}
	for _, s := range subs {
		if s.Status != "scored" || seen[s.ID] {
			t.Errorf("submission %s: status %s, seen before %v", s.ID, s.Status, seen[s.ID])
		}
		seen[s.ID] = true
	}
	board, err := e.Leaderboard("contest", engine.Host, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(board) != participants {
		t.Errorf("board: got %d rows, want %d", len(board), participants)
	}
	for _, r := range board {
		if r.Submissions != limit {
			t.Errorf("%s: got %d submissions on the board, want %d", r.Participant, r.Submissions, limit)
		}
	}
}

// BenchmarkSubmit measures end-to-end submissions through the queue:
// distinct small modules from concurrent submitters, each recorded
// received, queued, running and scored (four synced commits), compiled,
// run on the 40-row contest task and scored.
func BenchmarkSubmit(b *testing.B) {
	ctx := context.Background()
	clk := &clock{t: day0}
	e, err := engine.Open(ctx, engine.Config{DataDir: b.TempDir(), CacheDir: b.TempDir(), Now: clk.Now, QueueSize: 1 << 12})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	createContest(b, e, "contest", "")
	var n atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: fmt.Sprintf("p%d", i%50), Module: variant(linear, int(i))})
			if err != nil || sub.Status != "scored" {
				b.Errorf("Submit: %+v, %v", sub, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
}
