package bbs2023_test

import (
	"bytes"
	"fmt"

	"github.com/verdictlab/verdict/engine/credential/bbs"
	"github.com/verdictlab/verdict/engine/credential/bbs2023"
)

func Example() {
	sk, _ := bbs.KeyGen(bytes.Repeat([]byte{1}, 32), nil, nil)
	credential := map[string]any{
		"@context": []any{"https://www.w3.org/ns/credentials/v2", map[string]any{"@vocab": "https://example.org/vocab#"}},
		"type":     []any{"VerifiableCredential"},
		"issuer":   "https://example.org/issuer",
		"credentialSubject": map[string]any{
			"task":  "churn",
			"score": 0.93,
			"rank":  2.0,
		},
	}
	signed, err := bbs2023.Sign(credential, bbs2023.ProofOptions{
		VerificationMethod: "https://example.org/issuer#key",
		ProofPurpose:       "assertionMethod",
	}, sk, bytes.Repeat([]byte{2}, 32), []string{"/issuer", "/credentialSubject/task"})
	if err != nil {
		panic(err)
	}
	// The holder reveals the score, not the rank.
	derived, err := bbs2023.Derive(signed, []string{"/credentialSubject/score"}, []byte("nonce"))
	if err != nil {
		panic(err)
	}
	fmt.Println(derived["credentialSubject"])
	fmt.Println(bbs2023.Verify(derived, sk.PublicKey()))
	// Output:
	// map[score:0.93 task:churn]
	// <nil>
}
