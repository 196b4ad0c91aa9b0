package sandboxtest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

func TestFixturesHaveSources(t *testing.T) {
	names := sandboxtest.Names()
	if len(names) < 20 {
		t.Fatalf("Names: got %d fixtures, want at least 20", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if b := sandboxtest.Wasm(name); !bytes.HasPrefix(b, []byte("\x00asm\x01\x00\x00\x00")) {
				t.Errorf("got prefix %q, want a wasm v1 header", b[:min(8, len(b))])
			}
			sources := []string{name + ".wat", name + ".c", filepath.Join(name, "main.go"), filepath.Join(name, "assembly", "index.ts")}
			found := 0
			for _, s := range sources {
				if _, err := os.Stat(filepath.Join("testdata", s)); err == nil {
					found++
				}
			}
			if found != 1 {
				t.Errorf("got %d sources among %v, want exactly 1", found, sources)
			}
		})
	}
}

func TestWasmUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Wasm(\"nope\"): got no panic, want one")
		}
	}()
	sandboxtest.Wasm("nope")
}

func TestWasmReturnsCopy(t *testing.T) {
	a := sandboxtest.Wasm(sandboxtest.Linear)
	a[0] = 'X'
	if b := sandboxtest.Wasm(sandboxtest.Linear); b[0] != 0 {
		t.Error("Wasm: got shared bytes, want a fresh copy per call")
	}
}

func TestLinearPredict(t *testing.T) {
	got := sandboxtest.LinearPredict([][]float64{{1, 2}, {3, 6}}, 2)
	want := [][]float64{{2, 4}, {3, 5}}
	for k := range want {
		for i := range want[k] {
			if got[k][i] != want[k][i] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
}
