//go:build linux

package datasets

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only. release unmaps them;
// the bytes must not be used afterwards. drop tells the kernel the bytes
// of [off, off+n) will not be read again, so that the pages leave the
// process's resident set (they stay in the page cache): reading a stored
// file in place costs a window of it in memory, not the whole file.
//
// A file truncated while it is mapped makes a read past its new end
// fault: readers set debug.SetPanicOnFault so that the fault is a panic
// that guard turns into an error, not a crash.
func mapFile(f *os.File, size int64) (m *mapping, err error) {
	if size <= 0 {
		return &mapping{}, nil
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("map %s: %d bytes do not fit in memory", f.Name(), size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	_ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL) // a hint only
	return &mapping{data: b, mapped: true}, nil
}

// mapping is a file's bytes, mapped (Linux) or read.
type mapping struct {
	data   []byte
	mapped bool
}

// drop releases the pages of [off, off+n), rounded inwards to whole
// pages, from the resident set.
func (m *mapping) drop(off, n int) {
	if !m.mapped {
		return
	}
	page := os.Getpagesize()
	lo := (off + page - 1) / page * page
	hi := (off + n) / page * page
	if hi > lo && hi <= len(m.data) {
		_ = syscall.Madvise(m.data[lo:hi], syscall.MADV_DONTNEED) // a hint only
	}
}

func (m *mapping) release() error {
	if !m.mapped || m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	return err
}
