package guest

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
)

// meanLogistic is the model of testdata/model, computed natively.
func meanLogistic(cols [][]float64, i int) float64 {
	s := 0.0
	for _, c := range cols {
		s += c[i]
	}
	return 1 / (2 + math.Expm1(-s/float64(len(cols))))
}

func register(t *testing.T, f PredictFunc) {
	t.Helper()
	old := model
	Register(f)
	t.Cleanup(func() { model = old })
}

func TestRunBatches(t *testing.T) {
	var calls []int
	register(t, func(b Batch) error {
		calls = append(calls, b.Rows)
		for k := range b.Outs {
			y := b.Output(k)
			for i := range y {
				y[i] = b.Feature(0)[i]*10 + b.Feature(1)[i] + float64(k)*100
			}
		}
		return nil
	})
	cols := [][]float64{{1, 2, 3, 4, 5}, {0.1, 0.2, 0.3, 0.4, 0.5}}
	for _, batch := range []int{0, 1, 2, 5, 9} {
		calls = nil
		out, err := Run(cols, 2, batch)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i := range 5 {
			want := cols[0][i]*10 + cols[1][i]
			if out[0][i] != want || out[1][i] != want+100 {
				t.Errorf("batch %d row %d: got %v, %v; want %v, %v", batch, i, out[0][i], out[1][i], want, want+100)
			}
		}
		total := 0
		for _, n := range calls {
			total += n
		}
		if total != 5 {
			t.Errorf("batch %d: calls %v cover %d rows, want 5", batch, calls, total)
		}
	}
}

func TestRunErrors(t *testing.T) {
	register(t, func(b Batch) error {
		if b.Feature(0)[0] < 0 {
			return errors.New("negative")
		}
		return nil // forgets to write: Run shows NaN
	})
	if _, err := Run([][]float64{{1, 2}, {1}}, 1, 0); err == nil || !strings.Contains(err.Error(), "column 1 has 1 rows") {
		t.Errorf("ragged columns: got %v", err)
	}
	if _, err := Run([][]float64{{1}}, 0, 0); err == nil || !strings.Contains(err.Error(), "outputs") {
		t.Errorf("zero outputs: got %v", err)
	}
	if _, err := Run([][]float64{{1, -1}}, 1, 1); err == nil || !strings.Contains(err.Error(), "rows 2 to 2: negative") {
		t.Errorf("model error: got %v, want it with the rows", err)
	}
	out, err := Run([][]float64{{1}}, 1, 0)
	if err != nil || !math.IsNaN(out[0][0]) {
		t.Errorf("unwritten output: got %v, %v; want NaN", out, err)
	}
}

func TestPredictCodes(t *testing.T) {
	old := model
	model = nil
	if got := predict(Batch{}); got != CodeNoModel {
		t.Errorf("no model: got %d, want %d", got, CodeNoModel)
	}
	if _, err := Run(nil, 1, 0); !errors.Is(err, ErrNoModel) {
		t.Errorf("Run with no model: got %v, want ErrNoModel", err)
	}
	model = old
	register(t, func(Batch) error { return errors.New("boom") })
	if got := predict(Batch{}); got != CodeError {
		t.Errorf("error: got %d, want %d", got, CodeError)
	}
	register(t, func(Batch) error { return nil })
	if got := predict(Batch{}); got != CodeOK {
		t.Errorf("ok: got %d, want %d", got, CodeOK)
	}
}

// TestWasm runs testdata/model.wasm (built from testdata/model with this
// package) in the real sandbox: outputs equal the native computation bit
// for bit, and a model error comes back as a guest error with its message.
func TestWasm(t *testing.T) {
	wasm, err := os.ReadFile("testdata/model.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	defer m.Close(ctx)
	cols := [][]float64{{0.5, -2, 3, 0}, {1, 1, -4, 0.25}, {2, 0, 0, math.NaN()}}
	res, err := m.Run(ctx, sandbox.Input{Columns: cols[:2], Outputs: 1, BatchRows: 3})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i := range 4 {
		if want := meanLogistic(cols[:2], i); res.Outputs[0][i] != want {
			t.Errorf("row %d: got %v, want %v", i, res.Outputs[0][i], want)
		}
	}
	_, err = m.Run(ctx, sandbox.Input{Columns: [][]float64{{1, -1}}, Outputs: 1})
	if !errors.Is(err, sandbox.ErrGuestCode) || !strings.Contains(err.Error(), "feature 0 is -1") {
		t.Errorf("model error: got %v, want a guest error with code %d and the model's message", err, CodeError)
	}
}
