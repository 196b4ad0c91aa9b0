package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed all:_template
var templates embed.FS

// languages are the templates under _template, in the order they are
// listed to the user.
var languages = []string{"go", "c", "rust", "assemblyscript", "python"}

// shared is written into every project.
const shared = "sample"

// Languages returns the languages Write knows, in a fixed order.
func Languages() []string { return slices.Clone(languages) }

// Write writes a model project for lang into dir, creating dir (and its
// parents) if needed, and returns the files written as slash-separated
// paths relative to dir, in lexical order. Files are 0644 and
// directories 0755 (before the umask). dir must not exist or be an empty
// directory.
func Write(dir, lang string) ([]string, error) {
	if !slices.Contains(languages, lang) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownLanguage, lang, strings.Join(languages, ", "))
	}
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	var written []string
	for _, root := range []string{path.Join("_template", lang), path.Join("_template", shared)} {
		prefix := ""
		if path.Base(root) == shared {
			prefix = shared
		}
		err := fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel := path.Join(prefix, strings.TrimPrefix(strings.TrimPrefix(p, root), "/"))
			if d.Name() == "go.mod.txt" {
				rel = strings.TrimSuffix(rel, ".txt")
			}
			target := filepath.Join(dir, filepath.FromSlash(rel))
			if d.IsDir() {
				if err := os.MkdirAll(target, 0o755); err != nil {
					return fmt.Errorf("scaffold: create %s: %w", target, err)
				}
				return nil
			}
			data, err := templates.ReadFile(p)
			if err != nil {
				return err
			}
			if err := writeNew(target, data); err != nil {
				return err
			}
			written = append(written, rel)
			return nil
		})
		if err != nil {
			return written, err
		}
	}
	slices.Sort(written)
	return written, nil
}

// emptyDir creates dir if it does not exist and refuses it if it is not
// an empty directory.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("scaffold: create %s: %w", dir, err)
		}
		return nil
	case err != nil:
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return fmt.Errorf("scaffold: %s is a file, not a directory", dir)
		}
		return fmt.Errorf("scaffold: read %s: %w", dir, err)
	case len(entries) > 0:
		names := make([]string, 0, 3)
		for _, e := range entries[:min(len(entries), 3)] {
			names = append(names, e.Name())
		}
		more := ""
		if len(entries) > 3 {
			more = fmt.Sprintf(" and %d more", len(entries)-3)
		}
		return fmt.Errorf("%w: %s holds %s%s; choose a new or empty directory", ErrNotEmpty, dir, strings.Join(names, ", "), more)
	}
	return nil
}

// writeNew writes a file that must not exist yet.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("scaffold: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("scaffold: write %s: %w", name, err)
	}
	return nil
}
