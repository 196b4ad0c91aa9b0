package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestV2MemoryReuseZeroed checks that the linear memories the Runtime
// reuses between Guest ABI v2 instances carry nothing from one to the
// next: V2Marker writes a marker over all of its 5 MiB of memory (past
// its data segment, over its heap, x, y and the pages it grew) and
// V2Scan, another participant's module, and V2Marker itself in later
// Runs scan all of theirs for it. Every Run must find none (predict 0)
// and V2Marker must find its data segment as initialised (not code 3).
// One worker, so every Run gets the one memory kept (in Process, the one
// idle child's).
func TestV2MemoryReuseZeroed(t *testing.T) {
	ctx := context.Background()
	cols := randomColumns(2, 1000, 4)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: 1,
				Limits: sandbox.Limits{Timeout: time.Minute}})
			marker, scan := compile(t, rt, sandboxtest.V2Marker), compile(t, rt, sandboxtest.V2Scan)
			for i, step := range []struct {
				name string
				m    *sandbox.Module
			}{{"marker", marker}, {"marker", marker}, {"scan", scan}, {"marker", marker}, {"scan", scan}} {
				res, err := step.m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
				if err != nil {
					t.Fatalf("run %d (%s): %v", i, step.name, err)
				}
				for k, col := range res.Outputs {
					for r, v := range col {
						if v != 0 {
							t.Fatalf("run %d (%s): output %d of row %d: found %v words of an earlier instance's marker in memory",
								i, step.name, k, r, v)
						}
					}
				}
				if mode.iso == sandbox.InProcess && rt.PooledMemories() != 1 {
					t.Fatalf("run %d (%s): %d memories kept, want 1: the test does not exercise reuse",
						i, step.name, rt.PooledMemories())
				}
			}
		})
	}
}
