package sandbox

import (
	"encoding/binary"
	"math"
	"sync"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryAllocator backs the guest's linear memory for one Run and enforces
// Limits.MemoryMB. It is wazero's experimental.MemoryAllocator hook: wazero
// calls Reallocate for the initial size and for every memory.grow the module
// itself allows (up to its declared maximum, the wasm32 maximum if none). A
// request above the limit returns nil, which wazero turns into memory.grow
// returning -1, and is recorded, so whatever the guest does next (trap,
// error code, a 0 from verdict_alloc) is reported as ErrMemoryLimit.
//
// Pages past the current length are zero: they come from make and linear
// memory never shrinks, so they have never been written.
type memoryAllocator struct {
	limit uint64 // bytes
	// pool, if not nil, lends linear memories of earlier instances, all
	// zero, and takes this one back, zeroed, when its instance is closed:
	// pages already mapped cost far less than fresh ones, whose first
	// touch is a page fault (Guest ABI v2, whose windows take megabytes).
	pool chan []byte

	mu      sync.Mutex
	buf     []byte
	refused uint64 // largest refused size in bytes, 0 if none
}

var _ experimental.MemoryAllocator = (*memoryAllocator)(nil)
var _ experimental.LinearMemory = (*memoryAllocator)(nil)

// Allocate implements experimental.MemoryAllocator. A module has at most one
// memory (multi-memory is not enabled), so the allocator is its own
// LinearMemory.
func (a *memoryAllocator) Allocate(capacity, _ uint64) experimental.LinearMemory {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case b := <-a.pool: // never ready when nil
		if uint64(cap(b)) >= capacity && uint64(cap(b)) <= a.limit {
			a.buf = b[:0]
			return a
		}
	default:
	}
	a.buf = make([]byte, 0, min(capacity, a.limit))
	return a
}

// maxPooledMemory bounds a linear memory kept for reuse.
const maxPooledMemory = 64 << 20

// Reallocate implements experimental.LinearMemory.
func (a *memoryAllocator) Reallocate(size uint64) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	if size > a.limit {
		a.refused = max(a.refused, size)
		return nil
	}
	if size <= uint64(cap(a.buf)) {
		a.buf = a.buf[:size]
		return a.buf
	}
	// Amortize like append, but never reserve past the limit.
	grown := make([]byte, size, max(size, min(2*uint64(cap(a.buf)), a.limit)))
	copy(grown, a.buf)
	a.buf = grown
	return a.buf
}

// Free implements experimental.LinearMemory. wazero keeps its own reference
// until the instance is gone, so this only drops ours.
// With a pool, the memory is zeroed (only what was used: linear memory
// never shrinks, so the rest was never written) and offered to the next
// instance; wazero calls Free once the instance is closed, after its last
// guest call returned.
func (a *memoryAllocator) Free() {
	a.mu.Lock()
	if a.pool != nil && a.buf != nil && cap(a.buf) <= maxPooledMemory {
		clear(a.buf)
		select {
		case a.pool <- a.buf[:0]:
		default:
		}
	}
	a.buf = nil
	a.mu.Unlock()
}

// refusedBytes returns the largest refused request, 0 if none.
func (a *memoryAllocator) refusedBytes() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refused
}

// littleEndian reports the host byte order. The data handoff copies
// float64 slices as raw bytes on little-endian hosts (all supported wazero
// compiler targets) and falls back to encoding/binary elsewhere.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// putFloats copies src into dst (len(dst) == 8*len(src)) as little-endian
// float64s.
func putFloats(dst []byte, src []float64) {
	if littleEndian {
		copy(dst, floatBytes(src))
		return
	}
	for i, v := range src {
		binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(v))
	}
}

// getFloats copies little-endian float64s from src (len(src) == 8*len(dst))
// into dst.
func getFloats(dst []float64, src []byte) {
	if littleEndian {
		copy(floatBytes(dst), src)
		return
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
	}
}

// floatBytes views f as bytes without copying.
func floatBytes(f []float64) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 8*len(f))
}

// fillUnwritten sets every float64 of b to the unwritten NaN payload.
func fillUnwritten(b []byte) {
	if len(b) < 8 {
		return
	}
	binary.LittleEndian.PutUint64(b, unwritten)
	for n := 8; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}
