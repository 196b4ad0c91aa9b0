package sandbox_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestABIV2 runs the Guest ABI v2 twin of CLinear over every way the host
// can cut its rows (one window or several, one call per window or many,
// one instance or two, in process or in a child) and requires CLinear's
// predictions bit for bit.
func TestABIV2(t *testing.T) {
	const features, rows = 20, 20_000 // two instances at 2 workers
	cols := randomColumns(features, rows, 3)
	want := sandboxtest.WeightedPredict(cols, 2)
	feats, err := sandbox.NewFeatures(cols)
	if err != nil {
		t.Fatal(err)
	}
	defer feats.Close()
	for _, mode := range modes {
		for _, workers := range []int{1, 2} {
			for _, memoryMB := range []uint32{0, 1} { // 1 MiB: windows of ~2,800 rows
				rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: workers,
					Limits: sandbox.Limits{MemoryMB: memoryMB, Timeout: time.Minute}})
				m := compile(t, rt, sandboxtest.CLinearV2)
				for _, batch := range []int{0, 1, 777} {
					name := fmt.Sprintf("%s/workers=%d/memory=%d/batch=%d", mode.name, workers, memoryMB, batch)
					t.Run(name, func(t *testing.T) {
						if batch == 1 && testing.Short() {
							t.Skip("20,000 calls: not under -short")
						}
						var done int
						res, err := m.Run(context.Background(), sandbox.Input{Features: feats, Outputs: 2, BatchRows: batch,
							Progress: func(n int) { done = n }})
						if err != nil {
							t.Fatal(err)
						}
						assertBitEqual(t, res.Outputs, want)
						if done != rows {
							t.Errorf("progress: got %d rows, want %d", done, rows)
						}
						wantBatch := batch
						if batch == 0 {
							wantBatch = rows
						}
						if res.BatchRows != wantBatch && memoryMB == 0 {
							t.Errorf("BatchRows: got %d, want %d", res.BatchRows, wantBatch)
						}
					})
				}
			}
		}
	}
}

// TestABIV2Determinism checks a v2 module with CheckDeterminism, whose
// second run cuts the calls elsewhere.
func TestABIV2Determinism(t *testing.T) {
	cols := randomColumns(20, 3000, 5)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso})
			res, err := sandbox.CheckDeterminism(context.Background(), compile(t, rt, sandboxtest.CLinearV2),
				sandbox.Input{Columns: cols, Outputs: 1}, 9)
			if err != nil {
				t.Fatal(err)
			}
			assertBitEqual(t, res.Outputs, sandboxtest.WeightedPredict(cols, 1))
		})
	}
}

// TestABIV2Layout checks what a v2 guest is handed: every call's columns
// start on a 4 KiB page and are a multiple of 512 rows apart, at least
// the window's rows, windows included.
func TestABIV2Layout(t *testing.T) {
	cols := randomColumns(3, 10_000, 1)
	tests := []struct {
		name     string
		memoryMB uint32
		want     float64 // the stride
	}{
		{"OneWindow", 0, 10_240},
		// 1 MiB: half is 524,288 bytes, 40 bytes per row: windows of
		// 12,483 rows would fit, minus alignment slack; all 10,000 fit.
		{"SmallMemory", 1, 10_240},
	}
	for _, mode := range modes {
		for _, tc := range tests {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: 1, Limits: sandbox.Limits{MemoryMB: tc.memoryMB}})
				res, err := compile(t, rt, sandboxtest.V2Probe).Run(context.Background(), sandbox.Input{Columns: cols, Outputs: 2})
				if err != nil {
					t.Fatal(err)
				}
				for k, col := range res.Outputs {
					for i, v := range col {
						if v != tc.want {
							t.Fatalf("Outputs[%d][%d]: got stride %v, want %v (page-aligned x)", k, i, v, tc.want)
						}
					}
				}
			})
		}
	}
}

// TestABIV2Logit runs the anchor model (both exports: the host uses v2)
// against its Go twin.
func TestABIV2Logit(t *testing.T) {
	cols := randomColumns(20, 5000, 8)
	want := sandboxtest.LogitPredict(cols)
	rt := newRuntime(t, sandbox.Config{})
	res, err := compile(t, rt, sandboxtest.CLogit).Run(context.Background(), sandbox.Input{Columns: cols, Outputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range res.Outputs[0] {
		if math.Abs(v-want[i]) > 1e-15 {
			t.Fatalf("row %d: got %v, want %v", i, v, want[i])
		}
	}
}
