package bench

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/examples/breast-cancer/logreg"
	"github.com/verdictlab/verdict/sandbox"
)

// features makes rows of the breast-cancer model's 30 features, column-major.
func features(rows int) (flat []float64, cols [][]float64) {
	r := rand.New(rand.NewPCG(1, 2))
	flat = make([]float64, rows*logreg.NumFeatures)
	for j := range logreg.NumFeatures {
		for i := range rows {
			flat[j*rows+i] = logreg.Mean[j] + logreg.Scale[j]*r.NormFloat64()
		}
		cols = append(cols, flat[j*rows:(j+1)*rows])
	}
	return flat, cols
}

// BenchmarkInference runs the breast-cancer example models on the same
// rows: the Go logistic regression natively, and in the sandbox the Go
// (GOOS=wasip1) and C (clang wasm32-wasi, a naive Bayes model of similar
// cost) guests, in both isolation modes, warm. Compare rows/s within one
// run. The acceptance benchmark, with the same model native and guest and
// the ratios computed side by side, is sandbox's BenchmarkLinear.
func BenchmarkInference(b *testing.B) {
	for _, rows := range []int{1_000, 100_000, 1_000_000} {
		flat, cols := features(rows)
		b.Run(fmt.Sprintf("rows=%d/native-go", rows), func(b *testing.B) {
			y := make([]float64, rows)
			for b.Loop() {
				logreg.Predict(flat, rows, logreg.NumFeatures, y)
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		feats, err := sandbox.NewFeatures(cols)
		if err != nil {
			b.Fatal(err)
		}
		for _, iso := range []sandbox.Isolation{sandbox.InProcess, sandbox.Process} {
			for _, ex := range []struct{ name, path string }{
				{"wasm-go", "breast-cancer/go-logreg/model.wasm"},
				{"wasm-c", "breast-cancer/c-model/model.wasm"},
			} {
				b.Run(fmt.Sprintf("rows=%d/%s/%s", rows, isolationName(iso), ex.name), func(b *testing.B) {
					ctx := context.Background()
					wasm, err := fs.ReadFile(examples.FS, ex.path)
					if err != nil {
						b.Fatal(err)
					}
					rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: b.TempDir(), Isolation: iso})
					if err != nil {
						b.Fatal(err)
					}
					defer rt.Close(ctx)
					m, err := rt.Compile(ctx, wasm)
					if err != nil {
						b.Fatal(err)
					}
					in := sandbox.Input{Features: feats, Outputs: 1}
					if _, err := m.Run(ctx, in); err != nil { // warm up
						b.Fatal(err)
					}
					b.ResetTimer()
					for b.Loop() {
						if _, err := m.Run(ctx, in); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				})
			}
		}
		feats.Close()
	}
}

func isolationName(iso sandbox.Isolation) string {
	if iso == sandbox.InProcess {
		return "in-process"
	}
	return string(iso)
}

// BenchmarkMetric measures scoring throughput of the spine's metrics.
func BenchmarkMetric(b *testing.B) {
	const rows = 1_000_000
	r := rand.New(rand.NewPCG(3, 4))
	truth, prob, val := make([]float64, rows), make([]float64, rows), make([]float64, rows)
	mc := [][]float64{make([]float64, rows), make([]float64, rows), make([]float64, rows)}
	cls := make([]float64, rows)
	for i := range rows {
		prob[i] = r.Float64()
		if r.Float64() < prob[i] {
			truth[i] = 1
		}
		val[i] = truth[i] + r.NormFloat64()
		a, c := r.Float64(), r.Float64()
		lo, hi := min(a, c), max(a, c)
		mc[0][i], mc[1][i], mc[2][i] = lo, hi-lo, 1-hi
		cls[i] = float64(r.IntN(3))
	}
	cases := []struct {
		name string
		in   metric.Input
	}{
		{"roc_auc", metric.Input{Type: metric.Binary, Truth: truth, Pred: [][]float64{prob}}},
		{"log_loss", metric.Input{Type: metric.Binary, Truth: truth, Pred: [][]float64{prob}}},
		{"accuracy", metric.Input{Type: metric.Binary, Truth: truth, Pred: [][]float64{prob}}},
		{"f1_macro", metric.Input{Type: metric.Multiclass, Truth: cls, Pred: mc}},
		{"rmse", metric.Input{Type: metric.Regression, Truth: truth, Pred: [][]float64{val}}},
		{"mae", metric.Input{Type: metric.Regression, Truth: truth, Pred: [][]float64{val}}},
		{"r2", metric.Input{Type: metric.Regression, Truth: truth, Pred: [][]float64{val}}},
	}
	for _, tc := range cases {
		m, err := metric.Lookup(tc.name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/rows=%d", tc.name, rows), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Score(tc.in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
