// Package bbs2023 implements the W3C Data Integrity cryptosuite bbs-2023
// (W3C vc-di-bbs): selective disclosure of a JSON-LD credential signed
// with BBS. The issuer makes a base proof over the credential with a list
// of mandatory JSON pointers; the holder derives from it a proof that
// reveals the mandatory statements and the ones chosen by selective
// pointers, and nothing else; a verifier checks the derived proof with the
// issuer's BLS12-381 G2 public key.
//
//	engine -> credential (SignWithBBS, Derive, VerifyDerived) -> credential/bbs2023 (this package) -> credential/bbs
//
// The steps follow the spec and its selective-disclosure primitives:
// RDF Dataset Canonicalization (RDFC-1.0, by github.com/piprate/json-gold)
// of the credential to N-Quads; blank-node relabelling by HMAC-SHA-256
// under a per-credential key; JSON-pointer selection (selectJsonLd) over a
// skolemized copy of the credential to split the N-Quads into mandatory
// and non-mandatory statements; a BBS signature whose header is
// SHA-256(canonical proof config) || SHA-256(mandatory N-Quads) and whose
// messages are the non-mandatory N-Quads; proof values as CBOR
// (github.com/fxamacker/cbor/v2) behind the spec's three-byte headers
// (0xd9 0x5d 0x02 base, 0xd9 0x5d 0x03 derived), multibase base64url.
//
// JSON-LD contexts come only from a static loader holding the contexts
// embedded in contexts/ (the VC 2.0 context) and those registered by
// RegisterContext (verdict's, by package credential); any other context is an
// error: there is no network access at sign, derive or verify time.
//
// # What a derived proof links
//
// Every derived proof carries a fresh, randomized BBS proof: two proofs of
// one credential share no bytes there. They do share what the baseline
// bbs-2023 puts beside it: the revealed statements, the mandatory and
// selective indexes, and the label map from the verifier's c14n labels to
// the issuer's HMAC-shuffled labels. That label map is fixed per
// credential and disclosure, so a verifier who sees two derived proofs of
// the same credential revealing blank nodes can tell they are of the same
// credential. verdict's model credentials reveal their model hash and id
// anyway (mandatory), so this links nothing more there.
//
// JSON-LD lists (@list) do not survive selection: an RDF list's cells are
// blank nodes the selection cannot name, and a derived proof revealing
// part of a document with a list may fail to verify. Use @set.
//
// Canonicalization (RDFC-1.0) can be driven to factorial time by a
// crafted graph of blank nodes that only their position tells apart, and
// json-gold has no limit of its own: a dataset in which such nodes form a
// connected group of more than MaxAmbiguousBlankNodes is refused before
// canonicalization, and documents are bounded to MaxStatements JSON values
// and RDF statements.
//
// Errors wrap ErrInput, ErrEncoding or ErrVerification and name the
// field. The W3C test vectors (testdata/, see testdata/README.md) are
// reproduced step by step.
package bbs2023
