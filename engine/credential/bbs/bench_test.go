package bbs

import (
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Benchmarks for a 10-message signature, the size of a model credential's
// statements; the proof reveals 3 of the 10.
//
//	go test -run XXX -bench . -benchtime 50x ./engine/credential/bbs/

func benchSetup(b *testing.B) (SecretKey, PublicKey, [][]byte, []byte, []byte) {
	sk, pk := newKey(b)
	msgs := testMessages(10)
	sig, err := Sign(sk, pk, []byte("header"), msgs)
	if err != nil {
		b.Fatal(err)
	}
	proof, err := ProofGen(pk, sig, []byte("header"), []byte("ph"), msgs, []int{0, 4, 9})
	if err != nil {
		b.Fatal(err)
	}
	return sk, pk, msgs, sig, proof
}

func reportMS(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}

func BenchmarkSign10(b *testing.B) {
	sk, pk, msgs, _, _ := benchSetup(b)
	for b.Loop() {
		if _, err := Sign(sk, pk, []byte("header"), msgs); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b)
}

func BenchmarkVerify10(b *testing.B) {
	_, pk, msgs, sig, _ := benchSetup(b)
	for b.Loop() {
		if err := Verify(pk, sig, []byte("header"), msgs); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b)
}

func BenchmarkProofGen10(b *testing.B) {
	_, pk, msgs, sig, _ := benchSetup(b)
	for b.Loop() {
		if _, err := ProofGen(pk, sig, []byte("header"), []byte("ph"), msgs, []int{0, 4, 9}); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b)
}

func BenchmarkProofVerify10(b *testing.B) {
	_, pk, msgs, _, proof := benchSetup(b)
	revealed := [][]byte{msgs[0], msgs[4], msgs[9]}
	for b.Loop() {
		if err := ProofVerify(pk, proof, []byte("header"), []byte("ph"), revealed, []int{0, 4, 9}); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b)
}

// BenchmarkLincomb compares lincomb (one multi-scalar multiplication) with
// lincombEach (one scalar multiplication per point) on the 11 points of a
// 10-message commitment B.
func BenchmarkLincomb(b *testing.B) {
	gens := generators(11)
	scalars, _ := messagesToScalars(testMessages(11))
	for _, bc := range []struct {
		name string
		f    func(*bls.G1Jac, []bls.G1Affine, []fr.Element) bls.G1Jac
	}{{"msm", lincomb}, {"each", lincombEach}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.f(nil, gens, scalars)
			}
			reportMS(b)
		})
	}
}
