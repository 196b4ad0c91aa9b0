package bbs2023

import (
	"testing"
)

func benchInputs(b *testing.B) (doc map[string]any, mandatory, selective []string) {
	readJSON(b, "prc/addSignedSDBase.json", &doc)
	delete(doc, "proof")
	readJSON(b, "prc/prCredMandatory.json", &mandatory)
	readJSON(b, "prc/prCredSelective.json", &selective)
	return doc, mandatory, selective
}

// The permanent resident card (24 statements, 3 mandatory pointers, 3
// selective): sign, derive, verify.
func BenchmarkSign(b *testing.B) {
	doc, mandatory, _ := benchInputs(b)
	sk, _ := bbsKeyGen(nil)
	key := make([]byte, 32)
	for b.Loop() {
		if _, err := Sign(doc, ProofOptions{VerificationMethod: "did:example:1#k", ProofPurpose: "assertionMethod"}, sk, key, mandatory); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveVerify(b *testing.B) {
	doc, mandatory, selective := benchInputs(b)
	sk, _ := bbsKeyGen(nil)
	signed, err := Sign(doc, ProofOptions{VerificationMethod: "did:example:1#k", ProofPurpose: "assertionMethod"}, sk, make([]byte, 32), mandatory)
	if err != nil {
		b.Fatal(err)
	}
	derived, err := Derive(signed, selective, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Derive", func(b *testing.B) {
		for b.Loop() {
			if _, err := Derive(signed, selective, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Verify", func(b *testing.B) {
		for b.Loop() {
			if err := Verify(derived, sk.PublicKey()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
