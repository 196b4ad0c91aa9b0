package guest

import (
	"errors"
	"math"
	"strings"
	"testing"
)

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

// TestRunStride: Run lays columns out as Guest ABI v2 does, a multiple of
// 512 values apart, and Feature and Output follow Stride.
func TestRunStride(t *testing.T) {
	register(t, func(b Batch) error {
		if b.Stride%512 != 0 || b.Stride < b.Rows {
			return errors.New("stride is not a multiple of 512 at least Rows")
		}
		x1, y := b.Feature(1), b.Output(0)
		for i := range y {
			y[i] = b.X[b.Stride+i] + x1[i] // the same value twice
		}
		return nil
	})
	cols := [][]float64{{1, 2, 3}, {10, 20, 30}}
	out, err := Run(cols, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, got := range out[0] {
		if want := 2 * cols[1][i]; got != want {
			t.Errorf("row %d: got %v, want %v", i, got, want)
		}
	}
	if got := (Batch{X: []float64{1, 2, 3, 4}, Rows: 2, Cols: 2}).Feature(1); got[0] != 3 || len(got) != 2 {
		t.Errorf("Feature with Stride 0: got %v, want [3 4]", got)
	}
}
