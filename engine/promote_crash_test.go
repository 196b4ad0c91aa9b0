package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// promoteCrashEnv carries the data dir to TestHelperCrashPromoter.
const promoteCrashEnv = "VERDICT_ENGINE_PROMOTE_CRASH"

// TestHelperCrashPromoter is the child process of TestPromoteCrash: it
// promotes the closed task "contest" and kills itself with SIGKILL right
// after the first credential is written, as a kill -9 during `task close`
// would.
func TestHelperCrashPromoter(t *testing.T) {
	dir := os.Getenv(promoteCrashEnv)
	if dir == "" {
		return // not the child
	}
	engine.SetIssuedHook(func(rank int) {
		fmt.Printf("issued %d\n", rank)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	})
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	_, err = e.Promote(ctx, "contest")
	t.Fatalf("Promote returned (%v) instead of being killed", err)
}

// TestPromoteCrash kills a promoting child with SIGKILL once it has
// written the credential of place 1 of 3 (before the status list, before
// recording the place), then restarts the engine and completes the
// promotion, by Promote or by Recover: places 1 to 3 each end up with
// exactly one credential, with distinct status indexes, each verifying
// against the status list; running Promote and Recover again issues
// nothing more.
func TestPromoteCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process and every model of four participants")
	}
	for _, resume := range []string{"Promote", "Recover"} {
		t.Run(resume, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "data")
			e, _ := contest(t, "promote_top: 3\n", engine.Config{DataDir: dir})
			for _, s := range []struct {
				who    string
				module []byte
			}{{"ada", linear}, {"bob", cmodel}, {"cy", konst}, {"dee", variant(linear, 1)}} {
				mustSubmit(t, e, s.who, s.module)
			}
			if err := engine.FreezeTask(e, "contest"); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(ctx); err != nil {
				t.Fatal(err)
			}

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashPromoter$", "-test.count=1")
			cmd.Env = append(os.Environ(), promoteCrashEnv+"="+dir)
			out, err := cmd.Output()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL || !strings.Contains(string(out), "issued 1\n") {
				t.Fatalf("child: got %v, output %q; want killed by SIGKILL after issuing place 1", err, out)
			}

			e, err = engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			// The OnCertified hooks (the marketplace) are told of every
			// credential again, the one issued before the kill included.
			var hookMu sync.Mutex
			told := map[string]bool{}
			e.OnCertified(func(_ context.Context, c *engine.Credential) error {
				hookMu.Lock()
				defer hookMu.Unlock()
				told[c.ID] = true
				return nil
			})
			if cs, err := e.Credentials("contest"); err != nil || len(cs) != 1 {
				t.Fatalf("after the kill: got %d credentials, %v; want the one of place 1", len(cs), err)
			}
			if _, err := os.Stat(e.StatusListPath()); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("after the kill: status list %v; want none yet", err)
			}

			var want []string // credential ids, by place
			check := func(step string) {
				t.Helper()
				cs, err := e.Credentials("contest")
				if err != nil {
					t.Fatal(err)
				}
				var ranks, indexes []int
				var ids []string
				for _, c := range cs {
					ranks = append(ranks, c.Rank)
					indexes = append(indexes, c.StatusIndex)
					ids = append(ids, c.ID)
					_, err := credential.VerifyModel(ctx, c.Signed, credential.VerifyOptions{Issuer: e.HostDID(),
						StatusList: func(context.Context, string) ([]byte, error) { return os.ReadFile(e.StatusListPath()) }})
					if err != nil {
						t.Errorf("%s: place %d: %v", step, c.Rank, err)
					}
				}
				if !slices.Equal(ranks, []int{1, 2, 3}) {
					t.Errorf("%s: got credentials for places %v, want 1, 2, 3 once each", step, ranks)
				}
				slices.Sort(indexes)
				if len(slices.Compact(indexes)) != len(cs) {
					t.Errorf("%s: status indexes %v, want distinct", step, indexes)
				}
				if want == nil {
					want = ids
				} else if !slices.Equal(ids, want) {
					t.Errorf("%s: got credentials %v, want the same %v", step, ids, want)
				}
				hookMu.Lock()
				for _, id := range ids {
					if !told[id] {
						t.Errorf("%s: OnCertified hook not told of %s", step, id)
					}
				}
				hookMu.Unlock()
			}
			switch resume {
			case "Promote":
				proms, err := e.Promote(ctx, "contest")
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range proms {
					if p.Rank != i+1 || p.Credential == nil {
						t.Errorf("Promote after the kill: place %d: got %+v, want rank %d certified", i, p, i+1)
					}
				}
				if len(proms) != 3 {
					t.Errorf("Promote after the kill: got %d places, want 3", len(proms))
				}
			case "Recover":
				if _, err := e.Recover(ctx); err != nil {
					t.Fatal(err)
				}
			}
			check("completed by " + resume)
			if _, err := e.Promote(ctx, "contest"); err != nil {
				t.Fatal(err)
			}
			check("Promote again")
			if _, err := e.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			check("Recover again")
		})
	}
}
