package sandbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
