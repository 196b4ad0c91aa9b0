package durable

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path, replacing any file there, durably: a
// reader of path sees the old content or the new, never a part, and after
// WriteFile returns nil the new content and name survive a power cut. The
// file gets exactly the permission bits perm (the umask does not apply),
// set before any content is written.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return put(path, perm, true, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write is WriteFile for content streamed by write, which must not keep w.
// An error of write is returned as is, wrapped, and nothing is written.
func Write(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	return put(path, perm, true, write)
}

// Create is WriteFile that never replaces a file: when path exists it
// fails with an error satisfying errors.Is(err, fs.ErrExist) and leaves
// the file as it was (e.g. a key file).
func Create(path string, data []byte, perm fs.FileMode) error {
	return put(path, perm, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir makes the entries of dir durable: a file created, renamed or
// removed in dir, whose own content is synced, survives a power cut once
// SyncDir returns nil.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %q: %w", dir, err)
	}
	return nil
}

func put(path string, perm fs.FileMode, replace bool, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	name := tmp.Name()
	defer func() {
		if tmp != nil {
			tmp.Close()
		}
		if err != nil || !replace {
			// Gone already when renamed; a link leaves the temporary name.
			if rerr := os.Remove(name); rerr != nil && !os.IsNotExist(rerr) && err == nil {
				err = fmt.Errorf("write %q: remove temporary file: %w", path, rerr)
			}
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	err = tmp.Close()
	tmp = nil
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if replace {
		err = os.Rename(name, path)
	} else {
		// Link fails when path exists, so an existing file stays.
		err = os.Link(name, path)
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if !replace {
		if err := os.Remove(name); err != nil {
			return fmt.Errorf("write %q: remove temporary file: %w", path, err)
		}
	}
	return SyncDir(dir)
}
