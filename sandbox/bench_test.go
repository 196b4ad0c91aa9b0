package sandbox_test

import (
	"context"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// BenchmarkRun scores the linear fixture on 30 features x 100,000 rows,
// sandboxed (instantiate + _initialize + 25 batches per op) and natively
// (the same arithmetic in Go), reporting rows/s for each.
func BenchmarkRun(b *testing.B) {
	const features, rows = 30, 100_000
	cols := randomColumns(features, rows, 7)
	b.Run("sandboxed", func(b *testing.B) {
		rt := newRuntime(b, sandbox.Config{})
		m := compile(b, rt, sandboxtest.Linear)
		in := sandbox.Input{Columns: cols, Outputs: 1}
		b.ResetTimer()
		for b.Loop() {
			if _, err := m.Run(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("native", func(b *testing.B) {
		for b.Loop() {
			_ = sandboxtest.LinearPredict(cols, 1)
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
