// Package c_test checks the C SDK (verdict.h) with a model built from
// testdata/model.c, run in the real sandbox.
package c_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
)

func TestCModel(t *testing.T) {
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
	cols := [][]float64{{0.5, -2, 3, math.NaN()}, {1, 1, -4, 0.25}}
	for _, batch := range []int{1, 3, 4} {
		res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1, BatchRows: batch})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i, got := range res.Outputs[0] {
			s, n := 0.0, 0
			for _, c := range cols {
				if !math.IsNaN(c[i]) {
					s, n = s+c[i], n+1
				}
			}
			want := 1 / (1 + math.Exp(-s/float64(n)))
			if math.Abs(got-want) > 1e-15 {
				t.Errorf("batch %d row %d: got %v, want %v", batch, i, got, want)
			}
		}
	}
	_, err = m.Run(ctx, sandbox.Input{Columns: [][]float64{{1, -1}}, Outputs: 1})
	var se *sandbox.Error
	if !errors.Is(err, sandbox.ErrGuestCode) || !errors.As(err, &se) || se.Code != 42 {
		t.Errorf("got %v, want guest error code 42", err)
	}
	_, err = m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
	if !errors.Is(err, sandbox.ErrGuestCode) || !strings.Contains(err.Error(), "2") {
		t.Errorf("two outputs: got %v, want guest error code 2", err)
	}
}
