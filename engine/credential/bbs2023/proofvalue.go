package bbs2023

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"

	"github.com/fxamacker/cbor/v2"
	"github.com/verdictlab/verdict/engine/credential/bbs"
)

// The spec's proof value headers (baseline feature option).
var (
	baseHeader    = []byte{0xd9, 0x5d, 0x02}
	derivedHeader = []byte{0xd9, 0x5d, 0x03}
)

// Bounds on what an untrusted proof value can make this package allocate
// or compute.
const (
	// MaxProofValueLen bounds the multibase proofValue string.
	MaxProofValueLen = 1 << 20
	// MaxPointers bounds the mandatory pointers of a base proof.
	MaxPointers = 1 << 12
	maxNesting  = 4
)

// BaseProof is the content of a base proofValue.
type BaseProof struct {
	Signature         []byte // 80-byte BBS signature
	Header            []byte // proofHash || mandatoryHash, 64 bytes
	PublicKey         []byte // 96-byte BLS12-381 G2 public key
	HMACKey           []byte // 32 bytes
	MandatoryPointers []string
}

// DerivedProof is the content of a derived proofValue.
type DerivedProof struct {
	Proof []byte
	// LabelMap maps the verifier's c14n label numbers to the issuer's
	// bN label numbers.
	LabelMap           map[int]int
	MandatoryIndexes   []int
	SelectiveIndexes   []int
	PresentationHeader []byte
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   maxNesting,
		MaxArrayElements:  bbs.MaxMessages + 1,
		MaxMapPairs:       bbs.MaxMessages + 1,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

func encodeProofValue(header []byte, v any) (string, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("bbs2023: encode proof value: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(header), b...)), nil
}

// decodeProofValue checks the multibase prefix and the header and returns
// the CBOR array of n items that follows.
func decodeProofValue(pv string, header []byte, n int) ([]cbor.RawMessage, error) {
	if len(pv) > MaxProofValueLen {
		return nil, errorf(ErrEncoding, "proofValue: %d characters, more than %d", len(pv), MaxProofValueLen)
	}
	if len(pv) == 0 || pv[0] != 'u' {
		return nil, errorf(ErrEncoding, "proofValue: not multibase base64url (must start with 'u')")
	}
	b, err := base64.RawURLEncoding.DecodeString(pv[1:])
	if err != nil {
		return nil, errorf(ErrEncoding, "proofValue: base64url: %v", err)
	}
	if len(b) < 3 || !bytes.Equal(b[:3], header) {
		return nil, errorf(ErrEncoding, "proofValue: header is not %x", header)
	}
	var items []cbor.RawMessage
	if err := decMode.Unmarshal(b[3:], &items); err != nil {
		return nil, errorf(ErrEncoding, "proofValue: CBOR: %v", err)
	}
	if len(items) != n {
		return nil, errorf(ErrEncoding, "proofValue: CBOR array of %d items, want %d", len(items), n)
	}
	return items, nil
}

func decodeItem(items []cbor.RawMessage, i int, name string, v any) error {
	if err := decMode.Unmarshal(items[i], v); err != nil {
		return errorf(ErrEncoding, "proofValue %s: %v", name, err)
	}
	return nil
}

func checkLen(name string, b []byte, n int) error {
	if len(b) != n {
		return errorf(ErrEncoding, "proofValue %s: %d bytes, want %d", name, len(b), n)
	}
	return nil
}

// Encode serializes a base proof value.
func (p BaseProof) Encode() (string, error) {
	ptrs := p.MandatoryPointers
	if ptrs == nil {
		ptrs = []string{}
	}
	return encodeProofValue(baseHeader, []any{p.Signature, p.Header, p.PublicKey, p.HMACKey, ptrs})
}

// ParseBaseProof decodes a base proofValue, checking every field's size.
func ParseBaseProof(pv string) (BaseProof, error) {
	var p BaseProof
	items, err := decodeProofValue(pv, baseHeader, 5)
	if err != nil {
		return p, err
	}
	for i, f := range []struct {
		name string
		dst  *[]byte
		n    int
	}{
		{"bbsSignature", &p.Signature, bbs.SignatureSize},
		{"bbsHeader", &p.Header, 64},
		{"publicKey", &p.PublicKey, 96},
		{"hmacKey", &p.HMACKey, 32},
	} {
		if err := decodeItem(items, i, f.name, f.dst); err != nil {
			return p, err
		}
		if err := checkLen(f.name, *f.dst, f.n); err != nil {
			return p, err
		}
	}
	if err := decodeItem(items, 4, "mandatoryPointers", &p.MandatoryPointers); err != nil {
		return p, err
	}
	if len(p.MandatoryPointers) > MaxPointers {
		return p, errorf(ErrEncoding, "proofValue mandatoryPointers: %d, more than %d", len(p.MandatoryPointers), MaxPointers)
	}
	return p, nil
}

// Encode serializes a derived proof value.
func (p DerivedProof) Encode() (string, error) {
	keys := make([]int, 0, len(p.LabelMap))
	for k := range p.LabelMap {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	m := make(map[int]int, len(keys))
	for _, k := range keys {
		m[k] = p.LabelMap[k]
	}
	ints := func(s []int) []int {
		if s == nil {
			return []int{}
		}
		return s
	}
	ph := p.PresentationHeader
	if ph == nil {
		ph = []byte{}
	}
	return encodeProofValue(derivedHeader, []any{p.Proof, m, ints(p.MandatoryIndexes), ints(p.SelectiveIndexes), ph})
}

// ParseDerivedProof decodes a derived proofValue. Indexes must be
// non-negative and strictly increasing, and bounded by bbs.MaxMessages.
func ParseDerivedProof(pv string) (DerivedProof, error) {
	var p DerivedProof
	items, err := decodeProofValue(pv, derivedHeader, 5)
	if err != nil {
		return p, err
	}
	if err := decodeItem(items, 0, "bbsProof", &p.Proof); err != nil {
		return p, err
	}
	if err := decodeItem(items, 1, "labelMap", &p.LabelMap); err != nil {
		return p, err
	}
	for k, v := range p.LabelMap {
		if k < 0 || v < 0 {
			return p, errorf(ErrEncoding, "proofValue labelMap: negative label %d -> %d", k, v)
		}
	}
	if err := decodeItem(items, 2, "mandatoryIndexes", &p.MandatoryIndexes); err != nil {
		return p, err
	}
	if err := decodeItem(items, 3, "selectiveIndexes", &p.SelectiveIndexes); err != nil {
		return p, err
	}
	for _, f := range []struct {
		name string
		idx  []int
	}{{"mandatoryIndexes", p.MandatoryIndexes}, {"selectiveIndexes", p.SelectiveIndexes}} {
		for i, x := range f.idx {
			if x < 0 || x > bbs.MaxMessages || (i > 0 && x <= f.idx[i-1]) {
				return p, errorf(ErrEncoding, "proofValue %s: index %d at %d is negative, too large or out of order", f.name, x, i)
			}
		}
	}
	if err := decodeItem(items, 4, "presentationHeader", &p.PresentationHeader); err != nil {
		return p, err
	}
	return p, nil
}
