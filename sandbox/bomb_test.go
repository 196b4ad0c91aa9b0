package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// bombLimits give compile bombs a small time limit: each must be refused,
// or stopped, within Timeout + 1 s.
var bombLimits = sandbox.Limits{Timeout: 2 * time.Second, MemoryMB: 2, OutputBytes: 4096}

// TestCompileBombs compiles modules that are small but slow to compile.
// Before the pre-decoder bounded the shape of code and compilation
// counted against the time limit, 40,000 nested blocks (120 KB) compiled
// for 16 s and 100,000 of them or a 5M-target br_table until the fixed
// 2-minute compile bound. Each must now be refused or stopped within the
// time limit plus a second, and a good module compiled after it still
// runs.
func TestCompileBombs(t *testing.T) {
	tests := []struct {
		name     string
		wasm     func() []byte
		kind     string
		fragment string
	}{
		{"Nested40k", func() []byte { return sandboxtest.NestedBlocks(40_000) }, sandbox.KindInvalidModule,
			"function 2: blocks nested more than 8192 deep"},
		{"Nested100k", func() []byte { return sandboxtest.NestedBlocks(100_000) }, sandbox.KindInvalidModule,
			"function 2: blocks nested more than 8192 deep"},
		{"BrTable5M", func() []byte { return sandboxtest.BrTable(5_000_000) }, sandbox.KindInvalidModule,
			"function 2: body of 4.8 MiB, limit is 1 MiB"},
		{"BrTable100k", func() []byte { return sandboxtest.BrTable(100_000) }, sandbox.KindInvalidModule,
			"function 2: br_table with 100000 targets, limit is 16384"},
		{"Functions1M", func() []byte { return sandboxtest.ManyFunctions(1_000_000) }, sandbox.KindInvalidModule,
			"1000002 functions, limit is 100000"},
		// Within every shape limit, but hundreds of functions of 4,000
		// nested blocks take the compiler far longer than 2 s (a function
		// takes 50-300 ms, by the machine's load and the isolation): the
		// time limit stops it.
		{"SlowWithinLimits", nil, sandbox.KindTimeout, "time limit of 2s exceeded in compile"},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			if testing.Short() && mode.iso == sandbox.InProcess {
				// In process, a stopped compilation finishes in the
				// background: seconds of CPU on a shared machine.
				t.Skip("in-process compile bombs burn CPU after their deadline; run without -short")
			}
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: bombLimits})
			// In process the compiler is slower (termination checks), and
			// what it compiles past the deadline burns CPU in the
			// background: fewer functions.
			slow := map[sandbox.Isolation]int{sandbox.Process: 256, sandbox.InProcess: 96}[mode.iso]
			for _, tc := range tests {
				if tc.wasm == nil {
					tc.wasm = func() []byte { return sandboxtest.SlowCompile(slow, 4000) }
				}
				t.Run(tc.name, func(t *testing.T) {
					wasm := tc.wasm()
					start := time.Now()
					m, err := rt.Compile(context.Background(), wasm)
					elapsed := time.Since(start)
					if err == nil {
						m.Close(context.Background())
					}
					t.Logf("%d bytes: %v after %v", len(wasm), err, elapsed)
					if got := sandbox.KindOf(err); got != tc.kind {
						t.Errorf("got %v (kind %q) after %v, want kind %q", err, got, elapsed, tc.kind)
					} else if !strings.Contains(err.Error(), tc.fragment) {
						t.Errorf("error %q: want fragment %q", err, tc.fragment)
					}
					// The kind above proves the limit stopped the compile
					// (unstopped, the slow module compiles for at least
					// 256 or 96 functions × 50 ms and succeeds); this bound
					// only catches a stop that comes far too late. A
					// loaded machine delays a child's kill by a second or
					// two.
					if limit := bombLimits.Timeout + 4*time.Second; elapsed > limit {
						t.Errorf("Compile took %v, want at most %v (time limit + 4 s)", elapsed, limit)
					}
					if tc.kind == sandbox.KindTimeout && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("got %v, want it to match context.DeadlineExceeded", err)
					}
					// A good module queued behind the bomb still runs.
					good := compile(t, rt, sandboxtest.Linear)
					res, err := good.Run(context.Background(), sandbox.Input{Columns: testCols, Outputs: 1})
					if err != nil {
						t.Fatalf("good module after the bomb: %v", err)
					}
					assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(testCols, 1))
				})
			}
		})
	}
}

// TestCloseDuringCompile: in process, a compilation stopped by its time
// limit goes on in the background (wazero cannot interrupt one), and
// closing the Runtime under it made wazero panic on the host ("assignment
// to entry in nil map" in its engine's cache). Close now waits for it.
func TestCloseDuringCompile(t *testing.T) {
	rt, err := sandbox.NewRuntime(context.Background(), sandbox.Config{Limits: sandbox.Limits{Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.Compile(context.Background(), sandboxtest.SlowCompile(4, 4000))
	if got := sandbox.KindOf(err); got != sandbox.KindTimeout {
		t.Fatalf("Compile: got %v (kind %q), want a timeout", err, got)
	}
	if err := rt.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Before, the compilation went on after Close and panicked within
	// about half a second; leave it the time to.
	time.Sleep(time.Second)
}
