package sandbox_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCorpus runs the adversarial corpus through one Runtime per isolation
// mode: each entry must fail with its typed error within its time limit
// plus one second (a recursion runs under a generous limit, as it ends at
// wazero's stack ceiling, fast or slow depending on the machine and the
// race detector), and afterwards the goroutine count and RSS are back near
// their baseline and a good model still scores bit-exactly.
func TestCorpus(t *testing.T) {
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	corpus := []struct {
		name string
		wasm []byte
		want error
		outs int  // 0 means 1
		slow bool // under slowLimits: the outcome must not depend on the machine's speed
	}{
		{"InfiniteLoopPredict", sandboxtest.Wasm(sandboxtest.LoopPredict), sandbox.ErrTimeout, 0, false},
		{"InfiniteLoopInitialize", sandboxtest.Wasm(sandboxtest.LoopInit), sandbox.ErrTimeout, 0, false},
		{"InfiniteLoopStart", sandboxtest.Wasm(sandboxtest.LoopStart), sandbox.ErrTimeout, 0, false},
		{"MemoryGrowBomb", sandboxtest.Wasm(sandboxtest.GrowBomb), sandbox.ErrMemoryLimit, 0, false},
		{"HugeInitialMemory", sandboxtest.Wasm(sandboxtest.HugeMemory), sandbox.ErrMemoryLimit, 0, false},
		{"HugeTable", sandboxtest.Wasm(sandboxtest.TableBomb), sandbox.ErrMemoryLimit, 0, false},
		{"DeepRecursion", sandboxtest.Wasm(sandboxtest.Recursion), sandbox.ErrStackOverflow, 0, true},
		{"Unreachable", sandboxtest.Wasm(sandboxtest.Trap), sandbox.ErrTrap, 0, false},
		{"OutOfBoundsWrite", sandboxtest.Wasm(sandboxtest.OOB), sandbox.ErrOutOfBounds, 0, false},
		{"ProcExit", sandboxtest.Wasm(sandboxtest.ProcExit), sandbox.ErrExit, 0, false},
		{"StdoutBomb", sandboxtest.Wasm(sandboxtest.StdoutBomb), sandbox.ErrOutputLimit, 0, false},
		{"AllocReturnsZero", sandboxtest.Wasm(sandboxtest.AllocNull), sandbox.ErrABI, 0, false},
		{"AllocOutOfRange", sandboxtest.Wasm(sandboxtest.BadAlloc), sandbox.ErrABI, 0, false},
		{"WrongOutputCount", sandboxtest.Wasm(sandboxtest.WrongOuts), sandbox.ErrBadOutput, 3, false},
		{"NaNOutput", sandboxtest.Wasm(sandboxtest.NaN), sandbox.ErrBadOutput, 0, false},
		{"ForbiddenImport", sandboxtest.Wasm(sandboxtest.ForbiddenImport), sandbox.ErrForbiddenImport, 0, false},
		{"NotWasm", []byte("#!/bin/sh\nrm -rf /\n"), sandbox.ErrInvalidModule, 0, false},
		{"Truncated", linear[:len(linear)-7], sandbox.ErrInvalidModule, 0, false},
		{"TooBig", make([]byte, fastLimits.WithDefaults().MaxModuleBytes+1), sandbox.ErrInvalidModule, 0, false},
		{"BatchOrderDependent", sandboxtest.Wasm(sandboxtest.Stateful), sandbox.ErrNondeterministic, 0, false},
	}
	cols := randomColumns(3, 500, 5)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			// One worker: Process keeps as many idle children as workers,
			// and the goroutines waiting for them count.
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: fastLimits, Workers: 1})
			slowRT := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: slowLimits, Workers: 1})
			good := func(rt *sandbox.Runtime) {
				t.Helper()
				m, err := rt.Compile(ctx, linear)
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close(ctx)
				res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1})
				if err != nil {
					t.Fatalf("good model: %v", err)
				}
				assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(cols, 1))
			}
			compileGoFixtures() // quiesce the background compilation first
			good(rt)
			good(slowRT) // each Process pool has its idle child
			goroutines, rss := runtime.NumGoroutine(), residentBytes(t)
			for _, tc := range corpus {
				t.Run(tc.name, func(t *testing.T) {
					start := time.Now()
					run, limits := rt, fastLimits
					if tc.slow {
						run, limits = slowRT, slowLimits
					}
					err := func() error {
						m, err := run.Compile(ctx, tc.wasm)
						if err != nil {
							return err
						}
						defer m.Close(ctx)
						_, err = sandbox.CheckDeterminism(ctx, m, sandbox.Input{Columns: cols, Outputs: max(1, tc.outs), BatchRows: 64}, 9)
						return err
					}()
					elapsed := time.Since(start)
					if !errors.Is(err, tc.want) {
						t.Fatalf("got %v, want %v", err, tc.want)
					}
					if kind := sandbox.KindOf(err); kind == sandbox.KindInternal || kind == sandbox.KindCrash {
						t.Errorf("KindOf: got %q, want the model's fault", kind)
					}
					if !strings.HasPrefix(err.Error(), "sandbox: ") || len(err.Error()) < 30 {
						t.Errorf("error %q: want a sentence for the participant", err)
					}
					bound := limits.Timeout + time.Second
					if elapsed > bound {
						t.Errorf("took %v, want at most %v", elapsed, bound)
					}
				})
			}
			good(rt) // the next submission still runs, and correctly
			runtime.GC()
			debug.FreeOSMemory()
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := runtime.NumGoroutine(); got > goroutines {
				t.Errorf("goroutines: got %d, want <= %d", got, goroutines)
			}
			// Every child that served a failed run is gone: only the
			// pools' idle children are left (the Go fixtures' included).
			want := len(rt.IdleChildren()) + len(slowRT.IdleChildren())
			for _, set := range goFixtures {
				if set.rt != nil {
					want += len(set.rt.IdleChildren())
				}
			}
			if got := childProcesses(t); got > want {
				t.Errorf("child processes: got %d, want the %d idle ones", got, want)
			}
			// The race detector never returns its shadow memory to the OS,
			// so RSS only falls back without it.
			if got := residentBytes(t); !raceEnabled && got > rss+128<<20 {
				t.Errorf("RSS: got %d MiB, want <= %d MiB + 128 MiB", got>>20, rss>>20)
			}
		})
	}
}

// childProcesses counts the live child processes of this process (from
// /proc; 0 where there is none).
func childProcesses(t *testing.T) int {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) && f[0] != "Z" {
			n++
		}
	}
	return n
}

// residentBytes reads this process's RSS from /proc/self/statm.
func residentBytes(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * uint64(os.Getpagesize())
}
