package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Public reports whether the row with this id scores the public
// leaderboard: the first 8 bytes of SHA-256(seed ‖ id), read big-endian as a
// uint64 and divided by 2^64, is below fraction. The rule depends only on
// the seed and the row's id, so it is the same whatever the file format, row
// order or batch size, and a participant who does not know the seed cannot
// tell which rows are private.
func Public(seed, id string, fraction float64) bool {
	if fraction >= 1 {
		return true
	}
	if !(fraction > 0) {
		return false
	}
	h := sha256.New()
	h.Write([]byte(seed))
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	u := binary.BigEndian.Uint64(h.Sum(sum[:0])[:8])
	// u/2^64 < f  ⟺  u < f·2^64. f·2^64 is exact in float64 (a power-of-two
	// scale) and below 2^64, so comparing with its ceiling is exact too.
	return u < uint64(math.Ceil(fraction*0x1p64))
}

// split holds the row indexes of each part of a task's test set.
type split struct {
	public, private []int
}

func newSplit(seed string, ids []string, fraction float64) split {
	var s split
	for i, id := range ids {
		if Public(seed, id, fraction) {
			s.public = append(s.public, i)
		} else {
			s.private = append(s.private, i)
		}
	}
	return s
}

// The split is computed once, at task creation, and stored beside the
// dataset as a bitmap of public rows: every later open reads it instead of
// hashing every id again. The task record keeps the file's SHA-256, so a
// split file changed on disk is refused, not believed.

// splitTag opens a stored split; a change of encoding changes it.
const splitTag = "verdict split v1\n"

// splitPath is where the task's split is stored, beside its dataset.
func splitPath(dataDir, datasetHash, task string) string {
	return filepath.Join(datasetDir(dataDir), datasetHash+"."+task+".split")
}

// encode returns the stored form of s for a dataset of rows rows: the tag,
// the row count (uint64, big-endian), then one bit per row, row i in bit
// i%8 of byte i/8, set when the row is public.
func (s split) encode(rows int) []byte {
	b := make([]byte, len(splitTag)+8+(rows+7)/8)
	n := copy(b, splitTag)
	binary.BigEndian.PutUint64(b[n:], uint64(rows))
	bits := b[n+8:]
	for _, i := range s.public {
		bits[i/8] |= 1 << (i % 8)
	}
	return b
}

// readSplit reads the split stored at path for a dataset of rows rows,
// refusing a file whose SHA-256 is not digest or whose row count differs.
func readSplit(path, digest string, rows int) (split, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return split{}, fmt.Errorf("read stored split: %w", err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != digest {
		return split{}, fmt.Errorf("stored split %s: its bytes hash to %x, the task records %s: it changed on disk", path, sum, digest)
	}
	n := len(splitTag) + 8
	if len(b) != n+(rows+7)/8 || string(b[:len(splitTag)]) != splitTag || binary.BigEndian.Uint64(b[len(splitTag):]) != uint64(rows) {
		return split{}, fmt.Errorf("stored split %s: not a split of %d rows", path, rows)
	}
	bits := b[n:]
	var s split
	for i := range rows {
		if bits[i/8]&(1<<(i%8)) != 0 {
			s.public = append(s.public, i)
		} else {
			s.private = append(s.private, i)
		}
	}
	return s, nil
}
