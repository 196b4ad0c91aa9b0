package dispatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// putObject stores what write produces under name (its SHA-256, hex) in
// obs, unless an object of that name is already there: objects are
// content-addressed, so a present one is the same bytes. write is
// streamed into the store through a pipe, never held whole.
func putObject(ctx context.Context, obs jetstream.ObjectStore, name string, write func(io.Writer) error) error {
	if _, err := obs.GetInfo(ctx, name); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("look up object %s: %w", name, err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	h := sha256.New()
	_, err := obs.Put(ctx, jetstream.ObjectMeta{Name: name}, io.TeeReader(pr, h))
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the writer if Put stopped early
	if err != nil {
		return fmt.Errorf("put object %s: %w", name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != name {
		_ = obs.Delete(ctx, name)
		return fmt.Errorf("put object %s: wrote %s: %w", name, got, ErrDigest)
	}
	return nil
}

// getObject streams the object name from obs into w, checking that its
// bytes hash to name and that there are at most max of them.
func getObject(ctx context.Context, obs jetstream.ObjectStore, name string, max int64, w io.Writer) error {
	res, err := obs.Get(ctx, name)
	if err != nil {
		return fmt.Errorf("get object %s: %w", name, err)
	}
	defer res.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(res, max+1))
	if err != nil {
		return fmt.Errorf("get object %s: %w", name, err)
	}
	if n > max {
		return fmt.Errorf("get object %s: more than %d bytes: %w", name, max, ErrShard)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != name {
		return fmt.Errorf("get object %s: read %s: %w", name, got, ErrDigest)
	}
	return nil
}

// DefaultCacheMaxBytes bounds a worker's disk cache of inputs: 4 GiB.
const DefaultCacheMaxBytes = 4 << 30

// diskCache keeps objects of a bucket on a worker's disk, named by their
// SHA-256, checked when they arrive, trimmed to max bytes least recently
// used first.
type diskCache struct {
	dir string
	max int64

	mu       sync.Mutex
	fetching map[string]*fetchLock // one download per name at a time
	checked  map[string]bool       // files this process fetched or hashed
}

// fetchLock serializes the fetches of one name; users counts its holders
// and waiters, and the last one removes it.
type fetchLock struct {
	sync.Mutex
	users int
}

func newDiskCache(dir string, max int64) (*diskCache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache %s: %w", dir, err)
	}
	if max == 0 {
		max = DefaultCacheMaxBytes
	}
	return &diskCache{dir: dir, max: max, fetching: map[string]*fetchLock{}, checked: map[string]bool{}}, nil
}

// open returns the cached object name, fetching it from obs first if it
// is not on disk. The file stays readable after a trim removes it.
func (c *diskCache) open(ctx context.Context, obs jetstream.ObjectStore, name string, max int64) (*os.File, error) {
	if !isSHA256(name) {
		return nil, fmt.Errorf("cache: object %.64q is not a SHA-256: %w", name, ErrShard)
	}
	c.mu.Lock()
	l := c.fetching[name]
	if l == nil {
		l = &fetchLock{}
		c.fetching[name] = l
	}
	l.users++
	c.mu.Unlock()
	l.Lock()
	defer func() {
		l.Unlock()
		c.mu.Lock()
		if l.users--; l.users == 0 {
			delete(c.fetching, name)
		}
		c.mu.Unlock()
	}()
	path := filepath.Join(c.dir, name)
	if f, err := os.Open(path); err == nil {
		// A file an earlier process left (a crash, a bad disk) is
		// hashed once before it is trusted; a bad one is fetched again.
		if err := c.check(f, name, max); err == nil {
			now := time.Now()
			_ = os.Chtimes(path, now, now) // recently used
			return f, nil
		}
		f.Close()
		_ = os.Remove(path)
	}
	tmp, err := os.CreateTemp(c.dir, name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cache object %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := getObject(ctx, obs, name, max, tmp); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("cache object %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("cache object %s: %w", name, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cache object %s: %w", name, err)
	}
	c.mu.Lock()
	c.checked[name] = true
	c.mu.Unlock()
	c.trim(name)
	return f, nil
}

// check makes sure the cached file f holds at most max bytes that hash to
// name, hashing it the first time this process opens it, and leaves f at
// its start.
func (c *diskCache) check(f *os.File, name string, max int64) error {
	c.mu.Lock()
	ok := c.checked[name]
	c.mu.Unlock()
	if ok {
		return nil
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, max+1))
	switch {
	case err != nil:
		return fmt.Errorf("cache object %s: %w", name, err)
	case n > max:
		return fmt.Errorf("cache object %s: more than %d bytes: %w", name, max, ErrShard)
	case hex.EncodeToString(h.Sum(nil)) != name:
		return fmt.Errorf("cache object %s: %w", name, ErrDigest)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cache object %s: %w", name, err)
	}
	c.mu.Lock()
	c.checked[name] = true
	c.mu.Unlock()
	return nil
}

// trim removes the least recently used objects but keep until the cache
// holds at most max bytes.
func (c *diskCache) trim(keep string) {
	if c.max < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || !isSHA256(e.Name()) {
			continue
		}
		files = append(files, file{e.Name(), info.Size(), info.ModTime()})
		total += info.Size()
	}
	slices.SortFunc(files, func(a, b file) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= c.max {
			break
		}
		if f.name == keep {
			continue
		}
		if err := os.Remove(filepath.Join(c.dir, f.name)); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size
			delete(c.checked, f.name)
		}
	}
}
