package scaffold

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "copy the SDKs from sdk/ into _template")

// sdkCopies maps each SDK directory in the repository to its copy in
// _template and says which of its files a participant gets.
var sdkCopies = []struct {
	name, real, copy string
	keep             func(rel string) bool
}{
	{"Go", "../../sdk/guest", "_template/go/guest", func(rel string) bool {
		return rel == "go.mod" || !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go")
	}},
	{"C", "../../sdk/c", "_template/c", func(rel string) bool { return rel == "verdict.h" }},
	{"Rust", "../../sdk/rust", "_template/rust/verdict", func(rel string) bool {
		return rel == "Cargo.toml" || strings.HasPrefix(rel, "src/")
	}},
}

// copyName is a real SDK file's name in _template.
func copyName(rel string) string {
	if rel == "go.mod" {
		return "go.mod.txt"
	}
	return rel
}

// TestSDKCopies: the SDK sources embedded in the binary are the
// repository's, byte for byte, and none is missing or left over (run with
// -update to copy them again).
func TestSDKCopies(t *testing.T) {
	for _, c := range sdkCopies {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			err := filepath.WalkDir(c.real, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(c.real, p)
				rel = filepath.ToSlash(rel)
				if !c.keep(rel) {
					return nil
				}
				want = append(want, copyName(rel))
				src, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				dst := filepath.Join(c.copy, filepath.FromSlash(copyName(rel)))
				if *update {
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						return err
					}
					return os.WriteFile(dst, src, 0o644)
				}
				got, err := os.ReadFile(dst)
				if err != nil {
					t.Errorf("%s has no copy: %v (run go test ./internal/scaffold -run TestSDKCopies -update)", p, err)
					return nil
				}
				if !bytes.Equal(got, src) {
					t.Errorf("%s differs from %s (run go test ./internal/scaffold -run TestSDKCopies -update)", dst, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatalf("found no SDK file in %s", c.real)
			}
			// Files in the copy that the SDK no longer has.
			err = filepath.WalkDir(c.copy, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(c.copy, p)
				rel = filepath.ToSlash(rel)
				orig := strings.TrimSuffix(rel, ".txt")
				if !c.keep(orig) {
					return nil // the template's own files (model, Makefile, ...)
				}
				if !slices.Contains(want, rel) {
					if *update {
						return os.Remove(p)
					}
					t.Errorf("%s is not in %s any more (run with -update)", p, c.real)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
