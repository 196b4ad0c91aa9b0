package anchors

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
		if err := wt.Run(cols, y, v2, 4096); err != nil {
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
// its time per op over theirs: x-native and x-wasmtime.
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
	anchors := func(b *testing.B, elapsed time.Duration) {
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
		for b.Loop() {
			nat.predict()
		}
		anchors(b, b.Elapsed())
	})
	for _, v2 := range []bool{true, false} {
		b.Run(fmt.Sprintf("wasmtime/%s", abiName(v2)), func(b *testing.B) {
			y := make([]float64, rows)
			for b.Loop() {
				if err := wt.Run(cols, y, v2, sandbox.DefaultBatchRows); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := b.Elapsed()
			assertCloseB(b, y, want)
			anchors(b, elapsed)
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

func benchSandbox(b *testing.B, iso sandbox.Isolation, workers int, v2 bool, feats *sandbox.Features, want []float64, anchors func(*testing.B, time.Duration)) {
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
	for b.Loop() {
		if res, err = m.Run(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := b.Elapsed()
	b.StopTimer()
	assertCloseB(b, res.Outputs[0], want)
	anchors(b, elapsed)
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
