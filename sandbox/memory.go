package sandbox

import (
	"encoding/binary"
	"fmt"
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
	// mapped reserves the memory as a mapping of its own (Linux), up to
	// the limit at once so it never moves, for mapFile. Guest ABI v2 only.
	mapped bool
	own    bool // buf is that mapping

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
	if a.mapped {
		if b, err := reserveMemory(a.limit); err == nil {
			a.buf, a.own = b[:0], true
			return a
		}
		a.mapped = false // mapFile then refuses, and the host copies
	}
	a.buf = make([]byte, 0, min(capacity, a.limit))
	return a
}

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
	if a.own { // cannot happen: the mapping spans the limit
		a.refused = max(a.refused, size)
		return nil
	}
	// Amortize like append, but never reserve past the limit.
	grown := make([]byte, size, max(size, min(2*uint64(cap(a.buf)), a.limit)))
	copy(grown, a.buf)
	a.buf = grown
	return a.buf
}

// Free implements experimental.LinearMemory. wazero keeps its own reference
// until the instance is gone, so this only drops ours.
func (a *memoryAllocator) Free() {
	a.mu.Lock()
	if a.own {
		releaseMemory(a.buf[:cap(a.buf)])
		a.own = false
	}
	a.buf = nil
	a.mu.Unlock()
}

// mapFile maps size bytes of the file fd from offset off over guest memory
// at addr, both page-aligned: shared (the guest's writes reach the file)
// or private (copy on write). It fails unless the memory is the
// allocator's own mapping and [addr, addr+size) lies inside it.
func (a *memoryAllocator) mapFile(addr uint32, size int, fd int, off int64, shared bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.own || uint64(addr)+uint64(size) > uint64(len(a.buf)) || addr%v2Align != 0 || off%v2Align != 0 {
		return fmt.Errorf("cannot map %d bytes at %#x of guest memory of %d bytes", size, addr, len(a.buf))
	}
	if size == 0 {
		return nil
	}
	return mapOver(a.buf[addr:uint64(addr)+uint64(size)], fd, off, shared)
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
