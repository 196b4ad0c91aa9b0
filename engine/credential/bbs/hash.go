package bbs

import (
	"encoding/binary"
	"fmt"
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"github.com/consensys/gnark-crypto/field/hash"
)

// The ciphersuite BLS12-381-SHA-256 of the draft, in its "hash to scalar"
// message mapping (api_id = ciphersuite_id || "H2G_HM2S_").
const (
	ciphersuiteID = "BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
	apiID         = ciphersuiteID + "H2G_HM2S_"

	// expandLen is ceil((ceil(log2(r)) + k) / 8) with k = 128.
	expandLen = 48
	// scalarLen and pointLen are octet_scalar_length and
	// octet_point_length (compressed G1); pubKeyLen is a compressed G2.
	scalarLen = fr.Bytes
	pointLen  = bls.SizeOfG1AffineCompressed
	pubKeyLen = bls.SizeOfG2AffineCompressed

	// maxDSTLen is the longest domain separation tag expand_message_xmd
	// accepts.
	maxDSTLen = 255
)

// Domain separation tags derived from apiID.
var (
	dstKeyGen    = []byte(apiID + "KEYGEN_DST_")
	dstMapMsg    = []byte(apiID + "MAP_MSG_TO_SCALAR_AS_HASH_")
	dstH2S       = []byte(apiID + "H2S_")
	dstSeed      = []byte(apiID + "SIG_GENERATOR_SEED_")
	dstGenerator = []byte(apiID + "SIG_GENERATOR_DST_")
	dstMockRand  = []byte(apiID + "MOCK_RANDOM_SCALARS_DST_")
)

// p1 is the ciphersuite's fixed base point P1 (the draft's constant; the
// tests derive it again with create_generators and the "BP_" seed).
var p1 = mustPoint("a8ce256102840821a3e94ea9025e4662b205762f9776b3a766c872b948f1fd225e7c59698588e70d11406d161b4e28c9")

func mustPoint(h string) bls.G1Affine {
	b := make([]byte, len(h)/2)
	for i := range b {
		b[i] = unhex(h[2*i])<<4 | unhex(h[2*i+1])
	}
	p, err := decodeG1(b, "P1")
	if err != nil {
		panic(err)
	}
	return p
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	panic("bbs: bad hex constant")
}

// hashToScalar is the draft's hash_to_scalar: expand_message_xmd(SHA-256)
// to 48 bytes, read big-endian, reduced mod r.
func hashToScalar(msg, dst []byte) (fr.Element, error) {
	var s fr.Element
	if len(dst) > maxDSTLen {
		return s, fmt.Errorf("%w: domain separation tag of %d bytes, at most %d", ErrInput, len(dst), maxDSTLen)
	}
	u, err := hash.ExpandMsgXmd(msg, dst, expandLen)
	if err != nil {
		return s, fmt.Errorf("%w: expand message: %v", ErrInput, err)
	}
	s.SetBytes(u)
	return s, nil
}

// messagesToScalars is the draft's messages_to_scalars with
// map_to_scalar_as_hash.
func messagesToScalars(messages [][]byte) ([]fr.Element, error) {
	out := make([]fr.Element, len(messages))
	for i, m := range messages {
		s, err := hashToScalar(m, dstMapMsg)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}

// createGenerators is the draft's create_generators(count, api_id) with the
// given generator seed: "MESSAGE_GENERATOR_SEED" gives (Q_1, H_1, ...),
// "BP_MESSAGE_GENERATOR_SEED" gives P1.
func createGenerators(count int, seed string) []bls.G1Affine {
	v, err := hash.ExpandMsgXmd([]byte(apiID+seed), dstSeed, expandLen)
	if err != nil {
		panic(err) // fixed inputs: cannot fail
	}
	out := make([]bls.G1Affine, count)
	buf := make([]byte, 0, expandLen+8)
	for i := range count {
		buf = binary.BigEndian.AppendUint64(append(buf[:0], v...), uint64(i+1))
		if v, err = hash.ExpandMsgXmd(buf, dstSeed, expandLen); err != nil {
			panic(err)
		}
		if out[i], err = bls.HashToG1(v, dstGenerator); err != nil {
			panic(err)
		}
	}
	return out
}

// generatorCache holds the longest list of message generators made so far:
// they depend only on the ciphersuite, and each costs a hash to the curve.
var generatorCache struct {
	sync.Mutex
	points []bls.G1Affine
}

// MaxMessages is the most messages one signature or proof may cover. It
// bounds the work an untrusted proof can ask of a verifier (one hash to
// the curve per generator) and the generator cache.
const MaxMessages = 1<<12 - 1

// checkCount refuses more than MaxMessages messages.
func checkCount(n int) error {
	if n > MaxMessages {
		return fmt.Errorf("%w: %d messages, at most %d", ErrInput, n, MaxMessages)
	}
	return nil
}

// generators returns (Q_1, H_1, ..., H_{count-1}); count is at most
// MaxMessages + 1 (callers check).
func generators(count int) []bls.G1Affine {
	generatorCache.Lock()
	defer generatorCache.Unlock()
	if count <= len(generatorCache.points) {
		return generatorCache.points[:count:count]
	}
	g := createGenerators(count, "MESSAGE_GENERATOR_SEED")
	generatorCache.points = g
	return g[:count:count]
}
