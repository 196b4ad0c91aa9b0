package durable

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	errWriter := errors.New("test: the writer fails")
	tests := []struct {
		name    string
		old     string // content already at the path; "" for none
		write   func(path string) error
		perm    fs.FileMode
		want    string // content afterwards
		wantErr error
	}{
		{name: "WriteFile/new", perm: 0o600, want: "secret",
			write: func(p string) error { return WriteFile(p, []byte("secret"), 0o600) }},
		{name: "WriteFile/replaces", old: "old", perm: 0o644, want: "new",
			write: func(p string) error { return WriteFile(p, []byte("new"), 0o644) }},
		{name: "WriteFile/permBeyondUmask", perm: 0o666, want: "x",
			write: func(p string) error { return WriteFile(p, []byte("x"), 0o666) }},
		{name: "Write/streams", old: "old", perm: 0o640, want: "a\nb\n",
			write: func(p string) error {
				return Write(p, 0o640, func(w io.Writer) error {
					for _, s := range []string{"a\n", "b\n"} {
						if _, err := io.WriteString(w, s); err != nil {
							return err
						}
					}
					return nil
				})
			}},
		{name: "Create/new", perm: 0o600, want: "key",
			write: func(p string) error { return Create(p, []byte("key"), 0o600) }},
		{name: "ErrWriter/keepsOld", old: "old", perm: 0o600, want: "old", wantErr: errWriter,
			write: func(p string) error {
				return Write(p, 0o644, func(w io.Writer) error {
					io.WriteString(w, "half")
					return errWriter
				})
			}},
		{name: "ErrExist/Create", old: "old", perm: 0o600, want: "old", wantErr: fs.ErrExist,
			write: func(p string) error { return Create(p, []byte("new"), 0o600) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "file")
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := tc.write(path)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got content %q, want %q", got, tc.want)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tc.perm {
				t.Errorf("got mode %v, want %v", st.Mode().Perm(), tc.perm)
			}
			// The directory holds the file and no temporary one.
			if names := entries(t, dir); len(names) != 1 || names[0] != "file" {
				t.Errorf("got directory entries %q, want just \"file\"", names)
			}
		})
	}
}

func TestWriteMissingDir(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(filepath.Join(dir, "no", "file"), []byte("x"), 0o600)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("got directory entries %q, want none", names)
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}
