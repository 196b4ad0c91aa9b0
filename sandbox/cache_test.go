package sandbox_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// cacheFiles lists the entries of a compilation cache and their total
// size.
func cacheFiles(t *testing.T, dir string) ([]string, int64) {
	t.Helper()
	var names []string
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		names = append(names, filepath.Base(path))
		total += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names, total
}

// TestDiskCacheBound: the compilation cache on disk is trimmed to
// Config.CacheMaxBytes after each compilation, least recently used entries
// first. Before, it was never trimmed: every module compiled left an entry
// about ten times its size for good.
func TestDiskCacheBound(t *testing.T) {
	ctx := context.Background()
	mods := [][]byte{sandboxtest.NestedBlocks(10), sandboxtest.NestedBlocks(11), sandboxtest.NestedBlocks(12)}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			// Each module's entry, compiled alone into an unbounded cache.
			entry := make([]string, len(mods))
			var size int64
			for i, wasm := range mods {
				dir := t.TempDir()
				rt := newRuntime(t, sandbox.Config{CacheDir: dir, Isolation: mode.iso, CacheMaxBytes: -1})
				m, err := rt.Compile(ctx, wasm)
				if err != nil {
					t.Fatal(err)
				}
				m.Close(ctx)
				names, total := cacheFiles(t, dir)
				if len(names) != 1 {
					t.Fatalf("module %d alone: cache holds %v, want one entry", i, names)
				}
				entry[i], size = names[0], max(size, total)
			}
			// Room for two entries, not three.
			bound := size * 5 / 2
			dir := t.TempDir()
			rt := newRuntime(t, sandbox.Config{CacheDir: dir, Isolation: mode.iso, CacheMaxBytes: bound})
			use := func(i int) {
				t.Helper()
				m, err := rt.Compile(ctx, mods[i])
				if err != nil {
					t.Fatal(err)
				}
				m.Close(ctx)
				if names, total := cacheFiles(t, dir); total > bound {
					t.Fatalf("after compiling module %d: cache holds %d bytes (%d entries), bound %d", i, total, len(names), bound)
				}
			}
			use(0)
			use(1)
			use(0) // module 0 used again: module 1 is now the least recently used
			use(2)
			got, total := cacheFiles(t, dir)
			want := []string{entry[0], entry[2]}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("cache holds %v (%d bytes), want the entries of modules 0 and 2 %v (module 1 least recently used)", got, total, want)
			}
			t.Logf("entries of %d bytes, bound %d: cache holds %d bytes", size, bound, total)
		})
	}
}
