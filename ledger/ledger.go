package ledger

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/verdictlab/verdict/internal/durable"
)

// Config says where a ledger lives and who signs it.
type Config struct {
	// Dir holds the ledger's files (entries, checkpoint, tile/).
	Dir string
	// Origin names the log in its checkpoints and is its signing key's
	// name: no spaces, no '+' (e.g. "verdict.example/ledger").
	Origin string
	// Signer signs checkpoints: an Ed25519 key (the host's).
	Signer crypto.Signer
}

// Validate reports a missing directory, origin or signer.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("ledger config: no directory")
	case !validName(c.Origin):
		return fmt.Errorf("ledger config: origin %q is empty or has a space or '+'", c.Origin)
	case c.Signer == nil:
		return errors.New("ledger config: no signer")
	}
	return nil
}

// Hash is a SHA-256 hash of the tree (tlog.Hash): proofs are lists of them.
type Hash = tlog.Hash

// Files of a ledger directory.
const (
	entriesFile    = "entries"
	checkpointFile = "checkpoint"
)

// recordOverhead is an entry's bytes in DIR/entries besides its own: a
// uint32 length before, its leaf hash after.
const recordOverhead = 4 + tlog.HashSize

// Ledger is an open transparency log. It is safe for concurrent use:
// appends are serialised, proofs and reads run beside them.
type Ledger struct {
	dir    string
	origin string
	s      *signer
	vkey   string

	qmu        sync.Mutex // guards queue and committing
	queue      []*pending // appends waiting for the next group commit
	committing bool       // a goroutine is committing groups

	mu      sync.RWMutex
	f       *os.File    // DIR/entries, appended to
	end     int64       // DIR/entries' committed length
	offsets []int64     // offset of each entry's record in DIR/entries
	hashes  []tlog.Hash // the tree's stored hashes (tlog.StoredHashIndex)
	signed  []byte      // the latest signed checkpoint
	cp      Checkpoint
}

// Open opens (or creates) the ledger in cfg.Dir: it reads every entry,
// cuts off a torn tail the checkpoint does not cover, rebuilds missing or
// stale tiles, and signs a checkpoint of the whole log if the stored one
// is older.
func Open(cfg Config) (*Ledger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, vkey, err := newSigner(cfg.Origin, cfg.Signer)
	if err != nil {
		return nil, err
	}
	l := &Ledger{dir: cfg.Dir, origin: cfg.Origin, s: s, vkey: vkey}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "tile"), 0o755); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	// The stored checkpoint, if it verifies, says how many entries were
	// ever published: a bad entry below it is corruption, not a torn
	// tail. One that does not verify (a power cut may leave it stale or
	// empty: it is written without fsync) is replaced.
	covered := int64(0)
	if b, err := os.ReadFile(l.path(checkpointFile)); err == nil {
		if cp, err := ParseCheckpoint(b, vkey); err == nil && cp.Origin == cfg.Origin {
			covered = cp.Size
			l.signed, l.cp = b, cp
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l.f, err = os.OpenFile(l.path(entriesFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	// DIR/entries' name is durable, and DIR's own in its parent, which
	// MkdirAll may just have made: a receipt fsynced into a directory a
	// power cut forgets is lost.
	for _, d := range []string{cfg.Dir, filepath.Dir(filepath.Clean(cfg.Dir))} {
		if err := durable.SyncDir(d); err != nil {
			l.f.Close()
			return nil, fmt.Errorf("ledger: %w", err)
		}
	}
	if err := l.load(covered); err != nil {
		l.f.Close()
		return nil, err
	}
	if l.signed != nil && (l.cp.Hash != l.rootLocked(l.cp.Size)) {
		l.f.Close()
		return nil, fmt.Errorf("ledger %s: checkpoint of size %d does not match the entries: %w", cfg.Dir, l.cp.Size, ErrCorrupt)
	}
	if err := l.writeTiles(0, l.size(), true); err != nil {
		l.f.Close()
		return nil, err
	}
	if l.signed == nil || l.cp.Size != l.size() {
		if err := l.checkpoint(); err != nil {
			l.f.Close()
			return nil, err
		}
	}
	return l, nil
}

func (l *Ledger) path(name string) string { return filepath.Join(l.dir, name) }

// load reads DIR/entries: every well-formed record, then cuts off a bad
// tail unless the checkpoint covers it.
func (l *Ledger) load(covered int64) error {
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	r := bufio.NewReaderSize(l.f, 1<<16)
	var off int64
	var head [4]byte
	for {
		_, err := io.ReadFull(r, head[:])
		if errors.Is(err, io.EOF) {
			break
		}
		var entry []byte
		var sum [tlog.HashSize]byte
		n := binary.BigEndian.Uint32(head[:])
		if err == nil && (n == 0 || n > MaxEntrySize) {
			err = fmt.Errorf("entry of %d bytes", n)
		}
		if err == nil {
			entry = make([]byte, n)
			_, err = io.ReadFull(r, entry)
		}
		if err == nil {
			_, err = io.ReadFull(r, sum[:])
		}
		if err == nil && tlog.RecordHash(entry) != sum {
			err = errors.New("leaf hash mismatch")
		}
		if err != nil {
			i := l.size()
			if i < covered {
				return fmt.Errorf("ledger %s: entry %d at offset %d: %v: %w", l.dir, i, off, err, ErrCorrupt)
			}
			// A torn tail no checkpoint covers: never returned to anyone.
			if err := l.f.Truncate(off); err != nil {
				return fmt.Errorf("ledger: cut torn tail: %w", err)
			}
			if err := l.f.Sync(); err != nil {
				return fmt.Errorf("ledger: %w", err)
			}
			break
		}
		if err := l.add(off, entry); err != nil {
			return err
		}
		off += int64(len(entry)) + recordOverhead
	}
	l.end = off
	if l.size() < covered {
		return fmt.Errorf("ledger %s: checkpoint covers %d entries, the log has %d: %w", l.dir, covered, l.size(), ErrCorrupt)
	}
	return nil
}

// add records an entry stored at off in memory: its offset and hashes.
func (l *Ledger) add(off int64, entry []byte) error {
	hs, err := tlog.StoredHashes(l.size(), entry, l.reader())
	if err != nil {
		return fmt.Errorf("ledger: hash entry %d: %w", l.size(), err)
	}
	l.offsets = append(l.offsets, off)
	l.hashes = append(l.hashes, hs...)
	return nil
}

func (l *Ledger) size() int64 { return int64(len(l.offsets)) }

// reader reads stored hashes from memory; the caller holds l.mu.
func (l *Ledger) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(l.hashes)) {
				return nil, fmt.Errorf("stored hash %d of %d: %w", x, len(l.hashes), ErrEntry)
			}
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

func (l *Ledger) rootLocked(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, l.reader())
	if err != nil {
		return tlog.Hash{}
	}
	return h
}

// Append adds entry (1..MaxEntrySize bytes) to the log and returns its
// index and the signed checkpoint that covers it. When Append returns,
// the entry is on disk (fsynced); an error after that point says so and
// leaves the entry in the log, and comes with the entry's index. An
// error with index -1 means the entry was not appended.
//
// Concurrent appends are committed in groups: the entries waiting when a
// commit starts are written and fsynced together, with one set of tiles
// and one checkpoint, so a busy log pays one fsync per group, not per
// entry. Each entry's index is its place in the order of commit.
func (l *Ledger) Append(entry []byte) (int64, []byte, error) {
	if len(entry) == 0 || len(entry) > MaxEntrySize {
		return -1, nil, fmt.Errorf("ledger: entry of %d bytes, want 1..%d: %w", len(entry), MaxEntrySize, ErrEntry)
	}
	p := &pending{entry: entry, done: make(chan appended, 1)}
	l.qmu.Lock()
	l.queue = append(l.queue, p)
	lead := !l.committing
	l.committing = true
	l.qmu.Unlock()
	if lead {
		l.commitGroup()
	}
	r := <-p.done
	return r.index, r.checkpoint, r.err
}

// pending is an entry waiting for its group's commit.
type pending struct {
	entry []byte
	done  chan appended
}

type appended struct {
	index      int64
	checkpoint []byte
	err        error
}

// commitGroup commits the entries queued now, then hands the queue on to
// a new committer if more came meanwhile (so no caller commits forever).
func (l *Ledger) commitGroup() {
	l.qmu.Lock()
	group := l.queue
	l.queue = nil
	l.qmu.Unlock()

	l.mu.Lock()
	first, signed, err := l.commit(group)
	l.mu.Unlock()
	for i, p := range group {
		r := appended{index: -1, err: err}
		if first >= 0 {
			r.index, r.checkpoint = first+int64(i), signed
		}
		p.done <- r
	}

	l.qmu.Lock()
	if len(l.queue) == 0 {
		l.committing = false
		l.qmu.Unlock()
		return
	}
	l.qmu.Unlock()
	go l.commitGroup()
}

// commit writes group's entries in one write and one fsync, then their
// tiles and a checkpoint; l.mu held. It returns the index of the first
// (-1 if none was appended) and the signed checkpoint.
func (l *Ledger) commit(group []*pending) (int64, []byte, error) {
	if l.f == nil {
		return -1, nil, fmt.Errorf("ledger: closed: %w", fs.ErrClosed)
	}
	var buf []byte
	for _, p := range group {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(p.entry)))
		buf = append(buf, p.entry...)
		sum := tlog.RecordHash(p.entry)
		buf = append(buf, sum[:]...)
	}
	if _, err := l.f.WriteAt(buf, l.end); err != nil {
		return -1, nil, l.undo(fmt.Errorf("ledger: append: %w", err))
	}
	if err := l.f.Sync(); err != nil {
		return -1, nil, l.undo(fmt.Errorf("ledger: append: sync: %w", err))
	}
	first := l.size()
	nhashes := len(l.hashes)
	off := l.end
	for _, p := range group {
		if err := l.add(off, p.entry); err != nil {
			l.offsets, l.hashes = l.offsets[:first], l.hashes[:nhashes]
			return -1, nil, l.undo(err)
		}
		off += int64(len(p.entry)) + recordOverhead
	}
	l.end = off
	if err := l.writeTiles(first, l.size(), false); err != nil {
		return first, nil, fmt.Errorf("ledger: entries %d..%d appended, tiles: %w", first, l.size()-1, err)
	}
	if err := l.checkpoint(); err != nil {
		return first, nil, fmt.Errorf("ledger: entries %d..%d appended, checkpoint: %w", first, l.size()-1, err)
	}
	return first, l.signed, nil
}

// undo cuts DIR/entries back to its committed length after a failed
// append.
func (l *Ledger) undo(err error) error {
	if terr := l.f.Truncate(l.end); terr != nil {
		return errors.Join(err, fmt.Errorf("ledger: undo append: %w", terr))
	}
	return err
}

// checkpoint signs and stores a checkpoint of the whole log; l.mu held.
func (l *Ledger) checkpoint() error {
	cp := Checkpoint{Origin: l.origin, Size: l.size(), Hash: l.rootLocked(l.size())}
	signed, err := l.s.sign(cp)
	if err != nil {
		return err
	}
	if err := writeRenamed(l.path(checkpointFile), signed); err != nil {
		return fmt.Errorf("ledger: store checkpoint: %w", err)
	}
	l.signed, l.cp = signed, cp
	return nil
}

// writeTiles writes the hash tiles and entry bundles that entries
// [from, to) changed. Tiles are derived data: written by rename without
// fsync, rebuilt by Open (check true: only those missing or stale).
func (l *Ledger) writeTiles(from, to int64, check bool) error {
	if from >= to {
		return nil
	}
	for _, t := range tlog.NewTiles(TileHeight, from, to) {
		data, err := tlog.ReadTileData(t, l.reader())
		if err != nil {
			return fmt.Errorf("ledger: tile %d/%d: %w", t.L, t.N, err)
		}
		if err := l.writeTile(t.L, t.N, t.W, data, check); err != nil {
			return err
		}
	}
	for n := from / tileWidth; n <= (to-1)/tileWidth; n++ {
		first, last := n*tileWidth, min((n+1)*tileWidth, l.size())
		var b []byte
		for i := first; i < last; i++ {
			e, err := l.entryLocked(i)
			if err != nil {
				return err
			}
			b = appendBundle(b, e)
		}
		if err := l.writeTile(EntriesLevel, n, int(last-first), b, check); err != nil {
			return err
		}
	}
	return nil
}

func (l *Ledger) writeTile(level int, n int64, w int, data []byte, check bool) error {
	p := l.path(filepath.FromSlash(TilePath(level, n, w)))
	if check {
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, data) {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if err := writeRenamed(p, data); err != nil {
		return fmt.Errorf("ledger: write tile: %w", err)
	}
	if w == tileWidth { // the partial tiles it completes are not needed
		os.RemoveAll(p + ".p")
	}
	return nil
}

// writeRenamed replaces path with data by writing a temporary file and
// renaming it: readers see the old bytes or the new, never a mix. No
// fsync: what it writes is derived from DIR/entries, and Open rebuilds
// it after a power cut.
func writeRenamed(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// entryLocked reads entry i from DIR/entries; l.mu held.
func (l *Ledger) entryLocked(i int64) ([]byte, error) {
	if i < 0 || i >= l.size() {
		return nil, fmt.Errorf("ledger: entry %d of %d: %w", i, l.size(), ErrEntry)
	}
	off := l.offsets[i]
	var head [4]byte
	if _, err := l.f.ReadAt(head[:], off); err != nil {
		return nil, fmt.Errorf("ledger: read entry %d: %w", i, err)
	}
	e := make([]byte, binary.BigEndian.Uint32(head[:]))
	if _, err := l.f.ReadAt(e, off+4); err != nil {
		return nil, fmt.Errorf("ledger: read entry %d: %w", i, err)
	}
	return e, nil
}

// Entry returns entry i.
func (l *Ledger) Entry(i int64) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.entryLocked(i)
}

// Size is the number of entries in the log.
func (l *Ledger) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size()
}

// Checkpoint returns the latest signed checkpoint and its decoded form.
func (l *Ledger) Checkpoint() ([]byte, Checkpoint) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return bytes.Clone(l.signed), l.cp
}

// VerifierKey is the signed-note verifier key of the log's checkpoints
// ("<origin>+<hash>+<base64 key>"), what a verifier needs besides the
// checkpoint.
func (l *Ledger) VerifierKey() string { return l.vkey }

// Dir is the ledger's directory: its tiles are under Dir/tile, as
// TilePath names them.
func (l *Ledger) Dir() string { return l.dir }

// Origin is the log's origin.
func (l *Ledger) Origin() string { return l.origin }

// Tile returns the bytes of the tile at a C2SP tlog-tiles path
// (ParseTilePath); a tile the log does not have (yet) wraps
// fs.ErrNotExist.
func (l *Ledger) Tile(path string) ([]byte, error) {
	if _, _, _, err := ParseTilePath(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(l.path(filepath.FromSlash(path)))
	if err != nil {
		return nil, fmt.Errorf("ledger: tile %s: %w", path, err)
	}
	return b, nil
}

// ProveInclusion returns the proof that entry index is in the tree of
// the first size entries.
func (l *Ledger) ProveInclusion(index, size int64) (tlog.RecordProof, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if size < 1 || size > l.size() || index < 0 || index >= size {
		return nil, fmt.Errorf("ledger: inclusion of entry %d in size %d (log size %d): %w", index, size, l.size(), ErrEntry)
	}
	p, err := tlog.ProveRecord(size, index, l.reader())
	if err != nil {
		return nil, fmt.Errorf("ledger: prove inclusion: %w", err)
	}
	return p, nil
}

// ProveConsistency returns the proof that the tree of the first old
// entries is a prefix of the tree of the first size.
func (l *Ledger) ProveConsistency(old, size int64) (tlog.TreeProof, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if old < 1 || old > size || size > l.size() {
		return nil, fmt.Errorf("ledger: consistency of size %d with %d (log size %d): %w", old, size, l.size(), ErrEntry)
	}
	p, err := tlog.ProveTree(size, old, l.reader())
	if err != nil {
		return nil, fmt.Errorf("ledger: prove consistency: %w", err)
	}
	return p, nil
}

// Close closes the ledger's file.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// VerifyInclusion checks that entry is entry index of the tree cp
// commits to.
func VerifyInclusion(proof tlog.RecordProof, index int64, cp Checkpoint, entry []byte) error {
	if err := tlog.CheckRecord(proof, cp.Size, cp.Hash, index, tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("inclusion of entry %d in size %d: %v: %w", index, cp.Size, err, ErrProof)
	}
	return nil
}

// VerifyConsistency checks that the tree old commits to is a prefix of
// the one cp commits to (the log only grew).
func VerifyConsistency(proof tlog.TreeProof, old, cp Checkpoint) error {
	if old.Origin != cp.Origin {
		return fmt.Errorf("consistency: origins %q and %q differ: %w", old.Origin, cp.Origin, ErrProof)
	}
	if err := tlog.CheckTree(proof, cp.Size, cp.Hash, old.Size, old.Hash); err != nil {
		return fmt.Errorf("consistency of size %d with %d: %v: %w", old.Size, cp.Size, err, ErrProof)
	}
	return nil
}
