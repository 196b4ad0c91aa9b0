package bbs

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"github.com/consensys/gnark-crypto/field/hash"
)

// ProofGen is the draft's ProofGen: from a signature of messages (under
// pk, with header) it derives a zero-knowledge proof that reveals only the
// messages at the disclosed indexes (strictly increasing, each below
// len(messages)) and binds the presentation header ph. Each call draws
// fresh randomness, so two proofs of one signature are unlinkable.
func ProofGen(pk PublicKey, sig, header, ph []byte, messages [][]byte, disclosed []int) ([]byte, error) {
	return proofGen(pk, sig, header, ph, messages, disclosed, func(n int) ([]fr.Element, error) {
		out := make([]fr.Element, n)
		for i := range out {
			out[i] = randomScalar()
		}
		return out, nil
	})
}

// seededRandomScalars is the draft's mocked calculate_random_scalars
// (seeded_random_scalars), used to reproduce the proof fixtures.
func seededRandomScalars(seed []byte) func(int) ([]fr.Element, error) {
	return func(n int) ([]fr.Element, error) {
		v, err := hash.ExpandMsgXmd(seed, dstMockRand, n*expandLen)
		if err != nil {
			return nil, fmt.Errorf("%w: seeded random scalars: %v", ErrInput, err)
		}
		out := make([]fr.Element, n)
		for i := range out {
			out[i].SetBytes(v[i*expandLen : (i+1)*expandLen])
		}
		return out, nil
	}
}

// checkIndexes checks that disclosed indexes are strictly increasing and
// below l, and returns the undisclosed ones in increasing order.
func checkIndexes(disclosed []int, l int) ([]int, error) {
	if len(disclosed) > l {
		return nil, fmt.Errorf("%w: %d disclosed indexes for %d messages", ErrInput, len(disclosed), l)
	}
	undisclosed := make([]int, 0, l-len(disclosed))
	next := 0
	for k, i := range disclosed {
		if i < 0 || i >= l {
			return nil, fmt.Errorf("%w: disclosed index %d out of range [0, %d)", ErrInput, i, l)
		}
		if k > 0 && i <= disclosed[k-1] {
			return nil, fmt.Errorf("%w: disclosed indexes not strictly increasing at %d", ErrInput, i)
		}
		for ; next < i; next++ {
			undisclosed = append(undisclosed, next)
		}
		next = i + 1
	}
	for ; next < l; next++ {
		undisclosed = append(undisclosed, next)
	}
	return undisclosed, nil
}

func proofGen(pk PublicKey, sig, header, ph []byte, messages [][]byte, disclosed []int, random func(int) ([]fr.Element, error)) ([]byte, error) {
	s, err := ParseSignature(sig)
	if err != nil {
		return nil, err
	}
	if err := checkCount(len(messages)); err != nil {
		return nil, err
	}
	msgs, err := messagesToScalars(messages)
	if err != nil {
		return nil, err
	}
	undisclosed, err := checkIndexes(disclosed, len(msgs))
	if err != nil {
		return nil, err
	}
	u := len(undisclosed)
	rs, err := random(5 + u)
	if err != nil {
		return nil, err
	}
	r1, r2, eT, r1T, r3T, mT := rs[0], rs[1], rs[2], rs[3], rs[4], rs[5:]

	// ProofInit.
	gens := generators(len(msgs) + 1)
	h := gens[1:]
	domain, err := calculateDomain(&pk, &gens[0], h, header)
	if err != nil {
		return nil, err
	}
	bj := messageCommitment(gens, domain, msgs)
	var dj, abarj, bbarj, t1j, t2j, tmp bls.G1Jac
	b := bigInt()
	dj.ScalarMultiplication(&bj, r2.BigInt(b))
	var r1r2 fr.Element
	r1r2.Mul(&r1, &r2)
	var aj bls.G1Jac
	aj.FromAffine(&s.a)
	abarj.ScalarMultiplication(&aj, r1r2.BigInt(b))
	// Bbar = D * r1 - Abar * e
	bbarj.ScalarMultiplication(&dj, r1.BigInt(b))
	tmp.ScalarMultiplication(&abarj, s.e.BigInt(b))
	bbarj.SubAssign(&tmp)
	// T1 = Abar * e~ + D * r1~
	t1j.ScalarMultiplication(&abarj, eT.BigInt(b))
	tmp.ScalarMultiplication(&dj, r1T.BigInt(b))
	t1j.AddAssign(&tmp)
	// T2 = D * r3~ + sum H_j * m~_j
	t2j.ScalarMultiplication(&dj, r3T.BigInt(b))
	hj := make([]bls.G1Affine, u)
	for k, j := range undisclosed {
		hj[k] = h[j]
	}
	t2j = lincomb(&t2j, hj, mT)

	var p Proof
	var t1, t2 bls.G1Affine
	p.aBar.FromJacobian(&abarj)
	p.bBar.FromJacobian(&bbarj)
	p.d.FromJacobian(&dj)
	t1.FromJacobian(&t1j)
	t2.FromJacobian(&t2j)

	disclosedMsgs := make([]fr.Element, len(disclosed))
	for k, i := range disclosed {
		disclosedMsgs[k] = msgs[i]
	}
	c, err := challenge(&p, &t1, &t2, domain, disclosed, disclosedMsgs, ph)
	if err != nil {
		return nil, err
	}

	// ProofFinalize.
	var r3, t fr.Element
	r3.Inverse(&r2)
	p.eHat.Add(&eT, t.Mul(&s.e, &c))
	p.r1Hat.Sub(&r1T, t.Mul(&r1, &c))
	p.r3Hat.Sub(&r3T, t.Mul(&r3, &c))
	p.mHat = make([]fr.Element, u)
	for k, j := range undisclosed {
		p.mHat[k].Add(&mT[k], t.Mul(&msgs[j], &c))
	}
	p.c = c
	return p.Bytes(), nil
}

// challenge is the draft's ProofChallengeCalculate.
func challenge(p *Proof, t1, t2 *bls.G1Affine, domain fr.Element, disclosed []int, msgs []fr.Element, ph []byte) (fr.Element, error) {
	b := make([]byte, 0, 8+len(disclosed)*(8+scalarLen)+5*pointLen+scalarLen+8+len(ph))
	b = appendUint64(b, len(disclosed))
	for k, i := range disclosed {
		b = appendUint64(b, i)
		b = appendScalar(b, &msgs[k])
	}
	b = appendPoint(appendPoint(appendPoint(b, &p.aBar), &p.bBar), &p.d)
	b = appendPoint(appendPoint(b, t1), t2)
	b = appendScalar(b, &domain)
	b = appendUint64(b, len(ph))
	b = append(b, ph...)
	return hashToScalar(b, dstH2S)
}

// ProofVerify is the draft's ProofVerify: nil when proof shows knowledge
// of a signature under pk, with header, of messages among which
// disclosedMessages sit at the disclosed indexes, bound to the
// presentation header ph; else an error wrapping ErrEncoding, ErrInput or
// ErrVerification.
func ProofVerify(pk PublicKey, proof, header, ph []byte, disclosedMessages [][]byte, disclosed []int) error {
	p, err := ParseProof(proof)
	if err != nil {
		return err
	}
	if len(disclosedMessages) != len(disclosed) {
		return fmt.Errorf("%w: %d disclosed messages for %d disclosed indexes", ErrInput, len(disclosedMessages), len(disclosed))
	}
	l := len(disclosed) + p.Undisclosed()
	if err := checkCount(l); err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	undisclosed, err := checkIndexes(disclosed, l)
	if err != nil {
		return err
	}
	msgs, err := messagesToScalars(disclosedMessages)
	if err != nil {
		return err
	}
	gens := generators(l + 1)
	h := gens[1:]
	domain, err := calculateDomain(&pk, &gens[0], h, header)
	if err != nil {
		return err
	}
	b := bigInt()
	// T1 = Bbar * c + Abar * e^ + D * r1^
	t1j := lincomb(nil, []bls.G1Affine{p.bBar, p.aBar, p.d}, []fr.Element{p.c, p.eHat, p.r1Hat})
	// Bv = P1 + Q_1 * domain + sum H_i * msg_i (disclosed)
	var bv bls.G1Jac
	bv.FromAffine(&p1)
	pts := make([]bls.G1Affine, 0, 1+l)
	scs := make([]fr.Element, 0, 1+l)
	pts, scs = append(pts, gens[0]), append(scs, domain)
	for k, i := range disclosed {
		pts, scs = append(pts, h[i]), append(scs, msgs[k])
	}
	bv = lincomb(&bv, pts, scs)
	// T2 = Bv * c + D * r3^ + sum H_j * m^_j
	var t2j bls.G1Jac
	t2j.ScalarMultiplication(&bv, p.c.BigInt(b))
	pts, scs = append(pts[:0], p.d), append(scs[:0], p.r3Hat)
	for k, j := range undisclosed {
		pts, scs = append(pts, h[j]), append(scs, p.mHat[k])
	}
	t2j = lincomb(&t2j, pts, scs)
	var t1, t2 bls.G1Affine
	t1.FromJacobian(&t1j)
	t2.FromJacobian(&t2j)
	c, err := challenge(&p, &t1, &t2, domain, disclosed, msgs, ph)
	if err != nil {
		return err
	}
	if !c.Equal(&p.c) {
		return fmt.Errorf("%w: proof challenge does not match the key, headers and disclosed messages", ErrVerification)
	}
	// e(Abar, W) * e(Bbar, -BP2) == 1
	_, _, _, g2 := bls.Generators()
	var negG2 bls.G2Affine
	negG2.Neg(&g2)
	ok, err := bls.PairingCheck([]bls.G1Affine{p.aBar, p.bBar}, []bls.G2Affine{pk.w, negG2})
	if err != nil {
		return fmt.Errorf("%w: pairing: %v", ErrVerification, err)
	}
	if !ok {
		return fmt.Errorf("%w: proof does not match the public key", ErrVerification)
	}
	return nil
}
