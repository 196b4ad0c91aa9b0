package bbs

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// MaxInfoLen is the longest key info KeyGen accepts (I2OSP(len, 2)).
const MaxInfoLen = 65535

// MinKeyMaterialLen is the shortest key material KeyGen accepts.
const MinKeyMaterialLen = 32

// KeyGen is the draft's KeyGen: a secret key derived from at least 32
// bytes of secret key material (e.g. from crypto/rand), an optional
// key_info and an optional key_dst (nil: the ciphersuite's
// "..._H2G_HM2S_KEYGEN_DST_").
func KeyGen(keyMaterial, keyInfo, keyDST []byte) (SecretKey, error) {
	if len(keyMaterial) < MinKeyMaterialLen {
		return SecretKey{}, fmt.Errorf("%w: key material of %d bytes, at least %d", ErrInput, len(keyMaterial), MinKeyMaterialLen)
	}
	if len(keyInfo) > MaxInfoLen {
		return SecretKey{}, fmt.Errorf("%w: key info of %d bytes, at most %d", ErrInput, len(keyInfo), MaxInfoLen)
	}
	if keyDST == nil {
		keyDST = dstKeyGen
	}
	in := make([]byte, 0, len(keyMaterial)+2+len(keyInfo))
	in = append(in, keyMaterial...)
	in = append(in, byte(len(keyInfo)>>8), byte(len(keyInfo)))
	in = append(in, keyInfo...)
	s, err := hashToScalar(in, keyDST)
	if err != nil {
		return SecretKey{}, fmt.Errorf("key dst: %w", err)
	}
	if s.IsZero() {
		return SecretKey{}, fmt.Errorf("%w: key material hashes to zero", ErrInput)
	}
	return SecretKey{s: s}, nil
}

func bigInt() *big.Int { return new(big.Int) }

// lincomb returns base + sum points[i] * scalars[i], by a multi-scalar
// multiplication on the calling goroutine (Pippenger's buckets; about a
// fifth faster than one multiplication per point for the 11 points of a
// 10-message commitment, see BenchmarkLincomb).
func lincomb(base *bls.G1Jac, points []bls.G1Affine, scalars []fr.Element) bls.G1Jac {
	var acc bls.G1Jac
	if len(points) > 0 {
		if _, err := acc.MultiExp(points, scalars, ecc.MultiExpConfig{NbTasks: 1}); err != nil {
			panic(err) // lengths are equal by construction
		}
	}
	if base != nil {
		acc.AddAssign(base)
	}
	return acc
}

// lincombEach is lincomb with one scalar multiplication per point, kept
// for BenchmarkLincomb and as the tests' cross-check.
func lincombEach(base *bls.G1Jac, points []bls.G1Affine, scalars []fr.Element) bls.G1Jac {
	var acc, t bls.G1Jac
	if base != nil {
		acc.Set(base)
	}
	b := bigInt()
	for i := range points {
		t.FromAffine(&points[i])
		t.ScalarMultiplication(&t, scalars[i].BigInt(b))
		acc.AddAssign(&t)
	}
	return acc
}

// calculateDomain is the draft's calculate_domain.
func calculateDomain(pk *PublicKey, q1 *bls.G1Affine, h []bls.G1Affine, header []byte) (fr.Element, error) {
	b := make([]byte, 0, pubKeyLen+8+(len(h)+1)*pointLen+len(apiID)+8+len(header))
	b = append(b, pk.enc[:]...)
	b = appendUint64(b, len(h))
	b = appendPoint(b, q1)
	for i := range h {
		b = appendPoint(b, &h[i])
	}
	b = append(b, apiID...)
	b = appendUint64(b, len(header))
	b = append(b, header...)
	return hashToScalar(b, dstH2S)
}

// messageCommitment returns B = P1 + Q_1 * domain + sum H_i * msg_i.
func messageCommitment(gens []bls.G1Affine, domain fr.Element, msgs []fr.Element) bls.G1Jac {
	var base bls.G1Jac
	base.FromAffine(&p1)
	points := append([]bls.G1Affine{gens[0]}, gens[1:]...)
	scalars := append([]fr.Element{domain}, msgs...)
	return lincomb(&base, points, scalars)
}

// Sign is the draft's Sign: a deterministic 80-byte signature of the
// messages and header under sk. pk must be sk's public key.
//
// The one secret-dependent scalar multiplication, A = B * 1/(SK + e), is
// blinded: A = (B * rho) * (1/((SK + e) * rho)) for a fresh random rho, so
// neither the inversion nor either multiplication sees a value correlated
// with SK alone (see RATIONALE.md, "Why gnark-crypto for BBS").
func Sign(sk SecretKey, pk PublicKey, header []byte, messages [][]byte) ([]byte, error) {
	if err := checkCount(len(messages)); err != nil {
		return nil, err
	}
	msgs, err := messagesToScalars(messages)
	if err != nil {
		return nil, err
	}
	gens := generators(len(msgs) + 1)
	domain, err := calculateDomain(&pk, &gens[0], gens[1:], header)
	if err != nil {
		return nil, err
	}
	// e = hash_to_scalar(serialize((SK, msg_1, ..., msg_L, domain)), H2S).
	b := make([]byte, 0, (len(msgs)+2)*scalarLen)
	b = appendScalar(b, &sk.s)
	for i := range msgs {
		b = appendScalar(b, &msgs[i])
	}
	b = appendScalar(b, &domain)
	e, err := hashToScalar(b, dstH2S)
	if err != nil {
		return nil, err
	}
	bj := messageCommitment(gens, domain, msgs)

	var sum fr.Element
	sum.Add(&sk.s, &e)
	if sum.IsZero() {
		return nil, fmt.Errorf("%w: SK + e is zero", ErrInput)
	}
	rho := randomNonZero()
	var blinded, inv fr.Element
	blinded.Mul(&sum, &rho)
	inv.Inverse(&blinded) // 1 / ((SK + e) * rho)
	var aj bls.G1Jac
	aj.ScalarMultiplication(&bj, rho.BigInt(bigInt()))
	aj.ScalarMultiplication(&aj, inv.BigInt(bigInt()))
	var sig Signature
	sig.a.FromJacobian(&aj)
	sig.e = e
	return sig.Bytes(), nil
}

// randomNonZero draws a uniform scalar in [1, r) from crypto/rand.
func randomNonZero() fr.Element {
	var s fr.Element
	for s.IsZero() {
		s = randomScalar()
	}
	return s
}

// randomScalar is one scalar of the draft's calculate_random_scalars:
// 48 random bytes reduced mod r.
func randomScalar() fr.Element {
	var buf [expandLen]byte
	_, _ = rand.Read(buf[:]) // never fails (crypto/rand crashes the program instead)
	var s fr.Element
	s.SetBytes(buf[:])
	return s
}

// Verify is the draft's Verify: nil when sig is a valid signature of the
// messages and header under pk, else an error wrapping ErrEncoding (a
// malformed key or signature) or ErrVerification.
func Verify(pk PublicKey, sig, header []byte, messages [][]byte) error {
	s, err := ParseSignature(sig)
	if err != nil {
		return err
	}
	if err := checkCount(len(messages)); err != nil {
		return err
	}
	msgs, err := messagesToScalars(messages)
	if err != nil {
		return err
	}
	gens := generators(len(msgs) + 1)
	domain, err := calculateDomain(&pk, &gens[0], gens[1:], header)
	if err != nil {
		return err
	}
	bj := messageCommitment(gens, domain, msgs)
	var bAff bls.G1Affine
	bAff.FromJacobian(&bj)

	// e(A, W + BP2 * e) * e(B, -BP2) == 1
	_, _, _, g2 := bls.Generators()
	var we, negG2 bls.G2Affine
	we.ScalarMultiplication(&g2, s.e.BigInt(bigInt()))
	we.Add(&we, &pk.w)
	negG2.Neg(&g2)
	ok, err := bls.PairingCheck([]bls.G1Affine{s.a, bAff}, []bls.G2Affine{we, negG2})
	if err != nil {
		return fmt.Errorf("%w: pairing: %v", ErrVerification, err)
	}
	if !ok {
		return fmt.Errorf("%w: signature does not match the key, header and messages", ErrVerification)
	}
	return nil
}
