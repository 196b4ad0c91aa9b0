package sandbox_test

import (
	"context"
	"fmt"
	"runtime"
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
// 1e3, 1e5 and 1e6 rows x 20 features, warm (module compiled, features
// prepared once, in Process a child from the pool), natively in Go and
// sandboxed, C (Guest ABI v1 and v2), Go and AssemblyScript guests, in
// both isolation modes.
// Every sandboxed case measures the native loop next to itself and
// reports, besides rows/s:
//
//   - x-native: wall time per Run over the native loop's (end to end:
//     instantiate, copy in, compute, copy out, checks; in Process also the
//     round trip to the child). The sandbox may use Config.Workers cores,
//     the native loop uses one.
//   - cpu-x-native: CPU time per Run (this process and the child) over
//     the native loop's.
//   - compute-x-native: time inside verdict_predict per Run, summed over
//     instances, over the native loop's: the guest's code alone.
//   - overhead-us/batch: wall time per Run outside verdict_predict, per
//     batch of DefaultBatchRows rows one instance runs: what the host adds
//     to each batch, the Run's fixed costs (instantiation, in Process the
//     round trip) spread over its batches.
func BenchmarkLinear(b *testing.B) {
	const features = 20
	for _, rows := range []int{1_000, 100_000, 1_000_000} {
		cols := randomColumns(features, rows, 11)
		want := sandboxtest.WeightedPredict(cols, 1)
		feats, err := sandbox.NewFeatures(cols)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rows=%d/native", rows), func(b *testing.B) {
			for b.Loop() {
				_ = sandboxtest.WeightedPredict(cols, 1)
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		for _, mode := range modes {
			for _, guest := range []string{sandboxtest.CLinear, sandboxtest.CLinearV2, sandboxtest.GoLinear, sandboxtest.ASLinear} {
				b.Run(fmt.Sprintf("rows=%d/%s/%s", rows, mode.name, guest), func(b *testing.B) {
					benchLinear(b, mode.iso, guest, feats, want)
				})
			}
		}
		feats.Close()
	}
}

func benchLinear(b *testing.B, iso sandbox.Isolation, guest string, feats *sandbox.Features, want [][]float64) {
	rows := feats.Rows()
	cols := feats.Columns()
	rt := newRuntime(b, sandbox.Config{Isolation: iso, CacheDir: b.TempDir()})
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
	cpu0, child0 := cpuTime(), rt.ChildCPU()
	var predict time.Duration
	for b.Loop() {
		res, err := m.Run(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		predict += res.PredictTime
	}
	n := time.Duration(b.N)
	cpu := (cpuTime() - cpu0 + rt.ChildCPU() - child0) / n
	perOp := b.Elapsed() / n
	// Each of the Run's instances takes an equal share of the rows and
	// batches (see Config.Workers).
	workers := max(1, min(runtime.GOMAXPROCS(0), rows/sandbox.MinRowsPerWorker))
	batches := (rows/workers + sandbox.DefaultBatchRows - 1) / sandbox.DefaultBatchRows
	overhead := perOp - predict/n/time.Duration(workers)
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(perOp)/float64(native), "x-native")
	b.ReportMetric(float64(cpu)/float64(nativeCPU), "cpu-x-native")
	b.ReportMetric(float64(predict/n)/float64(native), "compute-x-native")
	b.ReportMetric(float64(overhead)/float64(batches)/1e3, "overhead-us/batch")
}

// BenchmarkStart measures compiling a module: cold (empty cache) and warm
// (a new Runtime on a populated on-disk cache, as after a restart), in both
// modes.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for _, mode := range modes {
		for _, guest := range []string{sandboxtest.CLinear, sandboxtest.GoLinear, sandboxtest.ASLinear} {
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

// BenchmarkEvaluate is an end-to-end evaluation of a 1e5-row, 20-feature
// task as the engine does it, Compile and Run with the features prepared
// once, from three starting points: warm (the Runtime compiled the module
// before: in Process, a pooled child has it loaded), restart (a new
// Runtime on a populated on-disk cache, as after a restart: in Process, a
// new child loads the module from the cache) and cold (a new Runtime and
// an empty cache: the module is compiled).
func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	const features, rows = 20, 100_000
	cols := randomColumns(features, rows, 13)
	feats, err := sandbox.NewFeatures(cols)
	if err != nil {
		b.Fatal(err)
	}
	defer feats.Close()
	evaluate := func(b *testing.B, rt *sandbox.Runtime, wasm []byte) {
		m, err := rt.Compile(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close(ctx)
		if _, err := m.Run(ctx, sandbox.Input{Features: feats, Outputs: 1}); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range modes {
		for _, guest := range []string{sandboxtest.CLinear, sandboxtest.GoLinear, sandboxtest.ASLinear} {
			wasm := sandboxtest.Wasm(guest)
			b.Run(mode.name+"/"+guest+"/warm", func(b *testing.B) {
				rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: b.TempDir()})
				evaluate(b, rt, wasm)
				b.ResetTimer()
				for b.Loop() {
					evaluate(b, rt, wasm)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/eval")
			})
			b.Run(mode.name+"/"+guest+"/restart", func(b *testing.B) {
				dir := b.TempDir()
				evaluate(b, newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: dir}), wasm)
				b.ResetTimer()
				for b.Loop() {
					rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: dir})
					evaluate(b, rt, wasm)
					rt.Close(ctx)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/eval")
			})
			b.Run(mode.name+"/"+guest+"/cold", func(b *testing.B) {
				for b.Loop() {
					rt := newRuntime(b, sandbox.Config{Isolation: mode.iso, CacheDir: b.TempDir()})
					evaluate(b, rt, wasm)
					rt.Close(ctx)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/eval")
			})
		}
	}
}
