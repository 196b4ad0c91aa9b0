package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
)

// TestStoredDataTampered changes a task's stored files on disk between two
// engines: the dataset (a byte flipped, the file truncated) and the split
// (a row moved between parts). The next engine refuses to score against
// them, naming the file and that it changed, and scores again once the
// bytes are back.
func TestStoredDataTampered(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, _ := contest(t, "", engine.Config{DataDir: dir})
	mustSubmit(t, e, "ada", linear)
	task, err := e.Task("contest")
	if err != nil {
		t.Fatal(err)
	}
	if task.DatasetFileSHA256 == "" || task.SplitSHA256 == "" {
		t.Fatalf("task records dataset file %q split %q, want both digests", task.DatasetFileSHA256, task.SplitSHA256)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	find := func(pattern string) string {
		m, err := filepath.Glob(filepath.Join(dir, "datasets", pattern))
		if err != nil || len(m) != 1 {
			t.Fatalf("glob %s: %v, %v", pattern, m, err)
		}
		return m[0]
	}
	arrow, split := find("*.arrow"), find("*.contest.split")

	tests := []struct {
		name   string
		path   string
		change func([]byte) []byte
		want   error  // nil: any error
		msg    string // in the error
	}{
		{"ErrHashMismatch/dataset byte flipped", arrow, func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b }, datasets.ErrHashMismatch, "changed on disk"},
		{"ErrHashMismatch/dataset truncated", arrow, func(b []byte) []byte { return b[:len(b)/2] }, datasets.ErrHashMismatch, "changed on disk"},
		{"split row moved", split, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, nil, "stored split"},
	}
	n := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tc.path, tc.change(append([]byte(nil), orig...)), 0o600); err != nil {
				t.Fatal(err)
			}
			e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			n++
			_, err = submit(t, e, "bob", variant(linear, n))
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want an error wrapping %v mentioning %q", err, tc.want, tc.msg)
			}
			if !strings.Contains(err.Error(), filepath.Base(tc.path)) {
				t.Errorf("error %q does not name the file %s", err, filepath.Base(tc.path))
			}
			if err := e.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tc.path, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
			if err != nil {
				t.Fatal(err)
			}
			defer e2.Close(ctx)
			n++
			mustSubmit(t, e2, "bob", variant(linear, n))
		})
	}
}
