// Package sdk_test runs the models built with the guest SDKs in the real
// sandbox. The Go SDK (sdk/guest) is a module of its own, with no
// dependencies, so a participant's `go get` pulls in nothing of the
// host's; this test lives in the host's module and reads the module the
// SDK's test model was built into.
package sdk_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
)

// meanLogistic is the model of guest/testdata/model, computed natively.
func meanLogistic(cols [][]float64, i int) float64 {
	s := 0.0
	for _, c := range cols {
		s += c[i]
	}
	return 1 / (2 + math.Expm1(-s/float64(len(cols))))
}

// TestGoGuest runs guest/testdata/model.wasm (built from
// guest/testdata/model with the Go SDK) in the real sandbox: outputs equal
// the native computation bit for bit, and a model error comes back as a
// guest error with its message.
func TestGoGuest(t *testing.T) {
	wasm, err := os.ReadFile("guest/testdata/model.wasm")
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
		t.Errorf("model error: got %v, want a guest error with the model's message", err)
	}
}
