package sandbox

import (
	"context"

	"github.com/tetratelabs/wazero"
)

// NewInterpreterRuntime is NewRuntime on wazero's interpreter. Tests use it
// for the Go fixtures under the race detector, where wazero's optimizing
// compiler, itself instrumented, needs ~20 s per 2 MB module.
func NewInterpreterRuntime(ctx context.Context, c Config) (*Runtime, error) {
	return newRuntime(ctx, c, wazero.NewRuntimeConfigInterpreter())
}

// SameCode reports whether a and b share one compiled module.
func SameCode(a, b *Module) bool { return a.c == b.c && a.c.code != nil }

// CachedModules returns how many compiled modules the Runtime holds.
func (r *Runtime) CachedModules() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.modules)
}
