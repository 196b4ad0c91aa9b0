package bbs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Each decoder of untrusted bytes must return a value or an error wrapping
// ErrEncoding, never panic, and a decoded value must encode back to the
// same bytes (the encodings are canonical).

func seedProofs(f *testing.F) {
	for _, name := range fixtureFiles(f, "proof") {
		var pf proofFixture
		readFixture(f, name, &pf)
		f.Add([]byte(pf.Proof))
	}
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(mustHex(f, fixturePK))
	f.Add(infinity(pubKeyLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePublicKey(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error not ErrEncoding: %v", err)
			}
			return
		}
		if !bytes.Equal(pk.Bytes(), b) {
			t.Fatalf("round trip: got %x, want %x", pk.Bytes(), b)
		}
	})
}

func FuzzParseSecretKey(f *testing.F) {
	f.Add(mustHex(f, "60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc"))
	f.Add(orderBytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := ParseSecretKey(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error not ErrEncoding: %v", err)
			}
			return
		}
		if !bytes.Equal(sk.Bytes(), b) {
			t.Fatalf("round trip: got %x, want %x", sk.Bytes(), b)
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	for _, name := range fixtureFiles(f, "signature") {
		var sf signatureFixture
		readFixture(f, name, &sf)
		f.Add([]byte(sf.Signature))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignature(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error not ErrEncoding: %v", err)
			}
			return
		}
		if !bytes.Equal(s.Bytes(), b) {
			t.Fatalf("round trip: got %x, want %x", s.Bytes(), b)
		}
	})
}

func FuzzParseProof(f *testing.F) {
	seedProofs(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		p, err := ParseProof(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error not ErrEncoding: %v", err)
			}
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("round trip: got %x, want %x", p.Bytes(), b)
		}
	})
}

// FuzzProofVerify feeds arbitrary proofs, disclosed indexes and messages
// to ProofVerify under the fixture key: it must refuse them with one of
// the package's errors and never panic.
func FuzzProofVerify(f *testing.F) {
	seedProofs(f)
	pk, err := ParsePublicKey(mustHex(f, fixturePK))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, proof []byte) {
		if len(proof) > 1<<14 {
			return
		}
		// The first bytes, read as small integers, pick the indexes; the
		// same bytes are the messages.
		var disclosed []int
		var msgs [][]byte
		for i := 0; i+2 <= len(proof) && i < 16; i += 2 {
			disclosed = append(disclosed, int(binary.BigEndian.Uint16(proof[i:])%64)-1)
			msgs = append(msgs, proof[i:i+2])
		}
		err := ProofVerify(pk, proof, nil, nil, msgs, disclosed)
		if err == nil {
			return // a fixture proof may verify by chance of the indexes; fine
		}
		if !errors.Is(err, ErrEncoding) && !errors.Is(err, ErrInput) && !errors.Is(err, ErrVerification) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}
