package anchors

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

const features = 20

func columns(rows int) [][]float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	cols := make([][]float64, features)
	for j := range cols {
		cols[j] = make([]float64, rows)
		for i := range cols[j] {
			cols[j][i] = rng.NormFloat64() * 0.3
		}
	}
	return cols
}

// v1Only is CLogit with its verdict_predict_v2 export renamed, so that
// verdict's sandbox runs it under Guest ABI v1 (batches copied one by
// one): the same code, the old data path.
func v1Only() []byte {
	return bytes.Replace(sandboxtest.Wasm(sandboxtest.CLogit), []byte("verdict_predict_v2"), []byte("verdict_predict_vX"), 1)
}

// native runs the natively compiled model on cols (copied once into one
// column-major buffer, outside the timing) and returns its median time
// over runs.
type native struct {
	x    []float64
	rows int
}

func newNative(cols [][]float64) *native {
	rows := len(cols[0])
	x := make([]float64, 0, rows*len(cols))
	for _, c := range cols {
		x = append(x, c...)
	}
	return &native{x: x, rows: rows}
}

func (n *native) predict() []float64 {
	y := make([]float64, n.rows)
	NativePredict(n.x, features, n.rows, y)
	return y
}

// cpuTime is the CPU time this process has used: on a machine shared with
// other jobs it measures work where wall time measures contention.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childrenCPU is the CPU time of this process's live children (the
// sandbox's Process pool), from /proc: they are not waited for, so
// RUSAGE_CHILDREN does not count them.
func childrenCPU() time.Duration {
	entries, _ := os.ReadDir("/proc")
	ppid := strconv.Itoa(os.Getpid())
	var ticks int64
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime(14) stime(15): fields after ")".
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 || f[1] != ppid {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

func medianCPU(runs int, f func()) time.Duration {
	ts := make([]time.Duration, runs)
	for i := range ts {
		start := cpuTime()
		f()
		ts[i] = cpuTime() - start
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

func median(runs int, f func()) time.Duration {
	ts := make([]time.Duration, runs)
	for i := range ts {
		start := time.Now()
		f()
		ts[i] = time.Since(start)
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

// TestAnchorsAgree checks that the three anchors compute the same model:
// native (glibc's exp) and wasm (wasi-libc's) may differ in the last bit.
func TestAnchorsAgree(t *testing.T) {
	cols := columns(10_000)
	want := newNative(cols).predict()
	wt, err := NewWasmtime(sandboxtest.Wasm(sandboxtest.CLogit))
	if err != nil {
		t.Fatal(err)
	}
	for _, v2 := range []bool{true, false} {
		y := make([]float64, len(want))
		if err := wt.Run(cols, y, v2, 4096); err != nil { // several windows or batches
			t.Fatal(err)
		}
		assertClose(t, fmt.Sprintf("wasmtime v2=%v", v2), y, want)
	}
	for _, wasm := range [][]byte{sandboxtest.Wasm(sandboxtest.CLogit), v1Only()} {
		rt, err := sandbox.NewRuntime(context.Background(), sandbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(context.Background())
		m, err := rt.Compile(context.Background(), wasm)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Run(context.Background(), sandbox.Input{Columns: cols, Outputs: 1})
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "sandbox", res.Outputs[0], want)
	}
}

func assertClose(t *testing.T, name string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("%s: row %d: got %v, want %v", name, i, got[i], want[i])
		}
	}
}

// BenchmarkAnchors runs the anchor model on 1e6 rows x 20 features:
// natively (clang -O3, one thread), under wasmtime (fresh instance per
// op, ABI v2 and v1, one thread) and in verdict's sandbox (warm: module
// compiled and features prepared once; Config defaults, i.e. InProcess
// and GOMAXPROCS workers, then Process isolation, each with 1 worker too;
// ABI v2 and v1). Each case measures the native run and wasmtime's v1 run
// (its fastest here: v2's whole columns land in fresh instance memory,
// whose first touch is slow on this machine) next to itself and reports
// its time per op over theirs: x-native and x-wasmtime; cpu-x-native is
// its CPU time per op (this process and, in Process isolation, the
// children) over the native run's, steadier on a busy machine.
func BenchmarkAnchors(b *testing.B) {
	if !IsClang() {
		b.Fatalf("clogit.c was compiled by %s, want clang: run with CC=clang (make bench-anchors)", Compiler())
	}
	const rows = 1_000_000
	cols := columns(rows)
	nat := newNative(cols)
	want := nat.predict()
	wt, err := NewWasmtime(sandboxtest.Wasm(sandboxtest.CLogit))
	if err != nil {
		b.Fatal(err)
	}
	wtY := make([]float64, rows)
	anchors := func(b *testing.B, elapsed, cpu time.Duration) {
		if nativeCPU := medianCPU(5, func() { nat.predict() }); cpu > 0 && nativeCPU > 0 {
			b.ReportMetric(float64(cpu/time.Duration(b.N))/float64(nativeCPU), "cpu-x-native")
		}
		nt := median(5, func() { nat.predict() })
		wtt := median(3, func() {
			if err := wt.Run(cols, wtY, false, sandbox.DefaultBatchRows); err != nil {
				b.Fatal(err)
			}
		})
		per := elapsed / time.Duration(b.N)
		b.ReportMetric(float64(per)/float64(nt), "x-native")
		b.ReportMetric(float64(per)/float64(wtt), "x-wasmtime")
		b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	}
	b.Run("native", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			nat.predict()
		}
		anchors(b, b.Elapsed(), cpuTime()-cpu0)
	})
	for _, v2 := range []bool{true, false} {
		b.Run(fmt.Sprintf("wasmtime/%s", abiName(v2)), func(b *testing.B) {
			y := make([]float64, rows)
			cpu0 := cpuTime()
			batch := sandbox.DefaultBatchRows
			if v2 {
				batch = sandbox.V2WindowRows
			}
			for b.Loop() {
				if err := wt.Run(cols, y, v2, batch); err != nil {
					b.Fatal(err)
				}
			}
			elapsed, cpu := b.Elapsed(), cpuTime()-cpu0
			assertCloseB(b, y, want)
			anchors(b, elapsed, cpu)
		})
	}
	feats, err := sandbox.NewFeatures(cols)
	if err != nil {
		b.Fatal(err)
	}
	defer feats.Close()
	for _, iso := range []sandbox.Isolation{sandbox.InProcess, sandbox.Process} {
		for _, workers := range []int{0, 1} {
			for _, v2 := range []bool{true, false} {
				name := fmt.Sprintf("verdict/%s/workers=%s/%s", iso, workersName(workers), abiName(v2))
				b.Run(name, func(b *testing.B) {
					benchSandbox(b, iso, workers, v2, feats, want, anchors)
				})
			}
		}
	}
}

func benchSandbox(b *testing.B, iso sandbox.Isolation, workers int, v2 bool, feats *sandbox.Features, want []float64, anchors func(*testing.B, time.Duration, time.Duration)) {
	ctx := context.Background()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Isolation: iso, Workers: workers, CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm := sandboxtest.Wasm(sandboxtest.CLogit)
	if !v2 {
		wasm = v1Only()
	}
	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	in := sandbox.Input{Features: feats, Outputs: 1}
	if _, err := m.Run(ctx, in); err != nil { // warm up
		b.Fatal(err)
	}
	var res *sandbox.Result
	b.ResetTimer()
	cpu0, child0 := cpuTime(), childrenCPU()
	for b.Loop() {
		if res, err = m.Run(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	elapsed, cpu := b.Elapsed(), cpuTime()-cpu0+childrenCPU()-child0
	b.StopTimer()
	assertCloseB(b, res.Outputs[0], want)
	anchors(b, elapsed, cpu)
}

func assertCloseB(b *testing.B, got, want []float64) {
	b.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			b.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func abiName(v2 bool) string {
	if v2 {
		return "abi=v2"
	}
	return "abi=v1"
}

func workersName(w int) string {
	if w == 0 {
		return "default"
	}
	return fmt.Sprint(w)
}
