package sandbox_test

import (
	"context"
	"slices"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// progressLog records Input.Progress calls. It takes no lock: Progress is
// called from one goroutine at a time, which the race detector checks.
type progressLog []int

func (l *progressLog) record(done int) { *l = append(*l, done) }

// check reports calls that do not increase or leave (0, max].
func (l progressLog) check(t *testing.T, max int) {
	t.Helper()
	for i, d := range l {
		if d <= 0 || d > max || i > 0 && d <= l[i-1] {
			t.Fatalf("Progress calls %v: call %d (%d) is not in (0, %d] or does not increase", l, i, d, max)
		}
	}
}

func TestProgress(t *testing.T) {
	const rows = 3*sandbox.MinRowsPerWorker + 100
	cols := randomColumns(2, rows, 3)
	for _, mode := range modes {
		for _, workers := range []int{1, 3} {
			t.Run(mode.name+"/"+map[int]string{1: "OneWorker", 3: "ThreeWorkers"}[workers], func(t *testing.T) {
				rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: workers, Limits: slowLimits})
				m := compile(t, rt, sandboxtest.Linear)
				var log progressLog
				res, err := m.Run(context.Background(), sandbox.Input{Columns: cols, Outputs: 1, BatchRows: 1000, Progress: log.record})
				if err != nil {
					t.Fatal(err)
				}
				assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(cols, 1))
				log.check(t, rows)
				if len(log) == 0 || log[len(log)-1] != rows {
					t.Errorf("Progress calls %v: want the last to be %d", log, rows)
				}
				if mode.iso == sandbox.InProcess && log[0] == rows {
					// The first batch is reported at once, whoever runs it.
					t.Errorf("Progress calls %v: want a call before the end", log)
				}
				if mode.iso == sandbox.Process {
					// The child counted every row in its outputs header.
					if done := rt.IdleRowsDone(); !slices.Contains(done, uint64(rows)) {
						t.Errorf("children's rows done: got %v, want one of %d", done, rows)
					}
				}
			})
		}
	}
}

func TestProgressFailed(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: slowLimits})
			m := compile(t, rt, sandboxtest.Trap)
			var log progressLog
			_, err := m.Run(context.Background(), sandbox.Input{Columns: randomColumns(2, 5000, 4), Outputs: 1, Progress: log.record})
			if err == nil {
				t.Fatal("trap: got no error")
			}
			log.check(t, 4999) // never every row
		})
	}
}

func TestProgressDeterminism(t *testing.T) {
	const rows = 5000
	rt := newRuntime(t, sandbox.Config{Limits: slowLimits})
	m := compile(t, rt, sandboxtest.Linear)
	var log progressLog
	in := sandbox.Input{Columns: randomColumns(2, rows, 5), Outputs: 1, BatchRows: 500, Progress: log.record}
	if _, err := sandbox.CheckDeterminism(context.Background(), m, in, 1); err != nil {
		t.Fatal(err)
	}
	log.check(t, 2*rows)
	if len(log) == 0 || log[len(log)-1] != 2*rows {
		t.Errorf("Progress calls %v: want the last to be %d (both runs)", log, 2*rows)
	}
}
