package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CredentialOptions are the options of VerifyCredential. The zero value
// checks the proof, the issuer binding, the data model and the validity
// period at time.Now(), and refuses a credential with a status it cannot
// check.
type CredentialOptions struct {
	// Now is the time validity is checked at; zero means time.Now().
	Now time.Time
	// StatusList returns a status list credential the verifier holds, by
	// its URL; for a list it does not hold it returns an error wrapping
	// ErrStatusOffline. nil holds no list.
	StatusList func(ctx context.Context, url string) ([]byte, error)
	// Resource returns a relatedResource the verifier holds (see
	// DataModelOptions.Resource).
	Resource func(url string) (data []byte, ok bool)
	// Resolve resolves an eddsa proof's verification method; nil means
	// ResolveDIDKey.
	Resolve Resolver
	// BBSKeyOf returns the BBS did:key ("did:key:zUC7…") bound to an
	// issuer by something the verifier trusts (a host's /v1/host pair, a
	// marketplace's registry), "" if it knows none. A bbs-2023 proof by a
	// key other than the issuer's own DID verifies only against it: an
	// unknown binding is ErrBBSKeyUnknown, another key ErrIssuerMismatch.
	// nil knows no binding.
	BBSKeyOf func(issuer string) (string, error)
}

// CredentialResult is a verified credential of any type.
type CredentialResult struct {
	Issuer      string // the issuer's DID, the controller of the signing key
	Cryptosuite string // the proof's cryptosuite
	// Document is the canonical credential without its proof: read the
	// verified claims from it.
	Document []byte
	// Statuses are the credentialStatus entries checked, in order.
	Statuses []StatusEntry
}

// VerifyCredential verifies a credential of any type issued by any did:key:
// its proof (the cryptosuite named by proof.cryptosuite; see
// verifySecured), that its issuer signed it, the VC Data Model 2.0 rules
// (CheckDataModel), its validity period and the proof's expiry at
// opts.Now, and each BitstringStatusListEntry of its credentialStatus
// against opts.StatusList: a revocation or suspension bit set is
// ErrRevoked; a list the verifier does not hold, or a status of another
// type, is ErrStatusOffline, never a silent pass. ctx bounds the status
// list fetches. Every failure wraps one Err* sentinel, most in a
// *FieldError.
func VerifyCredential(ctx context.Context, signed []byte, opts CredentialOptions) (*CredentialResult, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	suite, err := proofCryptosuite(signed)
	if err != nil {
		return nil, err
	}
	proof, err := verifySecured(suite, signed, opts)
	if err != nil {
		return nil, err
	}
	res := &CredentialResult{Issuer: proof.Issuer, Cryptosuite: suite, Document: proof.Document}
	if err := CheckDataModel(proof.Document, DataModelOptions{Resource: opts.Resource}); err != nil {
		return nil, err
	}
	if err := CheckValidity(proof.Document, now); err != nil {
		return nil, err
	}
	if !proof.Expires.IsZero() && !now.Before(proof.Expires) {
		return nil, fieldErr(ErrExpired, "proof.expires", "proof expired at %s", proof.Expires.Format(time.RFC3339))
	}
	top, err := parseObject(proof.Document, "")
	if err != nil {
		return nil, err
	}
	raw, ok := top["credentialStatus"]
	if !ok {
		return res, nil
	}
	for _, v := range values(raw) {
		entry, err := statusEntryOf(v)
		if err != nil {
			return nil, err
		}
		if opts.StatusList == nil {
			return nil, fieldErr(ErrStatusOffline, "credentialStatus.statusListCredential", "%.200q: this verifier holds no status list", entry.StatusListCredential)
		}
		list, err := opts.StatusList(ctx, entry.StatusListCredential)
		if err != nil {
			if errors.Is(err, ErrStatusOffline) {
				return nil, fieldErr(ErrStatusOffline, "credentialStatus.statusListCredential", "%v", err)
			}
			return nil, fmt.Errorf("fetch status list %.200q: %w: %w", entry.StatusListCredential, err, ErrStatus)
		}
		set, err := CheckStatus(entry, list, proof.Issuer, now)
		if err != nil {
			return nil, err
		}
		if set && (entry.StatusPurpose == StatusPurposeRevocation || entry.StatusPurpose == StatusPurposeSuspension) {
			return nil, fieldErr(ErrRevoked, "credentialStatus", "bit %s of %.200q is set (%s)",
				entry.StatusListIndex, entry.StatusListCredential, entry.StatusPurpose)
		}
		res.Statuses = append(res.Statuses, entry)
	}
	return res, nil
}

// statusEntryOf decodes one credentialStatus value: a
// BitstringStatusListEntry, the one kind a verdict verifier checks.
func statusEntryOf(raw json.RawMessage) (StatusEntry, error) {
	obj, ok := asObject(raw)
	if !ok {
		return StatusEntry{}, fieldErr(ErrMalformed, "credentialStatus", "want an object")
	}
	if t, _ := asString(obj["type"]); t != StatusEntryType {
		return StatusEntry{}, fieldErr(ErrStatusOffline, "credentialStatus.type", "%.60s: verdict checks only %s entries", obj["type"], StatusEntryType)
	}
	var entry StatusEntry
	if err := json.Unmarshal(raw, &entry); err != nil {
		return StatusEntry{}, fieldErr(ErrMalformed, "credentialStatus", "want one %s object: %v", StatusEntryType, err)
	}
	if err := entry.Validate(); err != nil {
		return StatusEntry{}, err
	}
	return entry, nil
}

// proofCryptosuite returns the cryptosuite that secures signed: its one
// proof's, or in a proof set eddsa-jcs-2022 if one of its proofs is (Verify
// then judges the set), else the first proof's.
func proofCryptosuite(signed []byte) (string, error) {
	top, err := parseObject(signed, "")
	if err != nil {
		return "", err
	}
	raw, ok := top["proof"]
	if !ok {
		return "", fieldErr(ErrNoProof, "proof", "missing")
	}
	proofs := values(raw)
	if len(proofs) == 0 {
		return "", fieldErr(ErrNoProof, "proof", "an empty proof set")
	}
	suite := ""
	for i, p := range proofs {
		obj, ok := asObject(p)
		if !ok {
			return "", fieldErr(ErrMalformed, "proof", "want an object or a set of them")
		}
		s, ok := asString(obj["cryptosuite"])
		if !ok {
			return "", fieldErr(ErrMalformed, "proof.cryptosuite", "want a string")
		}
		if i == 0 || s == Cryptosuite {
			suite = s
		}
	}
	return suite, nil
}

// verifySecured verifies the proof of signed and that its issuer is the
// controller of the signing key. It is the one place a cryptosuite is
// chosen: a new suite is a new case here, returning the issuer and the
// canonical document without its proof.
func verifySecured(suite string, signed []byte, opts CredentialOptions) (*VerifyResult, error) {
	switch suite {
	case Cryptosuite:
		return Verify(signed, opts.Resolve)
	case BBSCryptosuite:
		return verifyBBSSecured(signed, opts.BBSKeyOf)
	}
	return nil, fieldErr(ErrUnsupportedProof, "proof.cryptosuite", "%.40q: this verifier checks %q and %q", suite, Cryptosuite, BBSCryptosuite)
}
