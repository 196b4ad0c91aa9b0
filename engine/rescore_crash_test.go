package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// rescoreCrashEnv carries the data dir and the corrected dataset to
// TestHelperCrashRescorer.
const rescoreCrashEnv = "VERDICT_ENGINE_RESCORE_CRASH"

// TestHelperCrashRescorer is the child process of TestRescoreCrash: it
// rescores the task "contest" on a corrected dataset and kills itself
// with SIGKILL right after the first re-run is recorded, as a kill -9
// during `verdict task rescore` would.
func TestHelperCrashRescorer(t *testing.T) {
	env := os.Getenv(rescoreCrashEnv)
	if env == "" {
		return // not the child
	}
	dir, data, _ := strings.Cut(env, string(os.PathListSeparator))
	engine.SetRescoreHooks(func(id string) {
		fmt.Printf("rescored %s\n", id)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}, nil)
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	_, err = e.Rescore(ctx, "contest", engine.RescoreOptions{Dataset: data})
	t.Fatalf("Rescore returned (%v) instead of being killed", err)
}

// TestRescoreCrash is the acceptance line "a crash mid-rescore resumes
// without double work" with a real crash: a child process is killed with
// SIGKILL after its first re-run; a new engine resumes the rescore, runs
// each of the two others once and never the first again, and the report
// covers all three.
func TestRescoreCrash(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, _ := contest(t, "", engine.Config{DataDir: dir})
	ids := map[string]string{}
	for _, s := range []struct {
		who    string
		module []byte
	}{{"ada", linear}, {"bob", cmodel}, {"cy", konst}} {
		ids[mustSubmit(t, e, s.who, s.module).ID] = s.who
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	fixed := fixedData(t, func(a, b, _ float64) float64 { return math.Max(a, b) }, nil)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashRescorer$", "-test.count=1")
	cmd.Env = append(os.Environ(), rescoreCrashEnv+"="+dir+string(os.PathListSeparator)+fixed)
	out, err := cmd.Output()
	var ee *exec.ExitError
	first, _ := strings.CutPrefix(strings.TrimSpace(string(out)), "rescored ")
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL || ids[first] == "" {
		t.Fatalf("child: got %v, output %q; want killed by SIGKILL after one re-run", err, out)
	}

	var mu sync.Mutex
	runs := map[string]int{}
	engine.SetRescoreHooks(nil, func(id string) {
		mu.Lock()
		runs[id]++
		mu.Unlock()
	})
	t.Cleanup(func() { engine.SetRescoreHooks(nil, nil) })
	e, err = engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	if _, err := e.Verify(ctx, "contest", engine.VerifyOptions{}); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Verify with the rescore unfinished: got %v, want ErrBadRequest", err)
	}
	rep, err := e.Rescore(ctx, "contest", engine.RescoreOptions{Dataset: fixed})
	if err != nil {
		t.Fatalf("resumed Rescore: %v", err)
	}
	if !rep.Resumed || rep.Ran != 2 || rep.Rescored != 3 || len(rep.Changes) != 3 || len(rep.Ranks) != 4 {
		t.Errorf("resumed report: got %+v; want resumed, 2 ran, 3 rescored, 3 scores and 4 ranks changed", rep)
	}
	if runs[first] != 0 || len(runs) != 2 {
		t.Errorf("re-runs after the crash: got %v; want each submission but %s (%s) once", runs, first, ids[first])
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("submission %s re-run %d times after the crash, want 1", id, n)
		}
	}
	vr, err := e.Verify(ctx, "contest", engine.VerifyOptions{})
	if err != nil || !vr.OK() || vr.Checked != 3 {
		t.Errorf("Verify after: got %+v, %v; want 3 reproduced", vr, err)
	}
}
