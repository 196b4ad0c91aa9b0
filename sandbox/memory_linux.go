package sandbox

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// canMapMemory says guest memory can be a mapping of its own with file
// pages mapped into it (Guest ABI v2).
const canMapMemory = true

// reserveMemory maps n bytes of private anonymous memory, reserved but not
// committed: pages cost nothing until touched.
func reserveMemory(n uint64) ([]byte, error) {
	if n == 0 {
		n = wasmPageBytes
	}
	return unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
}

func releaseMemory(b []byte) { _ = unix.Munmap(b) }

// mapOver replaces the pages of dst (inside a reserveMemory mapping) with
// len(dst) bytes of the file fd from off.
func mapOver(dst []byte, fd int, off int64, shared bool) error {
	flags := unix.MAP_FIXED | unix.MAP_PRIVATE
	if shared {
		flags = unix.MAP_FIXED | unix.MAP_SHARED
	}
	_, err := unix.MmapPtr(fd, off, unsafe.Pointer(&dst[0]), uintptr(len(dst)), unix.PROT_READ|unix.PROT_WRITE, flags)
	return err
}
