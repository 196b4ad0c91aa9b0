// Package bbs implements the core of the BBS signature scheme
// (IETF draft-irtf-cfrg-bbs-signatures) for the ciphersuite
// BLS12-381-SHA-256: key generation (KeyGen, SkToPk), Sign and Verify of a
// list of messages under a header, and ProofGen and ProofVerify of
// zero-knowledge proofs that reveal only chosen messages and bind a
// presentation header.
//
// Its place is under the credential layer: it is the primitive the W3C
// Data Integrity cryptosuite bbs-2023 (selective disclosure of a
// certified model's credential, issue #17) will be built on. It knows
// nothing of credentials, JSON-LD or DIDs: messages are byte strings.
//
//	engine -> credential (bbs-2023, future) -> credential/bbs (this package)
//
// It is a leaf: it imports only the standard library and
// github.com/consensys/gnark-crypto (BLS12-381 arithmetic, pairings,
// hash-to-curve per RFC 9380, expand_message_xmd); never engine or the
// credential package, and it does no I/O.
//
// # Encodings
//
// Secret keys and scalars are 32 bytes big-endian; public keys are 96-byte
// compressed G2 points; signatures are 80 bytes (A, a compressed G1 point,
// then e); proofs are 272 + 32*U bytes for U hidden messages. Decoders are
// strict: exact lengths, compressed points on the curve and in the
// prime-order subgroup, never the identity, scalars in [1, r). Every error
// wraps one of ErrEncoding, ErrInput or ErrVerification and names the
// field. A signature or proof covers at most MaxMessages messages, which
// bounds what an untrusted proof can make a verifier compute.
//
// Signatures are deterministic. The draft's published fixtures for the
// ciphersuite (testdata/) are reproduced byte for byte, proofs with the
// draft's seeded randomness; ProofGen itself draws from crypto/rand.
// gnark-crypto is not constant time; signing and SkToPk blind their
// secret-dependent scalar multiplications (see RATIONALE.md, "Why
// gnark-crypto for BBS").
//
// # Usage
//
//	sk, err := bbs.KeyGen(keyMaterial, nil, nil) // keyMaterial: 32+ random bytes
//	pk := sk.PublicKey()
//	sig, err := bbs.Sign(sk, pk, header, messages)
//	err = bbs.Verify(pk, sig, header, messages)
//	proof, err := bbs.ProofGen(pk, sig, header, nonce, messages, []int{0, 2})
//	err = bbs.ProofVerify(pk, proof, header, nonce, [][]byte{messages[0], messages[2]}, []int{0, 2})
package bbs
