package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
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
