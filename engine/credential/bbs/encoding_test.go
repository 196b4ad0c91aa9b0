package bbs

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

const fixturePK = "a820f230f6ae38503b86c70dc50b61c58a77e45c39ab25c0652bbaa8fa136f2851bd4781c9dcde39fc9d1d52c9e60268061e7d7632171d91aa8d460acee0e96f1e7c4cfb12d3ff9ab5d5dc91c277db75c845d649ef3c4f63aebc364cd55ded0c"
const fixtureSig = "84773160b824e194073a57493dac1a20b667af70cd2352d8af241c77658da5253aa8458317cca0eae615690d55b1f27164657dcafee1d5c1973947aa70e2cfbb4c892340be5969920d0916067b4565a0"

// orderBytes is r, the group order, big-endian.
func orderBytes() []byte {
	b := make([]byte, scalarLen)
	fr.Modulus().FillBytes(b)
	return b
}

// offSubgroupG1 returns a compressed encoding of a point on the curve but
// outside the prime-order subgroup (the cofactor is about 2^125, so the
// first x that has a y almost surely is one).
func offSubgroupG1(t *testing.T) []byte {
	t.Helper()
	for x := byte(1); x < 255; x++ {
		b := make([]byte, pointLen)
		b[0] = flagCompressed
		b[pointLen-1] = x
		var p bls.G1Affine
		_, err := p.SetBytes(b)
		if err != nil && strings.Contains(err.Error(), "subgroup") {
			return b
		}
	}
	t.Fatal("no off-subgroup G1 point found")
	return nil
}

func offSubgroupG2(t *testing.T) []byte {
	t.Helper()
	for x := byte(1); x < 255; x++ {
		b := make([]byte, pubKeyLen)
		b[0] = flagCompressed
		b[pubKeyLen-1] = x
		var p bls.G2Affine
		_, err := p.SetBytes(b)
		if err != nil && strings.Contains(err.Error(), "subgroup") {
			return b
		}
	}
	t.Fatal("no off-subgroup G2 point found")
	return nil
}

func notOnCurveG2(t *testing.T) []byte {
	t.Helper()
	for x := byte(1); x < 255; x++ {
		b := make([]byte, pubKeyLen)
		b[0] = flagCompressed
		b[pubKeyLen-1] = x
		var p bls.G2Affine
		_, err := p.SetBytes(b)
		if err != nil && strings.Contains(err.Error(), "square root") {
			return b
		}
	}
	t.Fatal("no x off the G2 curve found")
	return nil
}

func withFlags(b []byte, f byte) []byte {
	b = bytes.Clone(b)
	b[0] = b[0]&0x1f | f
	return b
}

func infinity(n int) []byte {
	b := make([]byte, n)
	b[0] = flagCompressed | flagInfinity
	return b
}

func TestParsePublicKey(t *testing.T) {
	pk := mustHex(t, fixturePK)
	xTooBig := bytes.Repeat([]byte{0xff}, pubKeyLen)
	xTooBig[0] = flagCompressed | 0x1f
	tests := []struct {
		name string
		in   []byte
		want string // "" = valid
	}{
		{"valid", pk, ""},
		{"ErrShort", pk[:95], "96"},
		{"ErrLong", append(bytes.Clone(pk), 0), "96"},
		{"ErrEmpty", nil, "0 bytes"},
		{"ErrUncompressed", withFlags(pk, 0), "not a compressed point"},
		{"ErrIdentity", infinity(pubKeyLen), "identity"},
		{"ErrNotInSubgroup", offSubgroupG2(t), "public key: point not in the prime-order subgroup"},
		{"ErrNotOnCurve", notOnCurveG2(t), "public key: x coordinate of no point on the curve"},
		{"ErrCoordinateNotBelowP", xTooBig, "public key: x coordinate not below the field modulus p"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKey(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), tc.in) {
					t.Errorf("round trip: got %x, want %x", got.Bytes(), tc.in)
				}
				return
			}
			if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrEncoding naming %q", err, tc.want)
			}
		})
	}
}

func TestParseSignature(t *testing.T) {
	sig := mustHex(t, fixtureSig)
	withE := func(e []byte) []byte { return append(bytes.Clone(sig[:pointLen]), e...) }
	withA := func(a []byte) []byte { return append(bytes.Clone(a), sig[pointLen:]...) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"valid", sig, ""},
		{"ErrShort", sig[:79], "signature: 79 bytes, want 80"},
		{"ErrLong", append(bytes.Clone(sig), 1), "signature: 81 bytes"},
		{"ErrEZero", withE(make([]byte, scalarLen)), "signature e: zero"},
		{"ErrEIsOrder", withE(orderBytes()), "signature e: not below the group order r"},
		{"ErrEAllOnes", withE(bytes.Repeat([]byte{0xff}, scalarLen)), "signature e: not below"},
		{"ErrAIdentity", withA(infinity(pointLen)), "signature A: the identity point"},
		{"ErrAUncompressed", withFlags(sig, 0), "signature A: not a compressed point"},
		{"ErrANotInSubgroup", withA(offSubgroupG1(t)), "signature A: point not in the prime-order subgroup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSignature(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), tc.in) {
					t.Errorf("round trip: got %x, want %x", got.Bytes(), tc.in)
				}
				return
			}
			if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrEncoding naming %q", err, tc.want)
			}
		})
	}
}

func TestParseSecretKey(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"valid", mustHex(t, "60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc"), ""},
		{"ErrZero", make([]byte, scalarLen), "secret key: zero"},
		{"ErrOrder", orderBytes(), "secret key: not below the group order r"},
		{"ErrShort", make([]byte, 31), "secret key: 31 bytes, want 32"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSecretKey(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), tc.in) {
					t.Errorf("round trip: got %x, want %x", got.Bytes(), tc.in)
				}
				return
			}
			if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrEncoding naming %q", err, tc.want)
			}
		})
	}
}

func TestParseProof(t *testing.T) {
	var f proofFixture
	readFixture(t, "proof/proof003.json", &f) // U = 6
	proof := []byte(f.Proof)
	replace := func(off int, b []byte) []byte {
		p := bytes.Clone(proof)
		copy(p[off:], b)
		return p
	}
	scalarOff := 3 * pointLen
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"valid", proof, ""},
		{"ErrShort", proof[:minProofSize-1], "proof: 271 bytes, at least 272"},
		{"ErrRagged", proof[:len(proof)-1], "not 272 plus a multiple of 32"},
		{"ErrAbarIdentity", replace(0, infinity(pointLen)), "proof Abar: the identity point"},
		{"ErrBbarNotInSubgroup", replace(pointLen, offSubgroupG1(t)), "proof Bbar: point not in the prime-order subgroup"},
		{"ErrDUncompressed", replace(2*pointLen, []byte{proof[2*pointLen] & 0x1f}), "proof D: not a compressed point"},
		{"ErrScalarZero", replace(scalarOff, make([]byte, scalarLen)), "proof scalar 0: zero"},
		{"ErrChallengeNotCanonical", replace(len(proof)-scalarLen, orderBytes()), "proof scalar 9: not below the group order r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProof(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Undisclosed() != 6 {
					t.Errorf("undisclosed: got %d, want 6", got.Undisclosed())
				}
				if !bytes.Equal(got.Bytes(), tc.in) {
					t.Errorf("round trip: got %x, want %x", got.Bytes(), tc.in)
				}
				return
			}
			if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrEncoding naming %q", err, tc.want)
			}
		})
	}
}
