package bench

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
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

// BenchmarkScale is issue #13's scale benchmark: a generated binary task
// (writeArrowTask: 20 uniform features, roc_auc, 30 % public; the
// sandboxtest.Linear guest) of 1e6 and 1e7 rows, and of 1e8 rows when
// VERDICT_BENCH_1E8 is set (about 20 GB of disk in the temporary
// directory, and, while datasets are held in memory, more than 32 GB of
// memory). Per row count, in one run:
//
//   - create-s, create-MiB, create-B/row: CreateTask's time and the
//     process's peak resident set while it ran (Linux), and that per row.
//   - submit-MiB, submit-B/row: the peak resident set of the first
//     submission, which opens the stored dataset (cold).
//   - sandbox-ms, e2e-ms, e2e/sandbox: warm submissions next to the
//     sandbox run alone on the same rows, timed in the same iteration.
func BenchmarkScale(b *testing.B) {
	sizes := []int{1_000_000, 10_000_000}
	if os.Getenv("VERDICT_BENCH_1E8") != "" {
		sizes = append(sizes, 100_000_000)
	}
	for _, rows := range sizes {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) { benchScale(b, rows, 20) })
	}
}

func benchScale(b *testing.B, rows, feats int) {
	ctx := context.Background()
	dir := b.TempDir()
	spec := writeArrowTask(b, dir, rows, feats, 0.3)
	cfg := engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache")}
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	MiB := func(n int64) float64 { return float64(n) / (1 << 20) }

	resetPeakRSS()
	t0 := time.Now()
	if _, err := e.CreateTask(ctx, spec); err != nil {
		b.Fatal(err)
	}
	create, createRSS := time.Since(t0), peakRSS()

	wasm := sandboxtest.Wasm(sandboxtest.Linear)
	n := 0
	submit := func() time.Duration {
		n++
		t0 := time.Now()
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "scale", Participant: fmt.Sprintf("p%d", n), Module: wasm})
		if err != nil || sub.Status != "scored" {
			b.Fatalf("Submit: %+v, %v", sub, err)
		}
		return time.Since(t0)
	}
	resetPeakRSS()
	submit() // opens the stored dataset, compiles the module
	submitRSS := peakRSS()

	cols := make([][]float64, feats)
	for j := range cols {
		cols[j] = genColumn(j, 0, rows)
	}
	in, err := sandbox.NewFeatures(cols)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: cfg.CacheDir, Isolation: sandbox.Preferred(),
		Limits: sandbox.Limits{Timeout: time.Hour}})
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
		if _, err := mod.Run(ctx, sandbox.Input{Features: in, Outputs: 1}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	runSandbox()

	var sb, e2e time.Duration
	for b.Loop() {
		sb += runSandbox()
		e2e += submit()
	}
	b.ReportMetric(create.Seconds(), "create-s")
	b.ReportMetric(MiB(createRSS), "create-MiB")
	b.ReportMetric(float64(createRSS)/float64(rows), "create-B/row")
	b.ReportMetric(MiB(submitRSS), "submit-MiB")
	b.ReportMetric(float64(submitRSS)/float64(rows), "submit-B/row")
	b.ReportMetric(float64(sb.Milliseconds())/float64(b.N), "sandbox-ms")
	b.ReportMetric(float64(e2e.Milliseconds())/float64(b.N), "e2e-ms")
	b.ReportMetric(float64(e2e)/float64(sb), "e2e/sandbox")
}
