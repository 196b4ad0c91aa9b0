package api

import "encoding/json"

// The W3C CCG VC-API wire types of POST /credentials/verify,
// /credentials/issue and /credentials/status.

// VerifyCredentialRequest is the body of POST /credentials/verify.
// Options is accepted and not read: every check is always made.
type VerifyCredentialRequest struct {
	VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	Options              json.RawMessage `json:"options,omitempty"`
}

// VerificationResult is the answer of POST /credentials/verify: 200 with
// Verified and no Errors, or 400/422 with Errors saying why not.
type VerificationResult struct {
	Verified bool `json:"verified"`
	// Checks are what was checked: proof, dataModel, validity and, when
	// the credential has a credentialStatus, status.
	Checks   []string  `json:"checks"`
	Warnings []Problem `json:"warnings"`
	Errors   []Problem `json:"errors"`
}

// Problem is one error (RFC 9457 problem details, with the VC 2.0 error
// types): Type is a VC 2.0 error URL, Title verdict's kind, Detail the
// sentence, Field the JSON path of the offending field ("" for the whole
// credential).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Field  string `json:"field,omitempty"`
}

// IssueCredentialRequest is the body of POST /credentials/issue.
type IssueCredentialRequest struct {
	Credential json.RawMessage `json:"credential"`
	Options    *IssueOptions   `json:"options,omitempty"`
}

// IssueOptions are the options of an issue request. Other VC-API options
// are accepted and ignored.
type IssueOptions struct {
	// CredentialStatus, if set, puts the credential on the issuer's
	// status list of its statusPurpose.
	CredentialStatus *CredentialStatusOption `json:"credentialStatus,omitempty"`
}

// CredentialStatusOption asks for a status entry: Type must be
// BitstringStatusListEntry; StatusPurpose revocation (the default) or
// suspension.
type CredentialStatusOption struct {
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose,omitempty"`
}

// IssueCredentialResponse is the answer (201) of POST /credentials/issue.
type IssueCredentialResponse struct {
	VerifiableCredential json.RawMessage `json:"verifiableCredential"`
}

// UpdateStatusRequest is the body of POST /credentials/status: set or
// clear the status of a credential the issuer put on a list.
type UpdateStatusRequest struct {
	CredentialID     string         `json:"credentialId"`
	CredentialStatus []StatusUpdate `json:"credentialStatus"`
}

// StatusUpdate is one status change: Status true sets the bit of
// StatusPurpose (revocation, suspension).
type StatusUpdate struct {
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	Status        bool   `json:"status"`
}
