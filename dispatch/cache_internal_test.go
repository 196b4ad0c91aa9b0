package dispatch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

func TestDiskCache(t *testing.T) {
	ctx := context.Background()
	srv, err := StartServer(ServerConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := srv.ConnectCoordinator()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "test"})
	if err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		name := sha256Hex(b)
		if err := putObject(ctx, obs, name, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			t.Fatal(err)
		}
		return name
	}
	a, b, c := put(bytes.Repeat([]byte("a"), 1000)), put(bytes.Repeat([]byte("b"), 1000)), put(bytes.Repeat([]byte("c"), 1000))
	dir := t.TempDir()
	cache, err := newDiskCache(dir, 2500) // room for two
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{a, b, a, c} {
		f, err := cache.open(ctx, obs, name, 1<<20)
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if sha256Hex(got) != name {
			t.Fatalf("open %s: got other bytes", name)
		}
	}
	// a was used after b: b, the least recently used, went.
	for name, want := range map[string]bool{a: true, b: false, c: true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s cached: got %v, want %v", name[:8], err == nil, want)
		}
	}
	t.Run("corrupt-file", func(t *testing.T) {
		// A file left corrupt by an earlier process is not trusted: the
		// next process's cache fetches the object again.
		path := filepath.Join(dir, a)
		if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		restarted, err := newDiskCache(dir, 2500)
		if err != nil {
			t.Fatal(err)
		}
		f, err := restarted.open(ctx, obs, a, 1<<20)
		if err != nil {
			t.Fatalf("open %s: %v", a[:8], err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if sha256Hex(got) != a {
			t.Fatalf("open %s: got the corrupt bytes %.16q", a[:8], got)
		}
		if disk, _ := os.ReadFile(path); sha256Hex(disk) != a {
			t.Errorf("the corrupt file stayed in the cache")
		}
	})
	t.Run("ErrDigest", func(t *testing.T) {
		liar := sha256Hex([]byte("what the name promises"))
		if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: liar}, bytes.NewReader([]byte("something else"))); err != nil {
			t.Fatal(err)
		}
		if _, err := cache.open(ctx, obs, liar, 1<<20); !errors.Is(err, ErrDigest) {
			t.Fatalf("got %v, want ErrDigest", err)
		}
		if _, err := os.Stat(filepath.Join(dir, liar)); err == nil {
			t.Errorf("a mismatching object was cached")
		}
	})
	t.Run("ErrShard/too-big", func(t *testing.T) {
		if _, err := cache.open(ctx, obs, a, 999); !errors.Is(err, ErrShard) {
			// a is cached: refetch c's twin under a fresh cache
			fresh, _ := newDiskCache(t.TempDir(), 0)
			if _, err := fresh.open(ctx, obs, c, 999); !errors.Is(err, ErrShard) {
				t.Fatalf("got %v, want ErrShard", err)
			}
		}
	})
}
