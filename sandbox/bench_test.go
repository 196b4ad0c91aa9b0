package sandbox_test

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

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

// cpuTime is the CPU time used so far by this process and its waited-for
// children: on a machine shared with other jobs it measures work where wall
// time measures contention.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	d := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return d(self.Utime) + d(self.Stime) + d(children.Utime) + d(children.Stime)
}

// nativeCPU is the median CPU time of the native linear model on cols.
func nativeCPU(cols [][]float64) time.Duration {
	var ts []time.Duration
	for range 5 {
		start := cpuTime()
		_ = sandboxtest.WeightedPredict(cols, 1)
		ts = append(ts, cpuTime()-start)
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

// nativeTime is the median of 5 runs of the native linear model on cols:
// each sandboxed benchmark measures it next to itself and reports its own
// time per op as a multiple of it ("x-native"), so ratios are side by side
// on a noisy machine.
func nativeTime(cols [][]float64) time.Duration {
	var ts []time.Duration
	for range 5 {
		start := time.Now()
		_ = sandboxtest.WeightedPredict(cols, 1)
		ts = append(ts, time.Since(start))
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

// BenchmarkLinear is the acceptance benchmark: a 20-weight linear model on
// 1e6 rows x 20 features, warm (module compiled, features prepared once),
// natively in Go and sandboxed, C and Go guests, in both isolation modes.
func BenchmarkLinear(b *testing.B) {
	const features, rows = 20, 1_000_000
	cols := randomColumns(features, rows, 11)
	want := sandboxtest.WeightedPredict(cols, 1)
	feats, err := sandbox.NewFeatures(cols)
	if err != nil {
		b.Fatal(err)
	}
	defer feats.Close()
	b.Run("native", func(b *testing.B) {
		for b.Loop() {
			_ = sandboxtest.WeightedPredict(cols, 1)
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	for _, mode := range modes {
		for _, guest := range []string{sandboxtest.CLinear, sandboxtest.GoLinear} {
			b.Run(mode.name+"/"+guest, func(b *testing.B) {
				rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: b.TempDir()})
				m := compile(b, rt, guest)
				in := sandbox.Input{Features: feats, Outputs: 1}
				res, err := m.Run(context.Background(), in) // warm up
				if err != nil {
					b.Fatal(err)
				}
				if !bitEqual(res.Outputs, want) {
					b.Fatal("outputs differ from WeightedPredict")
				}
				native, nativeCPU := nativeTime(cols), nativeCPU(cols)
				b.ResetTimer()
				cpu0 := cpuTime()
				for b.Loop() {
					if _, err := m.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
				cpu := (cpuTime() - cpu0) / time.Duration(b.N)
				perOp := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(perOp)/float64(native), "x-native")
				b.ReportMetric(float64(cpu)/float64(nativeCPU), "cpu-x-native")
			})
		}
	}
}

// BenchmarkStart measures compiling a module: cold (empty cache) and warm
// (a new Runtime on a populated on-disk cache, as after a restart), in both
// modes.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for _, mode := range modes {
		for _, guest := range []string{sandboxtest.CLinear, sandboxtest.GoLinear} {
			wasm := sandboxtest.Wasm(guest)
			b.Run(mode.name+"/"+guest+"/cold", func(b *testing.B) {
				for b.Loop() {
					rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: b.TempDir()})
					m, err := rt.Compile(ctx, wasm)
					if err != nil {
						b.Fatal(err)
					}
					m.Close(ctx)
					rt.Close(ctx)
				}
			})
			b.Run(mode.name+"/"+guest+"/warm", func(b *testing.B) {
				dir := b.TempDir()
				rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: dir})
				compile(b, rt, guest)
				b.ResetTimer()
				for b.Loop() {
					rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: dir})
					m, err := rt.Compile(ctx, wasm)
					if err != nil {
						b.Fatal(err)
					}
					m.Close(ctx)
					rt.Close(ctx)
				}
			})
		}
	}
}

// BenchmarkEvaluate is a warm end-to-end evaluation of a 1e5-row, 20-feature
// task as the engine does it: Compile (a cache hit) and Run, features
// prepared once.
func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	const features, rows = 20, 100_000
	cols := randomColumns(features, rows, 13)
	feats, err := sandbox.NewFeatures(cols)
	if err != nil {
		b.Fatal(err)
	}
	defer feats.Close()
	for _, mode := range modes {
		for _, guest := range []string{sandboxtest.CLinear, sandboxtest.GoLinear} {
			wasm := sandboxtest.Wasm(guest)
			b.Run(mode.name+"/"+guest, func(b *testing.B) {
				rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: b.TempDir()})
				compile(b, rt, guest).Close(ctx) // populate the cache
				b.ResetTimer()
				for b.Loop() {
					m, err := rt.Compile(ctx, wasm)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := m.Run(ctx, sandbox.Input{Features: feats, Outputs: 1}); err != nil {
						b.Fatal(err)
					}
					m.Close(ctx)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/eval")
			})
		}
	}
}
