package sandbox

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// featureBacking is a sealed memfd mapped read-only.
type featureBacking struct {
	file *os.File
	data []byte
}

func (b *featureBacking) create(columns [][]float64, rows int) ([]float64, error) {
	size := 8 * rows * len(columns)
	f, err := sealedFile("verdict-features", size, func(f *os.File) error {
		for j, c := range columns {
			if _, err := f.WriteAt(floatBytes(c), int64(8*j*rows)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.file = f
	if size == 0 {
		return make([]float64, 0), nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mmap: %w", err)
	}
	b.data = data
	return unsafe.Slice((*float64)(unsafe.Pointer(&data[0])), size/8), nil
}

func (b *featureBacking) close() error {
	var err error
	if b.data != nil {
		err = unix.Munmap(b.data)
		b.data = nil
	}
	if b.file != nil {
		if cerr := b.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// sealedFile returns a memfd of size bytes filled by fill and then sealed
// against any change (write, grow, shrink, further seals), so that a child
// that reopens it through /proc cannot modify it either.
func sealedFile(name string, size int, fill func(*os.File) error) (*os.File, error) {
	return sealedFileOpts(name, size, fill, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE)
}

// sealedFileOpts is sealedFile with a choice of seals.
func sealedFileOpts(name string, size int, fill func(*os.File) error, seals int) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("size memfd: %w", err)
	}
	if fill != nil {
		if err := fill(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("write memfd: %w", err)
		}
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return f, nil
}
