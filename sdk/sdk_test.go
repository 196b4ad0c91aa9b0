// Package sdk_test runs the models built with the guest SDKs in the real
// sandbox: guest/testdata/model (Go, sdk/guest), c/testdata/model.c (C,
// sdk/c/verdict.h) and rust/testdata/model.rs (Rust, sdk/rust). The Go SDK
// is a module of its own, with no dependencies, so a participant's project
// (verdict init) pulls in nothing of the host's; this test lives in the
// host's module and reads the modules the SDKs' test models were built
// into (`make wasm` rebuilds them).
package sdk_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
)

// compile compiles the module at path in a fresh in-process Runtime.
func compile(t *testing.T, path string) *sandbox.Module {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A Go module can take wazero's compiler over the default 30 s under
	// -race on a busy machine: a slow compile is not what these tests test.
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: sandbox.Limits{CompileTimeout: 5 * time.Minute, Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		t.Fatalf("Compile %s: %v", path, err)
	}
	return m
}

// TestGoGuest: the Go SDK's model computes the logistic function of the
// mean of a row's features bit for bit as Go does natively, and a model
// error comes back as a guest error with its message.
func TestGoGuest(t *testing.T) {
	m := compile(t, "guest/testdata/model.wasm")
	ctx := context.Background()
	cols := [][]float64{{0.5, -2, 3, 0}, {1, 1, -4, 0.25}}
	res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1, BatchRows: 3})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i, got := range res.Outputs[0] {
		if want := 1 / (2 + math.Expm1(-(cols[0][i]+cols[1][i])/2)); got != want {
			t.Errorf("row %d: got %v, want %v", i, got, want)
		}
	}
	_, err = m.Run(ctx, sandbox.Input{Columns: [][]float64{{1, -1}}, Outputs: 1})
	if !errors.Is(err, sandbox.ErrGuestCode) || !strings.Contains(err.Error(), "feature 0 is -1") {
		t.Errorf("model error: got %v, want a guest error with the model's message", err)
	}
}

// TestCGuest: the C SDK's model (the logistic function of the mean of a
// row's present features) gives the same outputs whatever the batch size,
// and its error codes reach the host.
func TestCGuest(t *testing.T) {
	m := compile(t, "c/testdata/model.wasm")
	ctx := context.Background()
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
	_, err := m.Run(ctx, sandbox.Input{Columns: [][]float64{{1, -1}}, Outputs: 1})
	var se *sandbox.Error
	if !errors.Is(err, sandbox.ErrGuestCode) || !errors.As(err, &se) || se.Code != 42 {
		t.Errorf("got %v, want guest error code 42", err)
	}
	_, err = m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
	if !errors.Is(err, sandbox.ErrGuestCode) || !strings.Contains(err.Error(), "2") {
		t.Errorf("two outputs: got %v, want guest error code 2", err)
	}
}

// TestCGuestV2: the C SDK's model built for Guest ABI v2
// (c/testdata/model_v2.c, VERDICT_ABI_V2) predicts what the v1 model does,
// bit for bit, whatever the batch size, exports both entry points, and its
// error codes reach the host from verdict_predict_v2.
func TestCGuestV2(t *testing.T) {
	ctx := context.Background()
	v1, v2 := compile(t, "c/testdata/model.wasm"), compile(t, "c/testdata/model_v2.wasm")
	cols := [][]float64{{0.5, -2, 3, math.NaN(), 7}, {1, 1, -4, 0.25, math.NaN()}}
	want, err := v1.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{0, 1, 3, 5} {
		res, err := v2.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1, BatchRows: batch})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i, got := range res.Outputs[0] {
			if w := want.Outputs[0][i]; math.Float64bits(got) != math.Float64bits(w) {
				t.Errorf("batch %d row %d: got %v, want %v (the v1 model's)", batch, i, got, w)
			}
		}
	}
	wasm, err := os.ReadFile("c/testdata/model_v2.wasm")
	if err != nil {
		t.Fatal(err)
	}
	// Export names are length-prefixed: 15 and 18 bytes.
	for _, name := range []string{"\x0fverdict_predict", "\x12verdict_predict_v2"} {
		if !strings.Contains(string(wasm), name) {
			t.Errorf("model_v2.wasm: no export %q", name[1:])
		}
	}
	_, err = v2.Run(ctx, sandbox.Input{Columns: [][]float64{{1, -1}}, Outputs: 1})
	var se *sandbox.Error
	if !errors.As(err, &se) || se.Code != 42 || !strings.Contains(err.Error(), "verdict_predict_v2 (rows 0 to 1)") {
		t.Errorf("got %v, want guest error code 42 from verdict_predict_v2", err)
	}
}

// TestRustGuest: the Rust SDK's model (the logistic function of the mean
// of a row's present features) gives the same outputs whatever the batch
// size, its error codes reach the host, a panic is a trap, and the module
// imports nothing.
func TestRustGuest(t *testing.T) {
	m := compile(t, "rust/testdata/model.wasm")
	ctx := context.Background()
	cols := [][]float64{{0.5, -2.5, 3, math.NaN(), 0}, {1, 1, -4, 0.25, math.NaN()}}
	for _, batch := range []int{1, 2, 5} {
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
	tests := []struct {
		name  string
		cols  [][]float64
		outs  int
		check func(error) bool
		want  string
	}{
		{"ErrorCode", [][]float64{{1, -1}}, 1, func(err error) bool {
			var se *sandbox.Error
			return errors.Is(err, sandbox.ErrGuestCode) && errors.As(err, &se) && se.Code == 42
		}, "guest error code 42"},
		{"WrongOutputs", cols, 2, func(err error) bool {
			var se *sandbox.Error
			return errors.Is(err, sandbox.ErrGuestCode) && errors.As(err, &se) && se.Code == 2
		}, "guest error code 2"},
		{"PanicTraps", [][]float64{{1, -2}}, 1, func(err error) bool {
			return errors.Is(err, sandbox.ErrTrap)
		}, "a trap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Run(ctx, sandbox.Input{Columns: tc.cols, Outputs: tc.outs})
			if !tc.check(err) {
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}
