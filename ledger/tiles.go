package ledger

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// FetchFunc returns the bytes at a C2SP tlog-tiles path (TilePath): from
// a directory, a server, or anywhere.
type FetchFunc func(path string) ([]byte, error)

// tileReader reads a log's hash tiles through a FetchFunc, for
// tlog.TileHashReader, which checks every tile against the checkpoint.
type tileReader struct{ fetch FetchFunc }

var _ tlog.TileReader = tileReader{}

func (tileReader) Height() int { return TileHeight }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := fetchTile(r.fetch, t.L, t.N, t.W)
		if err != nil {
			return nil, err
		}
		if len(b) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %s: %d bytes, want %d: %w", TilePath(t.L, t.N, t.W), len(b), t.W*tlog.HashSize, ErrTile)
		}
		out[i] = b[:t.W*tlog.HashSize]
	}
	return out, nil
}

func (tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// ProveInclusionFromTiles computes the inclusion proof of entry index in
// the tree cp commits to from the log's tiles alone, checking every tile
// it reads against cp: a verifier needs only the tiles and a checkpoint,
// not the log's word.
func ProveInclusionFromTiles(cp Checkpoint, index int64, fetch FetchFunc) (tlog.RecordProof, error) {
	hr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Hash}, tileReader{fetch})
	p, err := tlog.ProveRecord(cp.Size, index, hr)
	if err != nil {
		return nil, fmt.Errorf("inclusion of entry %d from tiles: %v: %w", index, err, ErrProof)
	}
	return p, nil
}

// ProveConsistencyFromTiles computes the consistency proof between old
// and cp from the tiles of cp's tree, checked against cp.
func ProveConsistencyFromTiles(old, cp Checkpoint, fetch FetchFunc) (tlog.TreeProof, error) {
	hr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Hash}, tileReader{fetch})
	p, err := tlog.ProveTree(cp.Size, old.Size, hr)
	if err != nil {
		return nil, fmt.Errorf("consistency of size %d with %d from tiles: %v: %w", old.Size, cp.Size, err, ErrProof)
	}
	return p, nil
}

// EntryFromTiles returns entry index from its entry bundle, for a tree
// of size entries.
func EntryFromTiles(size, index int64, fetch FetchFunc) ([]byte, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("entry %d of %d: %w", index, size, ErrEntry)
	}
	n := index / tileWidth
	w := int(min(size-n*tileWidth, tileWidth))
	b, err := fetchTile(fetch, EntriesLevel, n, w)
	if err != nil {
		return nil, err
	}
	es, err := ParseBundle(b)
	if err != nil {
		return nil, err
	}
	if len(es) < w {
		return nil, fmt.Errorf("entry bundle %d: %d entries, want %d: %w", n, len(es), w, ErrTile)
	}
	return es[index%tileWidth], nil
}

// fetchTile fetches a tile of width w; a partial tile the log no longer
// keeps (it grew full since, and the log removed the partials) is read
// from the full tile, whose first w hashes or entries are the partial's
// (C2SP tlog-tiles allows either).
func fetchTile(fetch FetchFunc, level int, n int64, w int) ([]byte, error) {
	b, err := fetch(TilePath(level, n, w))
	if err == nil || w == tileWidth {
		return b, err
	}
	full, ferr := fetch(TilePath(level, n, tileWidth))
	if ferr != nil {
		return nil, err
	}
	return full, nil
}

// ReadLog reads the first cp.Size entries of a log from its entry
// bundles and checks that they are the tree cp commits to: the entries
// of a checkpoint, authenticated, for recomputing anything from them.
func ReadLog(cp Checkpoint, fetch FetchFunc) ([][]byte, error) {
	var entries [][]byte
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hashes)) {
				return nil, fmt.Errorf("stored hash %d of %d: %w", x, len(hashes), ErrEntry)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	for n := int64(0); n*tileWidth < cp.Size; n++ {
		w := int(min(cp.Size-n*tileWidth, tileWidth))
		b, err := fetchTile(fetch, EntriesLevel, n, w)
		if err != nil {
			return nil, err
		}
		es, err := ParseBundle(b)
		if err != nil {
			return nil, err
		}
		if len(es) < w {
			return nil, fmt.Errorf("entry bundle %d: %d entries, want %d: %w", n, len(es), w, ErrTile)
		}
		for _, e := range es[:w] {
			hs, err := tlog.StoredHashes(int64(len(entries)), e, hr)
			if err != nil {
				return nil, err
			}
			hashes = append(hashes, hs...)
			entries = append(entries, e)
		}
	}
	root, err := tlog.TreeHash(cp.Size, hr)
	if err != nil {
		return nil, err
	}
	if root != cp.Hash {
		return nil, fmt.Errorf("entries of size %d: root hash differs from the checkpoint's: %w", cp.Size, ErrProof)
	}
	return entries, nil
}
