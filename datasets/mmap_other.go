//go:build !linux

package datasets

import (
	"fmt"
	"io"
	"os"
)

// mapFile reads the first size bytes of f into memory: platforms other
// than Linux do not map stored datasets (see mmap_linux.go).
func mapFile(f *os.File, size int64) (*mapping, error) {
	if int64(int(size)) != size {
		return nil, fmt.Errorf("read %s: %d bytes do not fit in memory", f.Name(), size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), b); err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return &mapping{data: b}, nil
}

// mapping is a file's bytes, read into memory.
type mapping struct {
	data []byte
}

func (m *mapping) drop(off, n int) {}

func (m *mapping) release() error {
	m.data = nil
	return nil
}
