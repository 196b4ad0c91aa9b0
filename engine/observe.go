package engine

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Evaluation is one finished (or interrupted) evaluation, as an observer
// sees it: the task, the outcome — "scored", "failed" (the model's fault),
// "host" (the host failed) or "requeued" (left queued by Drain or Close,
// for Recover) — and how long the guest ran.
type Evaluation struct {
	Task    string
	Outcome string
	Elapsed time.Duration
}

// Evaluation outcomes.
const (
	OutcomeScored   = "scored"
	OutcomeFailed   = "failed"
	OutcomeHost     = "host"
	OutcomeRequeued = "requeued"
)

// QueueStats is the engine's work in flight: Queued submissions wait for a
// worker, Running ones are being evaluated.
type QueueStats struct {
	Queued  int `json:"queued"`
	Running int `json:"running"`
}

// observer is the engine's hooks for metrics, graceful shutdown and
// certification.
type observer struct {
	mu       sync.Mutex
	funcs    []func(Evaluation)
	running  map[*job]struct{} // taken by a worker, not finished
	draining bool

	// Promotion and revocation hooks: see certified.go.
	certified, revoked []func(context.Context, *Credential) error
}

// Observe registers f to be called after every evaluation, from the worker
// that ran it: f must be quick and must not call back into the engine.
func (e *Engine) Observe(f func(Evaluation)) {
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	e.obs.funcs = append(e.obs.funcs, f)
}

// Queue reports the work in flight now.
func (e *Engine) Queue() QueueStats {
	e.mu.Lock()
	queued := e.pending
	e.mu.Unlock()
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	return QueueStats{Queued: queued, Running: len(e.obs.running)}
}

// Drain prepares a graceful shutdown: workers take no more jobs, and Drain
// waits until the evaluations already running finish or ctx is done. The
// submissions still queued stay queued in the store, for Recover on the next
// Open; submissions accepted meanwhile are queued the same way. Close
// follows; Drain cannot be undone. It returns ctx.Err() when the running
// evaluations outlast ctx (Close then interrupts them, back to queued).
func (e *Engine) Drain(ctx context.Context) error {
	e.obs.mu.Lock()
	e.obs.draining = true
	e.obs.mu.Unlock()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if e.Queue().Running <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// held is called by a worker that took j from the queue: while draining it
// hands j back as requeued (its store record is still queued) and reports
// true, so the worker does not run it.
func (e *Engine) held(j *job) bool {
	// Checked and recorded under one lock, so that Drain, which sets the
	// flag under it, counts every job a worker decided to run.
	e.obs.mu.Lock()
	if !e.obs.draining {
		if e.obs.running == nil {
			e.obs.running = map[*job]struct{}{}
		}
		e.obs.running[j] = struct{}{}
		e.obs.mu.Unlock()
		return false
	}
	e.obs.mu.Unlock()
	e.finish(j, nil, ErrEngineClosed)
	return true
}

// observe reports a finished job to the observers.
func (e *Engine) observe(j *job, res *Submission, err error) {
	e.obs.mu.Lock()
	delete(e.obs.running, j)
	funcs := e.obs.funcs
	e.obs.mu.Unlock()
	if len(funcs) == 0 {
		return
	}
	ev := Evaluation{Task: j.sub.Task, Outcome: OutcomeScored}
	switch {
	case errors.Is(err, ErrEngineClosed):
		ev.Outcome = OutcomeRequeued
	case res != nil && res.Status == StatusFailed && res.hostError:
		ev.Outcome = OutcomeHost
	case res != nil && res.Status == StatusFailed:
		ev.Outcome = OutcomeFailed
	case err != nil || res == nil:
		ev.Outcome = OutcomeHost
	}
	if res != nil {
		ev.Elapsed = time.Duration(res.ElapsedMS * float64(time.Millisecond))
	}
	for _, f := range funcs {
		f(ev)
	}
}
