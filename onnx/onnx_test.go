package onnx_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/onnx"
	"github.com/verdictlab/verdict/sandbox"
)

// expect is what guests/onnx/internal/mkmodels writes beside each model:
// rows and the outputs computed by plain Go code.
type expect struct {
	Features int          `json:"features"`
	Outputs  int          `json:"outputs"`
	Rows     int          `json:"rows"`
	Tol      float64      `json:"tol"`
	X        [][]*float64 `json:"x"`
	Want     [][]float64  `json:"want"`
}

func (e expect) cols() [][]float64 {
	cols := make([][]float64, len(e.X))
	for j, c := range e.X {
		for _, v := range c {
			if v == nil {
				cols[j] = append(cols[j], math.NaN())
			} else {
				cols[j] = append(cols[j], *v)
			}
		}
	}
	return cols
}

func load(t testing.TB, name string) ([]byte, expect) {
	t.Helper()
	model, err := os.ReadFile(filepath.Join("testdata", name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expect
	if err := json.Unmarshal(js, &e); err != nil {
		t.Fatal(err)
	}
	return model, e
}

var names = []string{"logistic", "mlp", "tree_regressor", "tree_binary", "tree_multiclass", "linear_binary"}

// The runtime is big (25 MB): compile it once for all tests of the package.
var (
	rtOnce sync.Once
	rt     *sandbox.Runtime
	rtErr  error
)

func runtime(t testing.TB) *sandbox.Runtime {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles the 25 MB ONNX runtime (minutes cold on a loaded machine)")
	}
	rtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verdict-onnx-cache-")
		if err != nil {
			rtErr = err
			return
		}
		rt, rtErr = sandbox.NewRuntime(context.Background(), sandbox.Config{CacheDir: dir,
			Limits: sandbox.Limits{Timeout: 5 * time.Minute, CompileTimeout: 30 * time.Minute, MemoryMB: 256}})
		if rtErr != nil {
			return
		}
		// Hold the bare runtime: every packed model shares its compiled
		// code, which lives while one module of it is open.
		_, rtErr = rt.Compile(context.Background(), onnx.Runtime())
	})
	if rtErr != nil {
		t.Fatal(rtErr)
	}
	return rt
}

func TestPack(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			model, _ := load(t, name)
			a, err := onnx.Pack(model)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := onnx.Pack(model)
			if sha256.Sum256(a) != sha256.Sum256(b) {
				t.Fatal("packing twice gave two modules")
			}
			if !bytes.HasPrefix(a, onnx.Runtime()) {
				t.Fatal("packed module does not start with the runtime")
			}
			got, ok := onnx.Unpack(a)
			if !ok || !bytes.Equal(got, model) {
				t.Fatalf("Unpack: got %d bytes (ok %v), want the %d bytes packed", len(got), ok, len(model))
			}
			if _, ok := onnx.Unpack(onnx.Runtime()); ok {
				t.Fatal("Unpack found a model in the bare runtime")
			}
		})
	}
}

func TestInspect(t *testing.T) {
	model, _ := load(t, "tree_binary")
	info, err := onnx.Inspect(model)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Opsets; got[""] != 13 || got["ai.onnx.ml"] != 3 {
		t.Errorf("got opsets %v, want default 13 and ai.onnx.ml 3", got)
	}
	if got := strings.Join(info.OpTypes, ","); got != "ai.onnx.ml:TreeEnsembleClassifier" {
		t.Errorf("got ops %s", got)
	}
	if len(info.Inputs) != 1 || info.Inputs[0].Name != "X" || len(info.Outputs) != 2 || info.Outputs[1].Name != "probabilities" {
		t.Errorf("got inputs %+v, outputs %+v", info.Inputs, info.Outputs)
	}
	if err := info.CheckFeatures([]string{"a", "b", "c"}); err != nil {
		t.Errorf("CheckFeatures(3): %v", err)
	}
	err = info.CheckFeatures(make([]string, 20))
	if !errors.Is(err, onnx.ErrMapping) || !strings.Contains(err.Error(), "the model expects 3 inputs (input \"X\", shape [N, 3]), the task has 20 features") {
		t.Errorf("CheckFeatures(20): got %v", err)
	}
}

func TestInspectErrors(t *testing.T) {
	model, _ := load(t, "logistic")
	tests := []struct {
		name string
		b    []byte
		is   error
		msg  string
	}{
		{"ErrWasm", onnx.Runtime()[:64], onnx.ErrInvalid, "a WebAssembly module, not an ONNX model"},
		{"ErrTruncated", model[:len(model)/2], onnx.ErrInvalid, ""},
		{"ErrGarbage", []byte("\x0f\x0f\x0f"), onnx.ErrInvalid, ""},
		{"ErrNoGraph", []byte{0x08, 0x08}, onnx.ErrInvalid, "no graph"},
		{"ErrTooBig", make([]byte, onnx.MaxModelBytes+1), onnx.ErrLimit, "limit is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := onnx.Inspect(tc.b)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.is, tc.msg)
			}
		})
	}
}

func FuzzInspect(f *testing.F) {
	for _, name := range names {
		model, _ := load(f, name)
		f.Add(model)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		info, err := onnx.Inspect(b)
		if err != nil {
			if !errors.Is(err, onnx.ErrInvalid) && !errors.Is(err, onnx.ErrLimit) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if info.Nodes > onnx.MaxNodes {
			t.Fatalf("%d nodes passed the limit of %d", info.Nodes, onnx.MaxNodes)
		}
		if err := info.CheckFeatures([]string{"a", "b"}); err != nil && !errors.Is(err, onnx.ErrMapping) && !errors.Is(err, onnx.ErrLimit) {
			t.Fatalf("CheckFeatures: untyped error %v", err)
		}
	})
}

// Every test model, packed, predicts in the sandbox what plain Go code
// computes, and passes the determinism gate.
func TestSandbox(t *testing.T) {
	r := runtime(t)
	ctx := context.Background()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			model, e := load(t, name)
			wasm, err := onnx.Pack(model)
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.Compile(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(ctx)
			in := sandbox.Input{Columns: e.cols(), Outputs: e.Outputs, BatchRows: 7}
			res, err := m.Run(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			for k := range e.Outputs {
				for i, w := range e.Want[k] {
					got := res.Outputs[k][i]
					if math.Abs(got-w) > e.Tol*math.Max(math.Abs(w), 1e-3) {
						t.Errorf("row %d output %d: got %.9g, want %.9g", i, k, got, w)
					}
				}
			}
			if _, err := sandbox.CheckDeterminism(ctx, m, in, 7); err != nil {
				t.Fatalf("determinism: %v", err)
			}
		})
	}
}

// Hostile models packed by hand (past Pack's checks) end in typed errors
// from the guest, naming the cause.
func TestSandboxRefusals(t *testing.T) {
	r := runtime(t)
	ctx := context.Background()
	model, e := load(t, "logistic")
	pack := func(b []byte) []byte {
		// what Pack appends, without its checks
		var hdr []byte
		name := []byte(onnx.Section)
		hdr = append(hdr, 0)
		hdr = appendULEB(hdr, uint64(1+len(name)+len(b)))
		hdr = append(hdr, byte(len(name)))
		hdr = append(hdr, name...)
		return append(append(onnx.Runtime(), hdr...), b...)
	}
	tests := []struct {
		name  string
		wasm  []byte
		feats int
		msg   string
	}{
		{"Garbage", pack([]byte("\xff\xff\xffnot onnx")), 4, "not an ONNX model"},
		{"WrongFeatures", pack(model), 20, "the model expects 4 inputs (input \"X\", shape [0 4]), the task has 20 features"},
		{"FutureOpset", pack(bytes.Replace(model, []byte{0x42, 0x02, 0x10, 0x0d}, []byte{0x42, 0x02, 0x10, 0x63}, 1)), 4, "default-domain opset 99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.Compile(ctx, tc.wasm)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(ctx)
			cols := e.cols()
			for len(cols) < tc.feats {
				cols = append(cols, cols[0])
			}
			_, err = m.Run(ctx, sandbox.Input{Columns: cols[:tc.feats], Outputs: 1})
			if !errors.Is(err, sandbox.ErrGuestCode) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want a guest error containing %q", err, tc.msg)
			}
		})
	}
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
