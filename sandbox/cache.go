package sandbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultCacheMaxBytes bounds the on-disk compilation cache (1 GiB) when
// Config.CacheMaxBytes is zero. Compiled code is about ten times the
// module (a 7 MB module made a 72 MB entry), so this keeps the code of
// about a hundred big modules.
const DefaultCacheMaxBytes = 1 << 30

// diskCache trims wazero's on-disk compilation cache, which never removes
// anything itself, to at most max bytes, least recently used entries
// first. wazero names an entry by a hash of the module and the compiler,
// which the sandbox does not compute; it learns which entries a module's
// compilation wrote (the files that appeared while it compiled) and
// refreshes their modification time, which serves as the entry's last
// use, whenever it compiles that module again. Entries it knows nothing
// of (from another process, or before a restart) keep their own time.
// Several processes may share a cache and trim it; an entry removed under
// a reader stays readable by it (Unix), and one removed before a compile
// is compiled again.
type diskCache struct {
	dir string
	max int64

	mu sync.Mutex
	// files are the cache files (relative to dir) each module's
	// compilations wrote, by the module's SHA-256.
	files map[string][]string
	// known are the files the last scan saw: a compilation wrote only
	// files that are not among them.
	known map[string]bool
}

func newDiskCache(dir string, max int64) *diskCache {
	if max == 0 {
		max = DefaultCacheMaxBytes
	}
	if dir == "" || max < 0 {
		return nil
	}
	return &diskCache{dir: dir, max: max, files: map[string][]string{}, known: map[string]bool{}}
}

type cacheFile struct {
	path    string
	size    int64
	modTime time.Time
}

// used records that module sha was compiled, by a compilation that began
// at start, then trims the cache; the module's own entries are kept even if
// they alone exceed the bound. Errors are ignored: a cache that cannot be
// trimmed still works.
func (c *diskCache) used(sha string, start time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	files, total := c.scan()
	mine := map[string]bool{}
	for _, p := range c.files[sha] {
		mine[p] = true
	}
	// New files written since the compilation began (allowing for file
	// systems that store modification times coarsely) are its entries.
	since := start.Add(-2 * time.Second)
	known := make(map[string]bool, len(files))
	for _, f := range files {
		if !c.known[f.path] && !f.modTime.Before(since) {
			mine[f.path] = true
		}
		known[f.path] = true
	}
	now := time.Now()
	var kept []string
	for i := range files {
		if f := &files[i]; mine[f.path] {
			if os.Chtimes(filepath.Join(c.dir, f.path), now, now) == nil {
				f.modTime = now
			}
			kept = append(kept, f.path)
		}
	}
	c.files[sha] = kept
	c.known = known
	if total <= c.max {
		return
	}
	slices.SortFunc(files, func(a, b cacheFile) int { return a.modTime.Compare(b.modTime) })
	removed := map[string]bool{}
	for _, f := range files {
		if total <= c.max {
			break
		}
		if mine[f.path] {
			continue
		}
		if err := os.Remove(filepath.Join(c.dir, f.path)); err == nil || os.IsNotExist(err) {
			total -= f.size
			removed[f.path] = true
			delete(c.known, f.path)
		}
	}
	for m, paths := range c.files {
		paths = slices.DeleteFunc(paths, func(p string) bool { return removed[p] })
		if len(paths) == 0 {
			delete(c.files, m)
		} else {
			c.files[m] = paths
		}
	}
}

// scan lists the cache's entries (regular files, not the temporary files
// of a write in progress) and their total size.
func (c *diskCache) scan() ([]cacheFile, int64) {
	var files []cacheFile
	var total int64
	_ = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || strings.HasSuffix(path, ".tmp") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, err := filepath.Rel(c.dir, path)
		if err != nil {
			return nil
		}
		files = append(files, cacheFile{path: rel, size: info.Size(), modTime: info.ModTime()})
		total += info.Size()
		return nil
	})
	return files, total
}
