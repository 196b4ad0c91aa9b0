package ledger_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdictlab/verdict/ledger"
)

func TestProofs(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, dir)
	n := 600 // two full tiles and a partial one
	if testing.Short() {
		n = 260 // one full tile and a partial one
	}
	appendN(t, l, 0, n)
	signed, cp := l.Checkpoint()
	if cp.Size != int64(n) {
		t.Fatalf("got size %d, want %d", cp.Size, n)
	}
	got, err := ledger.ParseCheckpoint(signed, l.VerifierKey())
	if err != nil || got != cp {
		t.Fatalf("parse own checkpoint: got %+v, %v; want %+v", got, err, cp)
	}
	for _, i := range []int64{0, 1, 255, 256, 259, 511, 599} {
		if i >= cp.Size {
			continue
		}
		p, err := l.ProveInclusion(i, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.VerifyInclusion(p, i, cp, receipt(int(i)).Encode()); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
		pt, err := ledger.ProveInclusionFromTiles(cp, i, dirFetch(dir))
		if err != nil {
			t.Fatalf("entry %d from tiles: %v", i, err)
		}
		if err := ledger.VerifyInclusion(pt, i, cp, receipt(int(i)).Encode()); err != nil {
			t.Errorf("entry %d from tiles: %v", i, err)
		}
		e, err := ledger.EntryFromTiles(cp.Size, i, dirFetch(dir))
		if err != nil || !bytes.Equal(e, receipt(int(i)).Encode()) {
			t.Errorf("entry %d from bundle: got %q, %v", i, e, err)
		}
	}
	// Consistency: every old size against the current one.
	for _, old := range []int64{1, 2, 255, 256, 257, 260, 300, 599, 600} {
		if old > cp.Size {
			continue
		}
		p, err := l.ProveConsistency(old, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		oldRoot, err := ledger.RootOf(l, old)
		if err != nil {
			t.Fatal(err)
		}
		oc := ledger.Checkpoint{Origin: cp.Origin, Size: old, Hash: oldRoot}
		if err := ledger.VerifyConsistency(p, oc, cp); err != nil {
			t.Errorf("consistency %d→%d: %v", old, cp.Size, err)
		}
		pt, err := ledger.ProveConsistencyFromTiles(oc, cp, dirFetch(dir))
		if err != nil {
			t.Fatalf("consistency %d from tiles: %v", old, err)
		}
		if err := ledger.VerifyConsistency(pt, oc, cp); err != nil {
			t.Errorf("consistency %d→%d from tiles: %v", old, cp.Size, err)
		}
	}
}

// TestOldCheckpointStillVerifies: a checkpoint of a size whose partial
// tiles the log removed (they grew full) verifies from the full tiles.
func TestOldCheckpointStillVerifies(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, dir)
	appendN(t, l, 0, 100)
	_, old := l.Checkpoint()
	appendN(t, l, 100, 160)
	if _, err := os.Stat(filepath.Join(dir, "tile", "0", "000.p")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partials of a full tile kept: %v", err)
	}
	p, err := ledger.ProveInclusionFromTiles(old, 42, dirFetch(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyInclusion(p, 42, old, receipt(42).Encode()); err != nil {
		t.Error(err)
	}
	_, cp := l.Checkpoint()
	pc, err := ledger.ProveConsistencyFromTiles(old, cp, dirFetch(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyConsistency(pc, old, cp); err != nil {
		t.Error(err)
	}
}

// TestTamper changes every byte of a tile, a receipt and a checkpoint in
// turn: each change makes verification fail.
func TestTamper(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, dir)
	appendN(t, l, 0, 20)
	signed, cp := l.Checkpoint()
	const idx = 7
	entry := receipt(idx).Encode()

	t.Run("tile", func(t *testing.T) {
		path := ledger.TilePath(0, 0, 20)
		orig, err := l.Tile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range orig {
			bad := bytes.Clone(orig)
			bad[i] ^= 0x01
			fetch := func(p string) ([]byte, error) {
				if p == path {
					return bad, nil
				}
				return dirFetch(dir)(p)
			}
			p, err := ledger.ProveInclusionFromTiles(cp, idx, fetch)
			if err == nil {
				err = ledger.VerifyInclusion(p, idx, cp, entry)
			}
			if !errors.Is(err, ledger.ErrProof) {
				t.Fatalf("byte %d of the tile changed: got %v, want ErrProof", i, err)
			}
		}
	})
	t.Run("receipt", func(t *testing.T) {
		p, err := l.ProveInclusion(idx, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		for i := range entry {
			bad := bytes.Clone(entry)
			bad[i] ^= 0x01
			if err := ledger.VerifyInclusion(p, idx, cp, bad); !errors.Is(err, ledger.ErrProof) {
				t.Fatalf("byte %d of the receipt changed: got %v, want ErrProof", i, err)
			}
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		for i := range signed {
			bad := bytes.Clone(signed)
			bad[i] ^= 0x01
			if _, err := ledger.ParseCheckpoint(bad, l.VerifierKey()); !errors.Is(err, ledger.ErrCheckpoint) {
				t.Fatalf("byte %d of the checkpoint changed: got %v, want ErrCheckpoint", i, err)
			}
		}
	})
	t.Run("proof", func(t *testing.T) {
		p, err := l.ProveInclusion(idx, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		for j := range p {
			for i := range p[j] {
				p[j][i] ^= 1
				if err := ledger.VerifyInclusion(p, idx, cp, entry); !errors.Is(err, ledger.ErrProof) {
					t.Fatalf("byte %d of proof hash %d changed: got %v", i, j, err)
				}
				p[j][i] ^= 1
			}
		}
	})
}

// TestCrash: an entry written and fsynced, then the process killed before
// its tiles and checkpoint, is in the log once after Open; a torn tail is
// cut; a damaged entry the checkpoint covers is ErrCorrupt.
func TestCrash(t *testing.T) {
	t.Run("entry without checkpoint", func(t *testing.T) {
		dir := t.TempDir()
		l := openLedger(t, dir)
		appendN(t, l, 0, 5)
		ckpt, _ := l.Checkpoint()
		appendN(t, l, 5, 1)
		l.Close()
		// Put back the checkpoint and tiles of size 5: as if killed after the fsync.
		if err := os.WriteFile(filepath.Join(dir, "checkpoint"), ckpt, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, "tile", "0", "000.p", "6"))
		os.Remove(filepath.Join(dir, "tile", "entries", "000.p", "6"))
		l2 := openLedger(t, dir)
		if got := l2.Size(); got != 6 {
			t.Fatalf("got size %d, want 6", got)
		}
		_, cp := l2.Checkpoint()
		if cp.Size != 6 {
			t.Fatalf("checkpoint size %d, want 6", cp.Size)
		}
		p, err := ledger.ProveInclusionFromTiles(cp, 5, dirFetch(dir))
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.VerifyInclusion(p, 5, cp, receipt(5).Encode()); err != nil {
			t.Fatal(err)
		}
		appendN(t, l2, 6, 1) // no duplicate index
	})
	t.Run("torn tail", func(t *testing.T) {
		dir := t.TempDir()
		l := openLedger(t, dir)
		appendN(t, l, 0, 3)
		l.Close()
		f, err := os.OpenFile(filepath.Join(dir, "entries"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte{0, 0, 1, 0, 'x', 'y'}) // a record cut short
		f.Close()
		l2 := openLedger(t, dir)
		if got := l2.Size(); got != 3 {
			t.Fatalf("got size %d, want 3", got)
		}
		appendN(t, l2, 3, 1)
	})
	t.Run("empty checkpoint", func(t *testing.T) {
		dir := t.TempDir()
		l := openLedger(t, dir)
		appendN(t, l, 0, 3)
		want, _ := l.Checkpoint()
		l.Close()
		if err := os.WriteFile(filepath.Join(dir, "checkpoint"), nil, 0o644); err != nil { // a power cut after the rename, before the data
			t.Fatal(err)
		}
		l2 := openLedger(t, dir)
		if got, _ := l2.Checkpoint(); !bytes.Equal(got, want) {
			t.Fatalf("rebuilt checkpoint:\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		dir := t.TempDir()
		l := openLedger(t, dir)
		appendN(t, l, 0, 3)
		l.Close()
		path := filepath.Join(dir, "entries")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[10] ^= 1
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = ledger.Open(ledger.Config{Dir: dir, Origin: testOrigin, Signer: testKey()})
		if !errors.Is(err, ledger.ErrCorrupt) {
			t.Fatalf("got %v, want ErrCorrupt", err)
		}
	})
}

// TestReopen: a reopened ledger has the same checkpoint and continues.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, dir)
	appendN(t, l, 0, 260)
	before, _ := l.Checkpoint()
	l.Close()
	l2 := openLedger(t, dir)
	after, _ := l2.Checkpoint()
	if !bytes.Equal(before, after) {
		t.Fatalf("checkpoint changed on reopen:\n%s\n%s", before, after)
	}
	appendN(t, l2, 260, 1)
}

// TestHammer: concurrent appends get distinct indexes, all in the log.
func TestHammer(t *testing.T) {
	l := openLedger(t, t.TempDir())
	const workers, each = 8, 10
	var wg sync.WaitGroup
	seen := make([]bool, workers*each)
	var mu sync.Mutex
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := receipt(w*each + i).Encode()
				idx, _, err := l.Append(e)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := l.Entry(idx)
				if err != nil || !bytes.Equal(got, e) {
					t.Errorf("entry %d: got %q, %v", idx, got, err)
				}
				mu.Lock()
				if seen[idx] {
					t.Errorf("index %d given twice", idx)
				}
				seen[idx] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got := l.Size(); got != workers*each {
		t.Fatalf("got size %d, want %d", got, workers*each)
	}
}

func TestAppendRefuses(t *testing.T) {
	l := openLedger(t, t.TempDir())
	for _, e := range [][]byte{nil, make([]byte, ledger.MaxEntrySize+1)} {
		if idx, _, err := l.Append(e); !errors.Is(err, ledger.ErrEntry) || idx != -1 {
			t.Errorf("entry of %d bytes: got index %d, %v; want -1, ErrEntry", len(e), idx, err)
		}
	}
	l.Close()
	if idx, _, err := l.Append(receipt(0).Encode()); err == nil || idx != -1 {
		t.Errorf("append to a closed ledger: got index %d, %v; want -1 and an error", idx, err)
	}
}

func TestVerifierKey(t *testing.T) {
	l := openLedger(t, t.TempDir())
	got, err := ledger.VerifierKey(testOrigin, testKey().Public().(ed25519.PublicKey))
	if err != nil || got != l.VerifierKey() {
		t.Fatalf("got %q, %v; want %q", got, err, l.VerifierKey())
	}
}
