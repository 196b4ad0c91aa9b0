package sandbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// withSection appends a custom section named name holding payload.
func withSection(wasm []byte, name string, payload []byte) []byte {
	var body []byte
	body = appendULEB(body, uint64(len(name)))
	body = append(append(body, name...), payload...)
	out := append([]byte(nil), wasm...)
	out = append(out, 0)
	out = appendULEB(out, uint64(len(body)))
	return append(out, body...)
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// A model section on a module that cannot load a model is refused at
// Compile, and two model sections are refused as ambiguous; other custom
// sections are ignored as before.
func TestModelSection(t *testing.T) {
	ctx := context.Background()
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	tests := []struct {
		name string
		wasm []byte
		kind string
		msg  string
	}{
		{"ErrNoLoader", withSection(linear, sandbox.ModelSection, []byte("model")), sandbox.KindABI, "does not export verdict_model_load"},
		{"ErrTwoSections", withSection(withSection(linear, sandbox.ModelSection, []byte("a")), sandbox.ModelSection, []byte("b")), sandbox.KindInvalidModule, "two verdict.model custom sections"},
		{"OtherSection", withSection(linear, "producers", []byte("x")), "", ""},
	}
	for _, mode := range modes {
		iso := mode.iso
		rt := newRuntime(t, sandbox.Config{Isolation: iso, Limits: slowLimits})
		for _, tc := range tests {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				m, err := rt.Compile(ctx, tc.wasm)
				if tc.kind == "" {
					if err != nil {
						t.Fatalf("got %v, want success", err)
					}
					_ = m.Close(ctx)
					return
				}
				var se *sandbox.Error
				if !errors.As(err, &se) || se.Kind != tc.kind || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("got %v, want a %s error containing %q", err, tc.kind, tc.msg)
				}
			})
		}
	}
}

// TestTrustedCode checks that Config.TrustedCode lifts the compile limit
// for the host's own code only: under a compile limit no compilation can
// meet, the same module fails untrusted, compiles trusted, compiles
// trusted with a model section appended (its code is still the trusted
// one), and fails again when another custom section changes its bytes.
func TestTrustedCode(t *testing.T) {
	ctx := context.Background()
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	sum := sha256.Sum256(linear)
	trusted := []string{hex.EncodeToString(sum[:])}
	tight := slowLimits
	tight.CompileTimeout = time.Nanosecond
	for _, mode := range modes {
		for _, tc := range []struct {
			name    string
			trusted []string
			wasm    []byte
			ok      bool
		}{
			{"Untrusted", nil, linear, false},
			{"Trusted", trusted, linear, true},
			{"TrustedWithModel", trusted, withSection(linear, sandbox.ModelSection, []byte("m")), true},
			{"OtherBytes", trusted, withSection(linear, "producers", []byte("x")), false},
		} {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: tight, TrustedCode: tc.trusted})
				m, err := rt.Compile(ctx, tc.wasm)
				if !tc.ok {
					if !errors.Is(err, sandbox.ErrTimeout) {
						t.Fatalf("got %v, want the compile time limit", err)
					}
					return
				}
				if tc.name == "TrustedWithModel" {
					// Compiled under the trusted limit; it is refused only
					// for lacking a loader, after compiling.
					var se *sandbox.Error
					if !errors.As(err, &se) || se.Kind != sandbox.KindABI {
						t.Fatalf("got %v, want the missing verdict_model_load after a compilation", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("got %v, want success under the trusted limit", err)
				}
				_ = m.Close(ctx)
			})
		}
	}
}

// TestModelLoad runs ModelEcho with models in its verdict.model section:
// each submission (its own SHA-256 over all its bytes) gets its own model
// though all share one compilation of the code; a refusal, a model larger
// than the memory limit and an empty model are reported as such.
func TestModelLoad(t *testing.T) {
	ctx := context.Background()
	echo := sandboxtest.Wasm(sandboxtest.ModelEcho)
	cols := randomColumns(2, 10, 1)
	sum := func(b []byte) float64 {
		s := 0.0
		for _, c := range b {
			s += float64(c)
		}
		return s
	}
	big := make([]byte, 2<<20) // 2 MiB: more than a 1 MiB memory limit
	for i := range big {
		big[i] = 'x'
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			lim := slowLimits
			lim.MemoryMB = 1
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: 1, Limits: lim})
			var shas []string
			for _, model := range [][]byte{[]byte("model a"), []byte("model bb"), {}} {
				m, err := rt.Compile(ctx, withSection(echo, sandbox.ModelSection, model))
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close(ctx)
				shas = append(shas, m.SHA256)
				res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
				if err != nil {
					t.Fatalf("model %q: %v", model, err)
				}
				if got := res.Outputs; got[0][0] != float64(len(model)) || got[1][9] != sum(model) {
					t.Fatalf("model %q: got length %v and sum %v, want %d and %v", model, got[0][0], got[1][9], len(model), sum(model))
				}
			}
			if shas[0] == shas[1] || shas[1] == shas[2] {
				t.Fatalf("SHA-256s %v: modules that differ only in their model must differ", shas)
			}
			for _, tc := range []struct {
				name  string
				model []byte
				kind  string
				msg   string
			}{
				{"Refused", []byte("!no"), sandbox.KindGuestError, "model refused: verdict_model_load returned error code 1"},
				{"TooBig", big, sandbox.KindMemoryLimit, "memory limit exceeded"},
			} {
				m, err := rt.Compile(ctx, withSection(echo, sandbox.ModelSection, tc.model))
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close(ctx)
				_, err = m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
				if sandbox.KindOf(err) != tc.kind || !strings.Contains(fmt.Sprint(err), tc.msg) {
					t.Fatalf("%s: got %v, want a %s error containing %q", tc.name, err, tc.kind, tc.msg)
				}
			}
		})
	}
}

// TestModelCopied checks that Compile keeps its own copy of the model: a
// caller that reuses its buffer after Compile (bytes read from a store,
// a pooled buffer) must not change the model that Runs of the compiled
// submission (named by the SHA-256 of the original bytes) load.
func TestModelCopied(t *testing.T) {
	ctx := context.Background()
	cols := randomColumns(2, 10, 1)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: 1, Limits: slowLimits})
			model := []byte("the submitted model")
			wasm := withSection(sandboxtest.Wasm(sandboxtest.ModelEcho), sandbox.ModelSection, model)
			m, err := rt.Compile(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(ctx)
			payload := wasm[len(wasm)-len(model):]
			for i := range payload {
				payload[i] = '!' // what another submission's bytes could be
			}
			res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
			if err != nil {
				t.Fatalf("run after the caller reused its buffer: %v", err)
			}
			want := 0.0
			for _, c := range model {
				want += float64(c)
			}
			if got := res.Outputs[1][0]; got != want {
				t.Fatalf("model byte sum %v, want %v (the model compiled)", got, want)
			}
		})
	}
}

// TestTrustedCodeWarmChild checks Config.TrustedCode in Process isolation
// with one child serving every request, as in a long-lived host: a
// trusted compilation (its own deadline) after an ordinary one, and
// ordinary compilations and Runs after it, must all be served; a child
// must not refuse a request for differing from its first in the compile
// limit alone (it crashed, and the next participant's Run with it).
func TestTrustedCodeWarmChild(t *testing.T) {
	ctx := context.Background()
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	sum := sha256.Sum256(linear)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: 1, Limits: slowLimits,
				TrustedCode: []string{hex.EncodeToString(sum[:])}})
			var pids []int
			for i, name := range []string{sandboxtest.Const, sandboxtest.Linear, sandboxtest.CModel, sandboxtest.Const} {
				m, err := rt.Compile(ctx, sandboxtest.Wasm(name))
				if err != nil {
					t.Fatalf("step %d: compile %s: %v", i, name, err)
				}
				defer m.Close(ctx)
				if _, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1}); err != nil {
					t.Fatalf("step %d: run %s: %v", i, name, err)
				}
				if mode.iso == sandbox.Process {
					idle := rt.IdleChildren()
					if len(idle) != 1 || pids != nil && idle[0] != pids[0] {
						t.Fatalf("step %d (%s): idle children %v, want the one child %v that served every request (a child that refused a request died and was replaced)",
							i, name, idle, pids)
					}
					pids = idle
				}
			}
		})
	}
}

// TestModelSharedCodeClose checks that submissions sharing one
// compilation (the same code, other models) do not share its lifetime:
// closing one, its compiled code released, leaves the other running its
// own model.
func TestModelSharedCodeClose(t *testing.T) {
	ctx := context.Background()
	echo := sandboxtest.Wasm(sandboxtest.ModelEcho)
	cols := randomColumns(2, 10, 1)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Workers: 1, Limits: slowLimits})
			a, err := rt.Compile(ctx, withSection(echo, sandbox.ModelSection, []byte("aaa")))
			if err != nil {
				t.Fatal(err)
			}
			b, err := rt.Compile(ctx, withSection(echo, sandbox.ModelSection, []byte("bbbb")))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close(ctx)
			if _, err := a.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2}); err != nil {
				t.Fatal(err)
			}
			_ = a.Close(ctx)
			for range 2 {
				res, err := b.Run(ctx, sandbox.Input{Columns: cols, Outputs: 2})
				if err != nil {
					t.Fatalf("run of b after a closed: %v", err)
				}
				if res.Outputs[0][0] != 4 || res.Outputs[1][0] != 4*'b' {
					t.Fatalf("b after a closed: got length %v, sum %v; want 4, %v", res.Outputs[0][0], res.Outputs[1][0], 4*'b')
				}
			}
		})
	}
}
