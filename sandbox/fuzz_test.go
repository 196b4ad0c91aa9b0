package sandbox_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
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
		CompileTimeout: time.Minute, // a slow compile (race detector) is not a finding
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
				sandbox.ErrOutputLimit, sandbox.ErrBadOutput, sandbox.ErrGuestCode)
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

// FuzzDecodeResponse feeds the parent's decoder of a child's response (which
// ran untrusted code, so its answer is untrusted) and the child's decoder
// of requests with mutated JSON: nothing may panic, and whatever decodes
// must stay within the limits.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"has_init":true}`))
	f.Add([]byte(`{"stdout":"aGk=","stdout_dropped":3,"memory_bytes":65536}`))
	f.Add([]byte(`{"error":{"kind":"trap","msg":"guest trapped: unreachable in verdict_predict","func":"verdict_predict"}}`))
	f.Add([]byte(`{"error":{"kind":"nope","msg":"x"}}`))
	f.Add([]byte(`{"op":"run","cache_dir":"/tmp/c","limits":{"memory_mb":2},"module_bytes":10,` +
		`"module":"abababababababababababababababababababababababababababababababab","features":7,` +
		`"rows":5,"cols":3,"outputs":2,"batch":5,"workers":1,"address_space":3000000000}`))
	f.Add([]byte(`{"op":"compile","limits":{},"module_bytes":100,"module":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`))
	f.Add([]byte(`{"has_init":true,"cpu_ms":1234}`))
	lim := sandbox.Limits{OutputBytes: 1024, MemoryMB: 2}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		_ = sandbox.DecodeResponse(b, lim)
		_ = sandbox.DecodeRequest(b)
	})
}

// FuzzExchange sends fuzzed feature matrices (any values, NaN and Inf
// included, any shape and batch size within bounds) through a good model,
// in process or through a pooled child, and checks the predictions come
// back bit-exact, in order.
func FuzzExchange(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint16(7), false, []byte("\x00\x00\x00\x00\x00\x00\xf0\x7f\x01\x02"))
	f.Add(uint8(1), uint8(1), uint16(1), true, []byte{})
	f.Add(uint8(40), uint8(5), uint16(3), true, make([]byte, 8*40*9))
	ctx := context.Background()
	modules := map[bool]*sandbox.Module{}
	for _, process := range []bool{false, true} {
		c := sandbox.Config{Workers: 2, Limits: sandbox.Limits{MemoryMB: 4, Timeout: 5 * time.Second}}
		if process {
			c.Isolation = sandbox.Process
		}
		rt, err := sandbox.NewRuntime(ctx, withChild(c))
		if err != nil {
			f.Fatal(err)
		}
		defer rt.Close(ctx)
		m, err := rt.Compile(ctx, sandboxtest.Wasm(sandboxtest.Linear))
		if err != nil {
			f.Fatal(err)
		}
		defer m.Close(ctx)
		modules[process] = m
	}
	f.Fuzz(func(t *testing.T, ncols, outs uint8, batch uint16, process bool, data []byte) {
		m := modules[process]
		c, o := int(ncols%64)+1, int(outs%8)+1
		rows := min(len(data)/8/c, 20_000)
		cols := make([][]float64, c)
		for j := range cols {
			cols[j] = make([]float64, rows)
			for i := range cols[j] {
				off := 8 * (j*rows + i)
				cols[j][i] = math.Float64frombits(binary.LittleEndian.Uint64(data[off:]))
			}
		}
		res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: o, BatchRows: int(batch)})
		want := sandboxtest.LinearPredict(cols, o)
		for _, col := range want {
			for _, v := range col {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					if !errors.Is(err, sandbox.ErrBadOutput) {
						t.Fatalf("got %v, want ErrBadOutput for a non-finite prediction", err)
					}
					return
				}
			}
		}
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !bitEqual(res.Outputs, want) {
			t.Fatalf("outputs differ from LinearPredict (%d rows, %d cols, %d outs, batch %d)", rows, c, o, batch)
		}
	})
}
