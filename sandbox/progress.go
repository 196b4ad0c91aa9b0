package sandbox

import (
	"sync"
	"sync/atomic"
	"time"
)

// ProgressInterval is the least time between two calls of Input.Progress
// during a Run; the last call, with every row, is not delayed.
const ProgressInterval = 100 * time.Millisecond

// progress reports the rows a Run has done to Input.Progress. It is
// called once per batch by the instances (in-process) or polled from the
// outputs header of a child (Process isolation), never per row and never
// from guest code. It calls fn from one goroutine at a time, with counts
// that only increase, at most every ProgressInterval, and with every row
// once the Run succeeded.
type progress struct {
	fn   func(rowsDone int)
	rows int
	done atomic.Uint64 // rows the instances finished (in-process)

	mu   sync.Mutex
	last int       // the count fn was last called with
	next time.Time // fn is not called again before
}

// newProgress returns nil when fn is nil: a Run without Progress does no
// progress work at all.
func newProgress(fn func(int), rows int) *progress {
	if fn == nil {
		return nil
	}
	return &progress{fn: fn, rows: rows}
}

// batch adds n rows done by an instance and reports the total, unless
// another instance is reporting or the last report is too recent.
func (p *progress) batch(n int) {
	done := p.done.Add(uint64(n))
	if !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	p.reportLocked(done, false)
}

// report reports done rows, a count read from a child: untrusted, so it
// is capped at the Run's rows and ignored if it does not increase.
func (p *progress) report(done uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reportLocked(done, false)
}

// finish reports every row: the Run succeeded.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reportLocked(uint64(p.rows), true)
}

func (p *progress) reportLocked(done uint64, final bool) {
	d := int(min(done, uint64(p.rows)))
	if d <= p.last {
		return
	}
	now := time.Now()
	if !final && now.Before(p.next) {
		return
	}
	p.last, p.next = d, now.Add(ProgressInterval)
	p.fn(d)
}
