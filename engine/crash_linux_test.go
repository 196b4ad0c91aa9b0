package engine_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// sandboxChildren returns the process ids of this process's sandbox
// children (Process isolation, which the engine uses on Linux).
func sandboxChildren(t *testing.T) []int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if bytes.Contains(cmdline, []byte(sandbox.ChildArg)) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestChildCrashNotCharged: a sandbox child that crashes while compiling
// (SIGQUIT: the Go runtime dumps every goroutine and exits) is the host's
// failure: kind crash, a message with none of the child's trace, and not
// charged to the submitter's quota. Before, kind crash was charged (only
// "host" was refunded) and the trace was quoted as guest stderr.
func TestChildCrashNotCharged(t *testing.T) {
	e, _ := contest(t, "limits: {daily_limit: 1, timeout_s: 60}\n", engine.Config{Workers: 1})
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if pids := sandboxChildren(t); len(pids) > 0 {
				time.Sleep(300 * time.Millisecond)
				for _, pid := range pids {
					_ = syscall.Kill(pid, syscall.SIGQUIT)
				}
				return
			}
		}
	}()
	sub, _ := submit(t, e, "ada", sandboxtest.SlowCompile(64, 4000))
	if sub == nil || sub.Status != "failed" || sub.Error == nil || sub.Error.Kind != "crash" {
		t.Fatalf("got %+v, want failed with kind crash", sub)
	}
	for _, leak := range []string{"goroutine", "SIGQUIT", "guest stderr"} {
		if strings.Contains(sub.Error.Message, leak) {
			t.Errorf("participant's message %q contains %q", sub.Error.Message, leak)
		}
	}
	if again, err := submit(t, e, "ada", linear); err != nil || again.Status != "scored" {
		t.Errorf("after a sandbox crash: got %+v, %v; want the slot refunded and the next model scored", again, err)
	}
}
