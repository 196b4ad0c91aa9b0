package credential

import (
	"encoding/json"
	"time"

	"github.com/verdictlab/verdict/engine/credential/bbs2023"
	"github.com/verdictlab/verdict/engine/credential/internal/jcs"
)

// verifyBBSSecured verifies a credential secured by one bbs-2023 proof,
// derived (a selective disclosure) or base (the form Digital Bazaar's
// implementation signs), for VerifyCredential: the proof against its
// BLS12-381 did:key, then that key's binding to the issuer
// (checkBBSBinding). The result's Document is the JCS canonical form of
// what the proof covers: for a derived proof, only what was disclosed.
func verifyBBSSecured(signed []byte, keyOf func(string) (string, error)) (*VerifyResult, error) {
	top, err := parseObject(signed, "")
	if err != nil {
		return nil, err
	}
	raw, ok := top["proof"]
	if !ok {
		return nil, fieldErr(ErrNoProof, "proof", "missing")
	}
	var head proofHead
	if json.Unmarshal(raw, &head) != nil {
		return nil, fieldErr(ErrNoProof, "proof", "want one bbs-2023 proof object (a proof set must hold an eddsa-jcs-2022 proof)")
	}
	res := &VerifyResult{}
	if head.kind() == KindBBSDerived {
		res.VerificationMethod, _, err = verifyDerivedProof(top, raw)
	} else {
		unsecured := make(map[string]json.RawMessage, len(top))
		for k, v := range top {
			if k != "proof" {
				unsecured[k] = v
			}
		}
		res.VerificationMethod, err = verifyBBSBase(unsecured, raw, "proof")
	}
	if err != nil {
		return nil, err
	}
	var opts struct {
		ProofPurpose string `json:"proofPurpose"`
		Created      string `json:"created"`
		Expires      string `json:"expires"`
	}
	if err := json.Unmarshal(raw, &opts); err != nil {
		return nil, fieldErr(ErrMalformed, "proof", "%v", err)
	}
	res.ProofPurpose = opts.ProofPurpose
	for _, t := range []struct {
		field, v string
		at       *time.Time
	}{{"proof.created", opts.Created, &res.Created}, {"proof.expires", opts.Expires, &res.Expires}} {
		if t.v == "" {
			continue
		}
		if *t.at, err = time.Parse(time.RFC3339, t.v); err != nil {
			return nil, fieldErr(ErrMalformed, t.field, "%.40q is not an RFC 3339 time", t.v)
		}
	}
	res.Controller = controllerOf(res.VerificationMethod)
	if res.Issuer, err = issuerOf(top); err != nil {
		return nil, err
	}
	if err := checkBBSBinding(res.Issuer, res.VerificationMethod, keyOf); err != nil {
		return nil, err
	}
	delete(top, "proof")
	unsecured, err := json.Marshal(top)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	if res.Document, err = jcs.Canonicalize(unsecured); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	return res, nil
}

// verifyDerivedProof checks the one bbs-2023 derived proof rawProof of
// the document top (proof included) against the BLS12-381 did:key its
// verification method names; it returns that method and the presentation
// header the proof is bound to. Who the key belongs to is the caller's
// question.
func verifyDerivedProof(top map[string]json.RawMessage, rawProof json.RawMessage) (vm string, nonce []byte, err error) {
	var proof map[string]any
	if err := json.Unmarshal(rawProof, &proof); err != nil {
		return "", nil, fieldErr(ErrNoProof, "proof", "want one bbs-2023 derived proof object")
	}
	if proof["type"] != ProofType || proof["cryptosuite"] != BBSCryptosuite {
		return "", nil, fieldErr(ErrUnsupportedProof, "proof.cryptosuite", "got %v, want %s", proof["cryptosuite"], BBSCryptosuite)
	}
	if purpose, _ := proof["proofPurpose"].(string); purpose != AssertionMethod {
		return "", nil, fieldErr(ErrProofPurpose, "proof.proofPurpose", "got %.40q, want %q", purpose, AssertionMethod)
	}
	vm, _ = proof["verificationMethod"].(string)
	pk, err := ParseBBSDIDKey(vm)
	if err != nil {
		return "", nil, fieldErr(ErrVerificationMethod, "proof.verificationMethod", "%v", err)
	}
	pv, _ := proof["proofValue"].(string)
	dp, err := bbs2023.ParseDerivedProof(pv)
	if err != nil {
		return "", nil, bbsErr(err, "proof")
	}
	doc, err := decodeAny(top)
	if err != nil {
		return "", nil, err
	}
	if err := bbs2023.Verify(doc, pk); err != nil {
		return "", nil, bbsErr(err, "proof")
	}
	return vm, dp.PresentationHeader, nil
}

// checkBBSBinding is the binding rule of a bbs-2023 proof (RATIONALE.md,
// "Why a BBS key is bound by the verifier"): the key that signed, vm, is
// the issuer's own DID, or the BBS did:key keyOf binds to the issuer. An
// issuer keyOf knows no key for is ErrBBSKeyUnknown, never a pass.
func checkBBSBinding(issuer, vm string, keyOf func(string) (string, error)) error {
	signer := controllerOf(vm)
	if signer == issuer {
		return nil
	}
	bound := ""
	if keyOf != nil {
		var err error
		if bound, err = keyOf(issuer); err != nil {
			return fieldErr(ErrBBSKeyUnknown, "issuer", "%.110q: look up its BBS key: %v", issuer, err)
		}
	}
	if bound == "" {
		return fieldErr(ErrBBSKeyUnknown, "issuer", "%.110q: signed by the BBS key %.330q, and this verifier knows no BBS key of that issuer (its host's pair, or a trusted-issuer entry's bbs_did)", issuer, signer)
	}
	if controllerOf(bound) != signer {
		return fieldErr(ErrIssuerMismatch, "proof.verificationMethod", "signed by %.330q, but the BBS key of issuer %.110q is %.330q", signer, issuer, controllerOf(bound))
	}
	return nil
}

// boundKey is a BBSKeyOf that knows one issuer's BBS key, key, learned
// out of band (DerivedOptions.BBSKey, VerifyOptions.BBSKey): "" is no
// key known.
func boundKey(key string) func(string) (string, error) {
	return func(string) (string, error) { return key, nil }
}
