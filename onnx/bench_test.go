package onnx_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdictlab/verdict/internal/onnxtest"
	"github.com/verdictlab/verdict/onnx"
	"github.com/verdictlab/verdict/sandbox"
)

// BenchmarkCompile measures compiling the runtime (run with -benchtime=1x:
// a cold compile takes minutes on a loaded machine): cold, with an empty
// cache directory; warm, a new Runtime on a filled cache directory (what a
// restarted host pays); shared, another packed model on a Runtime that
// holds the runtime's code (decode and validate only).
func BenchmarkCompile(b *testing.B) {
	if testing.Short() {
		b.Skip("compiles the 25 MB runtime")
	}
	ctx := context.Background()
	limits := sandbox.Limits{CompileTimeout: 60 * time.Minute}
	packed := func(name string) []byte {
		model, err := os.ReadFile(filepath.Join("testdata", name+".onnx"))
		if err != nil {
			b.Fatal(err)
		}
		w, err := onnx.Pack(model)
		if err != nil {
			b.Fatal(err)
		}
		return w
	}
	dir := b.TempDir()
	b.Run("cold", func(b *testing.B) {
		for i := range b.N {
			rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: filepath.Join(dir, "cold", string(rune('a'+i))), Limits: limits})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rt.Compile(ctx, packed("logistic")); err != nil {
				b.Fatal(err)
			}
			_ = rt.Close(ctx)
		}
	})
	warm := filepath.Join(dir, "warm")
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: warm, Limits: limits})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := rt.Compile(ctx, packed("logistic")); err != nil {
		b.Fatal(err)
	}
	_ = rt.Close(ctx)
	b.Run("warm", func(b *testing.B) {
		for range b.N {
			rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: warm, Limits: limits})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rt.Compile(ctx, packed("mlp")); err != nil {
				b.Fatal(err)
			}
			_ = rt.Close(ctx)
		}
	})
	b.Run("shared", func(b *testing.B) {
		rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: warm, Limits: limits})
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close(ctx)
		if _, err := rt.Compile(ctx, onnx.Runtime()); err != nil {
			b.Fatal(err)
		}
		models := []string{"mlp", "tree_binary", "tree_multiclass", "tree_regressor", "linear_binary"}
		b.ResetTimer()
		for i := range b.N {
			m, err := rt.Compile(ctx, packed(models[i%len(models)]))
			if err != nil {
				b.Fatal(err)
			}
			_ = m.Close(ctx)
		}
	})
}

// BenchmarkRun is rows/s of the sandboxed runtime (in process) on a
// 500-tree XGBoost-shaped ensemble (depth 6, 20 features) and a 3-layer
// MLP (20-64-64-1), 4096 rows per Run; guests/onnx's BenchmarkPredictNative
// runs the same models natively.
func BenchmarkRun(b *testing.B) {
	r := runtime(b)
	ctx := context.Background()
	const rows, feats = 4096, 20
	cols := make([][]float64, feats)
	for j := range cols {
		cols[j] = make([]float64, rows)
		for i := range rows {
			cols[j][i] = math.Sin(float64(i*feats+j)*0.37) * 2.5
		}
	}
	for _, name := range []string{"bench_trees500", "bench_mlp3"} {
		b.Run(name, func(b *testing.B) {
			model, err := os.ReadFile(filepath.Join("testdata", name+".onnx"))
			if err != nil {
				b.Fatal(err)
			}
			w, err := onnx.Pack(model)
			if err != nil {
				b.Fatal(err)
			}
			m, err := r.Compile(ctx, w)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close(ctx)
			var predict time.Duration
			b.ResetTimer()
			for range b.N {
				res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1})
				if err != nil {
					b.Fatal(err)
				}
				predict += res.PredictTime
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows*b.N)/predict.Seconds(), "predict-rows/s")
		})
	}
}

// BenchmarkCorpusRun is rows/s of the sandboxed runtime (in process) on
// the corpus models internal/onnxtest's BenchmarkORT times in ONNX
// Runtime (node, native, one thread), on the same rows: run both in one
// go test command for the side by side.
func BenchmarkCorpusRun(b *testing.B) {
	r := runtime(b)
	ctx := context.Background()
	for _, name := range []string{"xgb500_diabetes", "xgb500_breast_cancer", "torch_mlp_diabetes"} {
		b.Run(name, func(b *testing.B) {
			var m onnxtest.Model
			for _, c := range onnxtest.Corpus(b) {
				if c.Name == name {
					m = c
				}
			}
			model, err := os.ReadFile(m.Path)
			if err != nil {
				b.Fatal(err)
			}
			w, err := onnx.Pack(model)
			if err != nil {
				b.Fatal(err)
			}
			mod, err := r.Compile(ctx, w)
			if err != nil {
				b.Fatal(err)
			}
			defer mod.Close(ctx)
			rows := len(m.Rows)
			cols := make([][]float64, len(m.Rows[0]))
			for j := range cols {
				for _, row := range m.Rows {
					cols[j] = append(cols[j], row[j])
				}
			}
			outs := 1
			if name == "xgb500_breast_cancer" {
				outs = 2
			}
			var predict time.Duration
			b.ResetTimer()
			for range b.N {
				res, err := mod.Run(ctx, sandbox.Input{Columns: cols, Outputs: outs})
				if err != nil {
					b.Fatal(err)
				}
				predict += res.PredictTime
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows*b.N)/predict.Seconds(), "predict-rows/s")
		})
	}
}
