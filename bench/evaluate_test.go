package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/examples/breast-cancer/logreg"
)

// BenchmarkEvaluateTask is a warm end-to-end evaluation through the
// engine, as a participant's submission goes: a 1e5-row binary task with
// the breast-cancer columns (rows drawn around the real data's means,
// labels drawn from the example model's own probabilities), one
// submission of an example model per iteration from a new participant, so
// each is recorded, queued, run in the sandbox (the module compiled
// before, in Process a pooled child), scored with bootstrap intervals on
// both parts, its diagnostics drawn and the result committed. ms/eval is
// the latency a participant waits for a score.
func BenchmarkEvaluateTask(b *testing.B) {
	const rows = 100_000
	ctx := context.Background()
	dir := b.TempDir()
	spec := writeTask(b, dir, rows)
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	if _, err := e.CreateTask(ctx, spec); err != nil {
		b.Fatal(err)
	}
	for _, ex := range []struct{ name, path string }{
		{"wasm-go", "breast-cancer/go-logreg/model.wasm"},
		{"wasm-c", "breast-cancer/c-model/model.wasm"},
	} {
		wasm, err := fs.ReadFile(examples.FS, ex.path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		submit := func() {
			n++
			sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "bench", Participant: fmt.Sprintf("%s-%d", ex.name, n), Module: wasm})
			if err != nil || sub.Status != "scored" {
				b.Fatalf("Submit: %+v, %v", sub, err)
			}
		}
		b.Run(fmt.Sprintf("rows=%d/%s/warm", rows, ex.name), func(b *testing.B) {
			submit() // compiles the module and warms the pool
			b.ResetTimer()
			for b.Loop() {
				submit()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/eval")
		})
	}
}

// writeTask writes a rows-row binary task in the breast-cancer columns
// under dir and returns its spec's path.
func writeTask(b *testing.B, dir string, rows int) string {
	b.Helper()
	real, err := fs.ReadFile(examples.FS, "data/breast_cancer_test.csv")
	if err != nil {
		b.Fatal(err)
	}
	header, _, _ := bytes.Cut(real, []byte("\n"))
	flat, _ := features(rows)
	p := make([]float64, rows)
	logreg.Predict(flat, rows, logreg.NumFeatures, p)
	r := rand.New(rand.NewPCG(5, 6))

	f, err := os.Create(filepath.Join(dir, "test.csv"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.Write(header)
	w.WriteByte('\n')
	var buf []byte
	for i := range rows {
		buf = append(buf[:0], fmt.Sprintf("r%06d", i)...)
		for j := range logreg.NumFeatures {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, flat[j*rows+i], 'g', -1, 64)
		}
		label := byte('0')
		if r.Float64() < p[i] {
			label = '1'
		}
		buf = append(buf, ',', label, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	spec := filepath.Join(dir, "task.yaml")
	yaml := "id: bench\ntype: binary\nmetric: roc_auc\ndata: {test: test.csv, id: id, label: target}\nsplit: {public_fraction: 0.3, seed: bench}\n"
	if err := os.WriteFile(spec, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	return spec
}
