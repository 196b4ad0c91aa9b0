package scaffold_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/internal/scaffold"
)

func TestWrite(t *testing.T) {
	// A file written by this process with 0644 shows the umask in force.
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(probe)
	if err != nil {
		t.Fatal(err)
	}
	umask := 0o644 &^ fi.Mode().Perm()

	tests := []struct {
		lang string
		want []string // among the files written
	}{
		{"go", []string{"Makefile", "README.md", "go.mod", "model.go", "model_test.go", "guest/go.mod", "guest/guest.go", "guest/export_wasip1.go", "sample/rows.csv", "sample/task.yaml", ".gitignore"}},
		{"c", []string{"Makefile", "README.md", "model.c", "verdict.h", "sample/rows.csv", "sample/task.yaml"}},
		{"rust", []string{"Makefile", "README.md", "model.rs", "verdict/src/lib.rs", "verdict/Cargo.toml", "sample/rows.csv"}},
		{"assemblyscript", []string{"Makefile", "README.md", "package.json", "package-lock.json", "assembly/index.ts", "sample/rows.csv"}},
		{"python", []string{"Makefile", "README.md", "train.py", "train_torch.py", "sample/rows.csv", "sample/task.yaml", ".gitignore"}},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new", "model") // parents are created
			files, err := scaffold.Write(dir, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.want {
				if !slices.Contains(files, f) {
					t.Errorf("got files %v, want %s among them", files, f)
				}
			}
			if !slices.IsSorted(files) {
				t.Errorf("got files %v, want them sorted", files)
			}
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				want := fs.FileMode(0o644)
				if d.IsDir() {
					want = 0o755
				}
				if got := fi.Mode().Perm(); got != want&^umask {
					t.Errorf("%s: got mode %v, want %v", p, got, want&^umask)
				}
				if strings.HasSuffix(p, ".txt") {
					t.Errorf("%s: got a .txt template name, want it renamed", p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWriteRelative(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := scaffold.Write(filepath.Join("models", "mine"), "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("models", "mine", "model.c")); err != nil {
		t.Errorf("got %v, want model.c under the relative directory", err)
	}
}

func TestWriteErrors(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "model.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, lang string
		is              error
		msg             []string
	}{
		{"ErrUnknownLanguage", t.TempDir(), "java", scaffold.ErrUnknownLanguage, []string{`"java"`, "go, c, rust, assemblyscript"}},
		{"ErrNotEmpty", full, "go", scaffold.ErrNotEmpty, []string{full, "model.go", "empty directory"}},
		{"NotADirectory", file, "go", nil, []string{file, "is a file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scaffold.Write(tc.dir, tc.lang)
			if err == nil {
				t.Fatal("got no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want errors.Is %v", err, tc.is)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("got %q, want it to name %q", err, m)
				}
			}
		})
	}
	// The refused directory is untouched.
	if got, err := os.ReadFile(filepath.Join(full, "model.go")); err != nil || string(got) != "package main\n" {
		t.Errorf("got %q, %v, want the participant's file untouched", got, err)
	}
}

func TestLanguages(t *testing.T) {
	got := scaffold.Languages()
	if want := []string{"go", "c", "rust", "assemblyscript", "python"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got[0] = "x"
	if scaffold.Languages()[0] != "go" {
		t.Error("got a shared slice, want a copy")
	}
}
