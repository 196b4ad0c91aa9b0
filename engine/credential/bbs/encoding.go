package bbs

import (
	"encoding/binary"
	"fmt"
	"strings"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// The top three bits of a serialized BLS12-381 point (the ZCash format the
// draft uses): compressed, infinity, sign of y.
const (
	flagCompressed = 0x80
	flagInfinity   = 0x40
)

// decodeG1 is octets_to_point_E1 with the draft's checks: exactly 48
// bytes, the compressed form, an x below p on the curve, in the prime-order
// subgroup, and not the identity.
func decodeG1(b []byte, name string) (bls.G1Affine, error) {
	var p bls.G1Affine
	if len(b) != pointLen {
		return p, fmt.Errorf("%w: %s: %d bytes, want %d", ErrEncoding, name, len(b), pointLen)
	}
	if err := checkFlags(b[0], name); err != nil {
		return p, err
	}
	if _, err := p.SetBytes(b); err != nil {
		return p, pointError(name, err)
	}
	return p, nil
}

// decodeG2 is octets_to_point_E2 with the same checks for a 96-byte
// compressed G2 point.
func decodeG2(b []byte, name string) (bls.G2Affine, error) {
	var p bls.G2Affine
	if len(b) != pubKeyLen {
		return p, fmt.Errorf("%w: %s: %d bytes, want %d", ErrEncoding, name, len(b), pubKeyLen)
	}
	if err := checkFlags(b[0], name); err != nil {
		return p, err
	}
	if _, err := p.SetBytes(b); err != nil {
		return p, pointError(name, err)
	}
	return p, nil
}

// pointError names the cause of a gnark-crypto decoding failure.
func pointError(name string, err error) error {
	cause := err.Error()
	switch {
	case strings.Contains(cause, "fp.Element"):
		cause = "x coordinate not below the field modulus p"
	case strings.Contains(cause, "square root"):
		cause = "x coordinate of no point on the curve"
	case strings.Contains(cause, "subgroup"):
		cause = "point not in the prime-order subgroup"
	}
	return fmt.Errorf("%w: %s: %s", ErrEncoding, name, cause)
}

func checkFlags(b0 byte, name string) error {
	if b0&flagCompressed == 0 {
		return fmt.Errorf("%w: %s: not a compressed point", ErrEncoding, name)
	}
	if b0&flagInfinity != 0 {
		return fmt.Errorf("%w: %s: the identity point", ErrEncoding, name)
	}
	return nil
}

// decodeScalar reads a 32-byte big-endian scalar and refuses 0 and values
// not below r: the encoding is canonical, one value one string.
func decodeScalar(b []byte, name string) (fr.Element, error) {
	var s fr.Element
	if len(b) != scalarLen {
		return s, fmt.Errorf("%w: %s: %d bytes, want %d", ErrEncoding, name, len(b), scalarLen)
	}
	if err := s.SetBytesCanonical(b); err != nil {
		return s, fmt.Errorf("%w: %s: not below the group order r", ErrEncoding, name)
	}
	if s.IsZero() {
		return s, fmt.Errorf("%w: %s: zero", ErrEncoding, name)
	}
	return s, nil
}

func appendScalar(b []byte, s *fr.Element) []byte {
	v := s.Bytes()
	return append(b, v[:]...)
}

func appendPoint(b []byte, p *bls.G1Affine) []byte {
	v := p.Bytes()
	return append(b, v[:]...)
}

func appendUint64(b []byte, n int) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// SecretKey is a BBS secret key: a scalar in [1, r).
type SecretKey struct{ s fr.Element }

// PublicKey is a BBS public key: SK times the G2 base point.
type PublicKey struct {
	w   bls.G2Affine
	enc [pubKeyLen]byte
}

// ParseSecretKey decodes a 32-byte big-endian secret key, refusing zero
// and values not below r.
func ParseSecretKey(b []byte) (SecretKey, error) {
	s, err := decodeScalar(b, "secret key")
	return SecretKey{s: s}, err
}

// Bytes returns the 32-byte big-endian encoding of the secret key.
func (sk SecretKey) Bytes() []byte { return appendScalar(nil, &sk.s) }

// PublicKey is the draft's SkToPk, W = SK * BP2. The multiplication is
// blinded like signing's: W = (BP2 * rho) * (SK / rho) for a fresh random
// rho, so the variable-time multiplications never see SK itself.
func (sk SecretKey) PublicKey() PublicKey {
	_, _, _, g2 := bls.Generators()
	rho := randomNonZero()
	var rhoInv, k fr.Element
	rhoInv.Inverse(&rho)
	k.Mul(&sk.s, &rhoInv)
	var w bls.G2Affine
	w.ScalarMultiplication(&g2, rho.BigInt(bigInt()))
	w.ScalarMultiplication(&w, k.BigInt(bigInt()))
	return PublicKey{w: w, enc: w.Bytes()}
}

// ParsePublicKey is the draft's octets_to_pubkey: a 96-byte compressed G2
// point, in the subgroup, not the identity.
func ParsePublicKey(b []byte) (PublicKey, error) {
	w, err := decodeG2(b, "public key")
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{w: w, enc: w.Bytes()}, nil
}

// Bytes returns the 96-byte compressed encoding of the public key.
func (pk PublicKey) Bytes() []byte { return append([]byte(nil), pk.enc[:]...) }

// Signature is a decoded BBS signature (A, e).
type Signature struct {
	a bls.G1Affine
	e fr.Element
}

// SignatureSize is the length of an encoded signature.
const SignatureSize = pointLen + scalarLen

// ParseSignature is the draft's octets_to_signature: 80 bytes, A a
// non-identity G1 point of the subgroup, e a scalar in [1, r).
func ParseSignature(b []byte) (Signature, error) {
	if len(b) != SignatureSize {
		return Signature{}, fmt.Errorf("%w: signature: %d bytes, want %d", ErrEncoding, len(b), SignatureSize)
	}
	a, err := decodeG1(b[:pointLen], "signature A")
	if err != nil {
		return Signature{}, err
	}
	e, err := decodeScalar(b[pointLen:], "signature e")
	if err != nil {
		return Signature{}, err
	}
	return Signature{a: a, e: e}, nil
}

// Bytes is signature_to_octets.
func (s Signature) Bytes() []byte {
	return appendScalar(appendPoint(make([]byte, 0, SignatureSize), &s.a), &s.e)
}

// Proof is a decoded BBS proof: (Abar, Bbar, D, e^, r1^, r3^, (m^_j), c).
type Proof struct {
	aBar, bBar, d bls.G1Affine
	eHat, r1Hat   fr.Element
	r3Hat         fr.Element
	mHat          []fr.Element
	c             fr.Element
}

// minProofSize is the length of a proof that hides no message.
const minProofSize = 3*pointLen + 4*scalarLen

// ParseProof is the draft's octets_to_proof: three non-identity subgroup
// points, then at least four scalars in [1, r), nothing left over.
func ParseProof(b []byte) (Proof, error) {
	var p Proof
	if len(b) < minProofSize {
		return p, fmt.Errorf("%w: proof: %d bytes, at least %d", ErrEncoding, len(b), minProofSize)
	}
	if (len(b)-minProofSize)%scalarLen != 0 {
		return p, fmt.Errorf("%w: proof: %d bytes, not %d plus a multiple of %d", ErrEncoding, len(b), minProofSize, scalarLen)
	}
	var err error
	for i, dst := range []*bls.G1Affine{&p.aBar, &p.bBar, &p.d} {
		name := [...]string{"proof Abar", "proof Bbar", "proof D"}[i]
		if *dst, err = decodeG1(b[i*pointLen:(i+1)*pointLen], name); err != nil {
			return Proof{}, err
		}
	}
	rest := b[3*pointLen:]
	n := len(rest) / scalarLen
	scalars := make([]fr.Element, n)
	for i := range n {
		if scalars[i], err = decodeScalar(rest[i*scalarLen:(i+1)*scalarLen], fmt.Sprintf("proof scalar %d", i)); err != nil {
			return Proof{}, err
		}
	}
	p.eHat, p.r1Hat, p.r3Hat = scalars[0], scalars[1], scalars[2]
	p.mHat = scalars[3 : n-1]
	p.c = scalars[n-1]
	return p, nil
}

// Undisclosed is the number of messages the proof hides.
func (p Proof) Undisclosed() int { return len(p.mHat) }

// Bytes is proof_to_octets.
func (p Proof) Bytes() []byte {
	b := make([]byte, 0, minProofSize+len(p.mHat)*scalarLen)
	b = appendPoint(appendPoint(appendPoint(b, &p.aBar), &p.bBar), &p.d)
	b = appendScalar(appendScalar(appendScalar(b, &p.eHat), &p.r1Hat), &p.r3Hat)
	for i := range p.mHat {
		b = appendScalar(b, &p.mHat[i])
	}
	return appendScalar(b, &p.c)
}
