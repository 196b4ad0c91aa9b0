package datasets

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// hashTag opens the canonical encoding; a change of encoding changes it.
const hashTag = "verdict/datasets hash v1\n"

// canonicalNaN is the bit pattern every NaN is hashed as.
const canonicalNaN uint64 = 0x7ff8000000000000

// computeHash hashes the canonical encoding documented in doc.go.
func (d *Dataset) computeHash() string {
	h := sha256.New()
	w := bufio.NewWriterSize(h, 32<<10) // writes to a hash never fail
	var scratch [8]byte
	u32 := func(v uint32) {
		binary.BigEndian.PutUint32(scratch[:4], v)
		w.Write(scratch[:4])
	}
	u64 := func(v uint64) {
		binary.BigEndian.PutUint64(scratch[:], v)
		w.Write(scratch[:])
	}
	str := func(s string) {
		u32(uint32(len(s)))
		w.WriteString(s)
	}
	num := func(v float64) {
		if math.IsNaN(v) {
			u64(canonicalNaN)
			return
		}
		u64(math.Float64bits(v))
	}

	w.WriteString(hashTag)
	u64(uint64(d.Rows()))
	u32(uint32(len(d.FeatureNames)))
	for _, n := range d.FeatureNames {
		str(n)
	}
	str(string(d.Kind))
	var flags byte
	if d.Labels != nil {
		flags |= 1
	}
	if d.Groups != nil {
		flags |= 2
	}
	w.WriteByte(flags)

	cols := make([][]float64, len(d.FeatureNames))
	for j := range cols {
		cols[j] = d.Column(j)
	}
	for i, id := range d.IDs {
		str(id)
		for _, c := range cols {
			num(c[i])
		}
		if d.Labels != nil {
			num(d.Labels[i])
		}
		if d.Groups != nil {
			str(d.Groups[i])
		}
	}
	w.Flush()
	return hex.EncodeToString(h.Sum(nil))
}
