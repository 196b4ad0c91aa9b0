package bbs

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

func newKey(t testing.TB) (SecretKey, PublicKey) {
	t.Helper()
	km := make([]byte, 32)
	_, _ = rand.Read(km)
	sk, err := KeyGen(km, []byte("verdict test"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sk, sk.PublicKey()
}

func testMessages(n int) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = fmt.Appendf(nil, "message %d", i)
	}
	return msgs
}

func TestKeyGenRefuses(t *testing.T) {
	tests := []struct {
		name          string
		material, inf []byte
		dst           []byte
		want          string
	}{
		{"ErrShortMaterial", make([]byte, 31), nil, nil, "key material of 31 bytes, at least 32"},
		{"ErrLongInfo", make([]byte, 32), make([]byte, MaxInfoLen+1), nil, "key info of 65536 bytes, at most 65535"},
		{"ErrLongDST", make([]byte, 32), nil, make([]byte, 256), "domain separation tag of 256 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := KeyGen(tc.material, tc.inf, tc.dst)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInput naming %q", err, tc.want)
			}
		})
	}
}

func TestSignVerifyProof(t *testing.T) {
	sk, pk := newKey(t)
	header := []byte("header")
	msgs := testMessages(10)
	sig, err := Sign(sk, pk, header, msgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pk, sig, header, msgs); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	_, other := newKey(t)
	if err := Verify(other, sig, header, msgs); !errors.Is(err, ErrVerification) {
		t.Errorf("Verify under another key: got %v, want ErrVerification", err)
	}

	ph := []byte("nonce-1")
	disclosed := []int{1, 4, 9}
	revealed := [][]byte{msgs[1], msgs[4], msgs[9]}
	proof, err := ProofGen(pk, sig, header, ph, msgs, disclosed)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(proof), minProofSize+7*scalarLen; got != want {
		t.Errorf("proof length: got %d, want %d", got, want)
	}
	if err := ProofVerify(pk, proof, header, ph, revealed, disclosed); err != nil {
		t.Fatalf("ProofVerify: %v", err)
	}

	tampered := [][]byte{msgs[1], []byte("message 5"), msgs[9]}
	tests := []struct {
		name      string
		pk        PublicKey
		header    []byte
		ph        []byte
		msgs      [][]byte
		disclosed []int
		want      error
	}{
		{"ErrTamperedMessage", pk, header, ph, tampered, disclosed, ErrVerification},
		{"ErrOtherPresentationHeader", pk, header, []byte("nonce-2"), revealed, disclosed, ErrVerification},
		{"ErrOtherHeader", pk, []byte("other"), ph, revealed, disclosed, ErrVerification},
		{"ErrOtherKey", other, header, ph, revealed, disclosed, ErrVerification},
		{"ErrOtherIndexes", pk, header, ph, revealed, []int{1, 4, 8}, ErrVerification},
		{"ErrCountMismatch", pk, header, ph, revealed[:2], disclosed, ErrInput},
		{"ErrIndexesNotIncreasing", pk, header, ph, revealed, []int{4, 1, 9}, ErrInput},
		{"ErrIndexOutOfRange", pk, header, ph, revealed, []int{1, 4, 10}, ErrInput},
		{"ErrNegativeIndex", pk, header, ph, revealed, []int{-1, 4, 9}, ErrInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ProofVerify(tc.pk, proof, tc.header, tc.ph, tc.msgs, tc.disclosed)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestProofGenRefuses(t *testing.T) {
	sk, pk := newKey(t)
	msgs := testMessages(3)
	sig, err := Sign(sk, pk, nil, msgs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		sig       []byte
		disclosed []int
		want      error
		text      string
	}{
		{"ErrDuplicateIndex", sig, []int{0, 0}, ErrInput, "not strictly increasing"},
		{"ErrIndexOutOfRange", sig, []int{3}, ErrInput, "disclosed index 3 out of range [0, 3)"},
		{"ErrTooManyIndexes", sig, []int{0, 1, 2, 3}, ErrInput, "4 disclosed indexes for 3 messages"},
		{"ErrBadSignature", sig[:79], []int{0}, ErrEncoding, "signature: 79 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ProofGen(pk, tc.sig, nil, nil, msgs, tc.disclosed)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("got %v, want %v naming %q", err, tc.want, tc.text)
			}
		})
	}
}

// TestProofsUnlinkable checks that two proofs of one signature, revealing
// the same messages under the same presentation header, share no encoded
// point or scalar: nothing in them but the revealed values ties them to
// each other or to the signature.
func TestProofsUnlinkable(t *testing.T) {
	sk, pk := newKey(t)
	msgs := testMessages(5)
	sig, err := Sign(sk, pk, nil, msgs)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := ProofGen(pk, sig, nil, nil, msgs, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ProofGen(pk, sig, nil, nil, msgs, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	chunks := func(p []byte) [][]byte {
		var out [][]byte
		for i := 0; i < 3*pointLen; i += pointLen {
			out = append(out, p[i:i+pointLen])
		}
		for i := 3 * pointLen; i < len(p); i += scalarLen {
			out = append(out, p[i:i+scalarLen])
		}
		return out
	}
	for _, a := range chunks(p1) {
		for _, b := range chunks(p2) {
			if bytes.Equal(a, b) {
				t.Errorf("proofs share %x", a)
			}
		}
		if bytes.Contains(sig, a) {
			t.Errorf("proof contains part of the signature: %x", a)
		}
	}
}

func TestSignDeterministic(t *testing.T) {
	sk, pk := newKey(t)
	msgs := testMessages(4)
	a, err := Sign(sk, pk, []byte("h"), msgs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Sign(sk, pk, []byte("h"), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two signatures of the same input differ (the blinding leaked into the output):\n%x\n%x", a, b)
	}
}

func TestNoMessages(t *testing.T) {
	sk, pk := newKey(t)
	sig, err := Sign(sk, pk, []byte("h"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pk, sig, []byte("h"), nil); err != nil {
		t.Fatal(err)
	}
	proof, err := ProofGen(pk, sig, []byte("h"), []byte("ph"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ProofVerify(pk, proof, []byte("h"), []byte("ph"), nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestMaxMessages(t *testing.T) {
	sk, pk := newKey(t)
	tooMany := make([][]byte, MaxMessages+1)
	if _, err := Sign(sk, pk, nil, tooMany); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "4096 messages, at most 4095") {
		t.Errorf("Sign: got %v, want ErrInput naming the count", err)
	}
	if err := Verify(pk, mustHex(t, fixtureSig), nil, tooMany); !errors.Is(err, ErrInput) {
		t.Errorf("Verify: got %v, want ErrInput", err)
	}
	if _, err := ProofGen(pk, mustHex(t, fixtureSig), nil, nil, tooMany, nil); !errors.Is(err, ErrInput) {
		t.Errorf("ProofGen: got %v, want ErrInput", err)
	}
	// A well-formed proof that claims 4096 hidden messages: refused before
	// any generator is made.
	var f proofFixture
	readFixture(t, "proof/proof003.json", &f)
	head := f.Proof[:3*pointLen]
	scalar := f.Proof[3*pointLen : 3*pointLen+scalarLen]
	proof := bytes.Clone(head)
	for range 4 + MaxMessages + 1 { // e^, r1^, r3^, c and MaxMessages+1 m^
		proof = append(proof, scalar...)
	}
	p, err := ParseProof(proof)
	if err != nil {
		t.Fatal(err)
	}
	if p.Undisclosed() != MaxMessages+1 {
		t.Fatalf("undisclosed: got %d, want %d", p.Undisclosed(), MaxMessages+1)
	}
	if err := ProofVerify(pk, proof, nil, nil, nil, nil); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "proof: ") {
		t.Errorf("ProofVerify: got %v, want ErrInput naming the proof", err)
	}
}

func TestLincombMatchesEach(t *testing.T) {
	for _, n := range []int{0, 1, 2, 11, 40} {
		gens := generators(n + 1)
		scalars, err := messagesToScalars(testMessages(n + 1))
		if err != nil {
			t.Fatal(err)
		}
		var base bls.G1Jac
		base.FromAffine(&p1)
		got, want := lincomb(&base, gens, scalars), lincombEach(&base, gens, scalars)
		if !got.Equal(&want) {
			t.Errorf("n=%d: msm and per-point sums differ", n+1)
		}
	}
}

// TestConcurrent signs and verifies from several goroutines with growing
// message counts, so that the generator cache grows while others read it
// (run with -race).
func TestConcurrent(t *testing.T) {
	sk, pk := newKey(t)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			msgs := testMessages(1 + 7*g)
			sig, err := Sign(sk, pk, nil, msgs)
			if err == nil {
				err = Verify(pk, sig, nil, msgs)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
