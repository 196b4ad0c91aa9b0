package bbs_test

import (
	"fmt"

	"github.com/verdictlab/verdict/engine/credential/bbs"
)

// A holder reveals two of three signed statements; the verifier checks the
// proof against the issuer's public key and the nonce it chose.
func Example() {
	keyMaterial := []byte("an example of 32+ bytes of secret key material; use crypto/rand")
	sk, err := bbs.KeyGen(keyMaterial, nil, nil)
	if err != nil {
		panic(err)
	}
	pk := sk.PublicKey()
	header := []byte("verdict example")
	messages := [][]byte{[]byte("task: churn"), []byte("author: did:key:z6Mk..."), []byte("score: 0.93")}
	sig, err := bbs.Sign(sk, pk, header, messages)
	if err != nil {
		panic(err)
	}
	nonce := []byte("verifier nonce 42")
	proof, err := bbs.ProofGen(pk, sig, header, nonce, messages, []int{0, 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(sig), len(proof))
	fmt.Println(bbs.ProofVerify(pk, proof, header, nonce, [][]byte{messages[0], messages[2]}, []int{0, 2}))
	fmt.Println(bbs.ProofVerify(pk, proof, header, nonce, [][]byte{messages[0], []byte("score: 0.99")}, []int{0, 2}) != nil)
	// Output:
	// 80 304
	// <nil>
	// true
}
