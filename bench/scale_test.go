package bench

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox"
)

// BenchmarkSubmission is the ratio issue #13 asks for: a whole submission
// through the engine (queue, sandbox, both parts' scores and intervals,
// diagnostics, store) next to the sandbox run alone, on the same rows,
// timed in the same iteration. The task is writeTask's (the breast-cancer
// columns, binary, roc_auc, 30 % public) and the model the C example.
//
//   - warm: the engine has the task's dataset open (a server's steady state).
//   - cold: a new engine on the same data dir per submission, as each CLI
//     command is, so the stored dataset is opened and checked again.
//
// e2e/sandbox is the submission's time over the sandbox run's; sandbox-ms
// and e2e-ms are per submission.
func BenchmarkSubmission(b *testing.B) {
	for _, rows := range []int{100_000, 1_000_000} {
		benchSubmission(b, rows)
	}
}

func benchSubmission(b *testing.B, rows int) {
	ctx := context.Background()
	dir := b.TempDir()
	spec := writeTask(b, dir, rows)
	cfg := engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache")}
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, spec); err != nil {
		b.Fatal(err)
	}
	wasm, err := fs.ReadFile(examples.FS, "breast-cancer/c-model/model.wasm")
	if err != nil {
		b.Fatal(err)
	}
	_, cols := features(rows)
	feats, err := sandbox.NewFeatures(cols)
	if err != nil {
		b.Fatal(err)
	}
	defer feats.Close()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: cfg.CacheDir, Isolation: sandbox.Preferred()})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.Compile(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	runSandbox := func() time.Duration {
		t0 := time.Now()
		if _, err := mod.Run(ctx, sandbox.Input{Features: feats, Outputs: 1}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	n := 0
	submit := func(e *engine.Engine) time.Duration {
		n++
		t0 := time.Now()
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "bench", Participant: fmt.Sprintf("p%d", n), Module: wasm})
		if err != nil || sub.Status != "scored" {
			b.Fatalf("Submit: %+v, %v", sub, err)
		}
		return time.Since(t0)
	}
	runSandbox()
	submit(e) // compiles the module and warms the pool

	for _, mode := range []string{"warm", "cold"} {
		b.Run(fmt.Sprintf("rows=%d/%s", rows, mode), func(b *testing.B) {
			var sb, e2e time.Duration
			for b.Loop() {
				sb += runSandbox()
				if mode == "warm" {
					e2e += submit(e)
					continue
				}
				t0 := time.Now()
				if err := e.Close(ctx); err != nil {
					b.Fatal(err)
				}
				if e, err = engine.Open(ctx, cfg); err != nil {
					b.Fatal(err)
				}
				submit(e)
				e2e += time.Since(t0)
			}
			b.ReportMetric(float64(sb.Milliseconds())/float64(b.N), "sandbox-ms")
			b.ReportMetric(float64(e2e.Milliseconds())/float64(b.N), "e2e-ms")
			b.ReportMetric(float64(e2e)/float64(sb), "e2e/sandbox")
		})
	}
	if err := e.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
