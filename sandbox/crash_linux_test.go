package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestChildCrashMessage crashes the child of Process isolation while it
// compiles (SIGQUIT: the Go runtime prints every goroutine's stack and
// exits). The error is the host's (kind crash) and carries none of the
// child's own stderr: a Go crash trace of the host's code is for the host
// log, never for the participant (before, it was quoted as "guest
// stderr").
func TestChildCrashMessage(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Isolation: sandbox.Process, Limits: sandbox.Limits{Timeout: time.Minute}})
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if pids := rt.ChildPIDs(); len(pids) > 0 {
				time.Sleep(300 * time.Millisecond) // well into the compilation
				for _, pid := range pids {
					_ = syscall.Kill(pid, syscall.SIGQUIT)
				}
				return
			}
		}
	}()
	m, err := rt.Compile(context.Background(), sandboxtest.SlowCompile(64, 4000))
	if err == nil {
		m.Close(context.Background())
		t.Fatal("Compile: got success, want the child's crash")
	}
	if got := sandbox.KindOf(err); got != sandbox.KindCrash {
		t.Fatalf("got %v (kind %q), want kind %q", err, got, sandbox.KindCrash)
	}
	var e *sandbox.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *sandbox.Error", err)
	}
	for _, leak := range []string{"goroutine", "SIGQUIT", "PC=", "guest stderr"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("participant's message %q: contains %q from the child's crash trace", err, leak)
		}
	}
	if e.Stderr != "" {
		t.Errorf("Error.Stderr = %q, want empty (the child's stderr is not the guest's)", e.Stderr)
	}
	if !strings.Contains(err.Error(), "not the model's fault") {
		t.Errorf("error %q: want it to say it is not the model's fault", err)
	}
}
