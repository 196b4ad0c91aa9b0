//go:build linux

package sandbox_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestChildPool checks the life of Process isolation's children: one
// child serves run after run, failed ones included; a run that hits the
// deadline retires it; a child killed while idle is replaced without the
// caller noticing; Close ends them all.
func TestChildPool(t *testing.T) {
	ctx := context.Background()
	rt, err := sandbox.NewRuntime(ctx, withChild(sandbox.Config{Isolation: sandbox.Process, Limits: fastLimits, Workers: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	linear := compile(t, rt, sandboxtest.Linear)
	trap := compile(t, rt, sandboxtest.Trap)
	loop := compile(t, rt, sandboxtest.LoopPredict)
	run := func(m *sandbox.Module) error {
		t.Helper()
		res, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 2})
		if err == nil {
			assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(testCols, 2))
		}
		return err
	}
	idle := func() int {
		t.Helper()
		pids := rt.IdleChildren()
		if len(pids) != 1 {
			t.Fatalf("idle children: got %v, want one", pids)
		}
		return pids[0]
	}

	if err := run(linear); err != nil {
		t.Fatal(err)
	}
	first := idle()
	if err := run(linear); err != nil {
		t.Fatal(err)
	}
	if got := idle(); got != first {
		t.Errorf("second run: child %d, want %d again", got, first)
	}

	t.Run("KeptAfterGuestError", func(t *testing.T) {
		if err := run(trap); !errors.Is(err, sandbox.ErrTrap) {
			t.Fatalf("got %v, want ErrTrap", err)
		}
		if got := idle(); got != first {
			t.Errorf("after a trap: child %d, want %d again", got, first)
		}
	})

	t.Run("RetiredAfterTimeout", func(t *testing.T) {
		if err := run(loop); !errors.Is(err, sandbox.ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
		if pids := rt.IdleChildren(); slices.Contains(pids, first) {
			t.Errorf("idle children %v: want %d retired", pids, first)
		}
		if alive(first) {
			t.Errorf("child %d still alive", first)
		}
	})

	t.Run("KilledWhileIdle", func(t *testing.T) {
		if err := run(linear); err != nil {
			t.Fatal(err)
		}
		victim := idle()
		if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := run(linear); err != nil {
			t.Fatalf("run after the idle child was killed: %v", err)
		}
		if got := idle(); got == victim {
			t.Errorf("child: got the killed %d, want a new one", got)
		}
	})

	t.Run("Close", func(t *testing.T) {
		pid := idle()
		if err := rt.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if alive(pid) {
			t.Errorf("child %d alive after Close", pid)
		}
		if err := run(linear); !errors.Is(err, sandbox.ErrClosed) {
			t.Errorf("run after Close: got %v, want ErrClosed", err)
		}
	})
}

// alive reports whether process pid exists (and is not a zombie: the pool
// waits for its children).
func alive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
