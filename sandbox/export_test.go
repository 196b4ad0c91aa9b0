package sandbox

import (
	"context"
	"time"
)

// NewInterpreterRuntime is NewRuntime on wazero's interpreter (passed on to
// the children in Process isolation). Tests use it for the Go fixtures
// under the race detector, where wazero's optimizing compiler, itself
// instrumented, needs ~20 s per 2 MB module.
func NewInterpreterRuntime(ctx context.Context, c Config) (*Runtime, error) {
	return newRuntime(ctx, c, runtimeOptions{interpreter: true})
}

// SameCode reports whether a and b share one compiled module.
func SameCode(a, b *Module) bool { return a.c == b.c && (a.c.code != nil || a.c.wasm != nil) }

// CachedModules returns how many compiled modules the Runtime holds.
func (r *Runtime) CachedModules() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.modules)
}

// CacheDir returns the compilation cache directory the Runtime uses.
func (r *Runtime) CacheDir() string { return r.cacheDir }

// DecodeResponse runs the parent's decoder of a child's response.
func DecodeResponse(b []byte, lim Limits) error {
	_, err := decodeResponse(b, lim.WithDefaults())
	return err
}

// DecodeRequest runs the child's decoder of the parent's request.
func DecodeRequest(b []byte) error {
	_, err := decodeRequest(b)
	return err
}

// IdleChildren returns the process ids of the idle children of a Process
// Runtime.
func (r *Runtime) IdleChildren() []int {
	if r.pool == nil {
		return nil
	}
	return r.pool.idlePIDs()
}

// ChildCPU returns the CPU time the idle children of a Process Runtime
// have used in their lives (as they last reported it).
func (r *Runtime) ChildCPU() time.Duration {
	if r.pool == nil {
		return 0
	}
	return r.pool.idleCPU()
}

// PooledMemories returns how many zeroed linear memories of Guest ABI v2
// instances the Runtime holds for the next ones (InProcess).
func (r *Runtime) PooledMemories() int { return len(r.memories) }
