package sandbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// maxFuzzModule bounds fuzzed modules: big enough for every .wat fixture and
// cmodel, small enough to keep each iteration fast.
const maxFuzzModule = 64 << 10

// FuzzCompile feeds random and mutated modules to Compile and runs those
// that pass: nothing may panic, every error must be a classified *Error, and
// runs are bounded by tight limits.
func FuzzCompile(f *testing.F) {
	for _, name := range sandboxtest.Names() {
		if b := sandboxtest.Wasm(name); len(b) <= maxFuzzModule {
			f.Add(b)
		}
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x04\x04\x01\x70\x00\x05")) // unbounded table

	ctx := context.Background()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: sandbox.Limits{
		MemoryMB: 2, Timeout: 100 * time.Millisecond, MaxModuleBytes: maxFuzzModule, OutputBytes: 1024,
	}})
	if err != nil {
		f.Fatal(err)
	}
	defer rt.Close(ctx)

	f.Fuzz(func(t *testing.T, wasm []byte) {
		m, err := rt.Compile(ctx, wasm)
		if err != nil {
			checkClassified(t, err, sandbox.ErrInvalidModule, sandbox.ErrForbiddenImport, sandbox.ErrABI, sandbox.ErrMemoryLimit)
			return
		}
		defer m.Close(ctx)
		res, err := m.Run(ctx, sandbox.Input{Columns: [][]float64{{1, 2, 3}, {4, 5, 6}}, Outputs: 2, BatchRows: 2})
		if err != nil {
			checkClassified(t, err, sandbox.ErrABI, sandbox.ErrTrap, sandbox.ErrTimeout, sandbox.ErrMemoryLimit,
				sandbox.ErrBadOutput, sandbox.ErrGuestCode)
			return
		}
		if len(res.Outputs) != 2 || len(res.Outputs[0]) != 3 || len(res.Stdout) > 1024 || res.MemoryBytes > 2<<20 {
			t.Fatalf("result out of bounds: %d outputs, %d stdout bytes, %d memory bytes",
				len(res.Outputs), len(res.Stdout), res.MemoryBytes)
		}
	})
}

func checkClassified(t *testing.T, err error, allowed ...error) {
	t.Helper()
	var se *sandbox.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want *sandbox.Error", err, err)
	}
	for _, a := range allowed {
		if errors.Is(err, a) {
			return
		}
	}
	t.Fatalf("got %v (kind %s), want one of %v", err, se.Kind, allowed)
}
