package credential

import (
	"errors"
	"fmt"
)

// Errors of Sign, Verify and VerifyModel. Each failure wraps exactly one of
// them, inside a *FieldError that names the offending field; branch with
// errors.Is.
var (
	// ErrMalformed reports a document that is not a JSON object of the
	// expected shape: invalid JSON (duplicate keys, invalid UTF-8 and
	// numbers out of range included), a field of the wrong type, a missing
	// field, a bad timestamp, or a document larger than MaxDocumentSize.
	ErrMalformed = errors.New("credential: malformed document")
	// ErrNoProof reports a document without a proof, or with more than one.
	ErrNoProof = errors.New("credential: no single proof")
	// ErrUnsupportedProof reports a proof that is not a DataIntegrityProof
	// with the eddsa-jcs-2022 cryptosuite.
	ErrUnsupportedProof = errors.New("credential: unsupported proof")
	// ErrProofPurpose reports a proof whose proofPurpose is not
	// assertionMethod.
	ErrProofPurpose = errors.New("credential: wrong proof purpose")
	// ErrContextMismatch reports a proof whose @context differs from the
	// document's.
	ErrContextMismatch = errors.New("credential: proof @context differs from the document's")
	// ErrVerificationMethod reports a verification method that cannot be
	// resolved to an Ed25519 key: not a did:key, a fragment that is not the
	// key itself, or a resolver error.
	ErrVerificationMethod = errors.New("credential: unresolvable verification method")
	// ErrBadSignature reports a proofValue that is not a valid signature of
	// the document and proof options by the verification method's key.
	ErrBadSignature = errors.New("credential: bad signature")
	// ErrIssuerMismatch reports a credential whose issuer is not the
	// controller of the key that signed it, or not the issuer the verifier
	// expected.
	ErrIssuerMismatch = errors.New("credential: issuer does not match the signing key")
	// ErrBBSKeyUnknown reports a bbs-2023 proof by a key that is not the
	// issuer's DID, for an issuer whose BBS key the verifier was not told
	// (CredentialOptions.BBSKeyOf): the binding cannot be checked, so the
	// credential does not verify.
	ErrBBSKeyUnknown = errors.New("credential: bbs key unknown for issuer")

	// ErrNotModelCredential reports a verified credential that is not a
	// CertifiedModelCredential.
	ErrNotModelCredential = errors.New("credential: not a certified model credential")
	// ErrModelMismatch reports a module whose SHA-256 is not the
	// credential subject's.
	ErrModelMismatch = errors.New("credential: module does not match the credential")
	// ErrNotYetValid reports a credential whose validFrom is in the future.
	ErrNotYetValid = errors.New("credential: not yet valid")
	// ErrExpired reports a credential whose validUntil has passed.
	ErrExpired = errors.New("credential: expired")
	// ErrRevoked reports a credential whose bit is set in its revocation
	// status list.
	ErrRevoked = errors.New("credential: revoked")
	// ErrStatus reports a status entry or status list credential that
	// cannot be checked: wrong type or purpose, index out of range, list
	// not fetched, list issued by someone else.
	ErrStatus = errors.New("credential: status unavailable")
	// ErrStatusList reports an encodedList that does not decode to a
	// bitstring of MinStatusListSize to MaxStatusListSize bits.
	ErrStatusList = errors.New("credential: invalid status list")
	// ErrDataModel reports a credential that breaks a rule of the VC
	// Data Model 2.0 that a JCS issuer checks itself (CheckDataModel).
	ErrDataModel = errors.New("credential: violates the VC data model 2.0")
	// ErrStatusOffline reports a credentialStatus whose list is not one the
	// verifier holds: verdict verifies offline and never fetches another
	// server's list, so the credential's status cannot be checked.
	ErrStatusOffline = errors.New("credential: status list cannot be checked offline")

	// ErrWrongTask reports a signed submission signed for another task
	// than the one it is submitted to.
	ErrWrongTask = errors.New("credential: submission signed for another task")
	// ErrWrongModule reports a signed submission signed for another module
	// than the one submitted.
	ErrWrongModule = errors.New("credential: submission signed for another module")
	// ErrStaleSubmission reports a signed submission whose time is outside
	// the verifier's window: too old (expired) or in the future.
	ErrStaleSubmission = errors.New("credential: submission signed outside the time window")

	// ErrDisclosure reports a selective disclosure that cannot be made:
	// a credential without a bbs-2023 base proof, or a reveal pointer
	// that selects nothing.
	ErrDisclosure = errors.New("credential: cannot derive a disclosure")

	// ErrInvalidDID reports a string that is not an Ed25519 did:key.
	ErrInvalidDID = errors.New("credential: invalid did:key")
	// ErrInvalidKey reports a key of the wrong length or multicodec, a
	// zero KeyPair, or a key file whose parts disagree.
	ErrInvalidKey = errors.New("credential: invalid key")
	// ErrKeyFilePermissions reports a key file that users other than its
	// owner may read or write.
	ErrKeyFilePermissions = errors.New("credential: key file readable by others")
)

// FieldError is a verification or decoding failure at one field of a
// document, named by its JSON path ("proof.cryptosuite",
// "credentialSubject.id").
type FieldError struct {
	Field  string // JSON path of the field, "" for the whole document
	Detail string // what is wrong with it
	Err    error  // one of the Err* sentinels
}

func (e *FieldError) Error() string {
	switch {
	case e.Field == "" && e.Detail == "":
		return e.Err.Error()
	case e.Field == "":
		return fmt.Sprintf("%s: %v", e.Detail, e.Err)
	case e.Detail == "":
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Field, e.Detail, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(err error, field, format string, args ...any) error {
	return &FieldError{Field: field, Detail: fmt.Sprintf(format, args...), Err: err}
}
