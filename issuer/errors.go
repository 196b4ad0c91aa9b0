package issuer

import "errors"

// Errors of Issue and SetStatus. A refusal about the credential itself
// wraps a credential sentinel instead (credential.ErrDataModel,
// credential.ErrIssuerMismatch, credential.ErrMalformed).
var (
	// ErrStatusPurpose reports a statusPurpose this issuer keeps no list
	// for, or a status entry type other than BitstringStatusListEntry.
	ErrStatusPurpose = errors.New("issuer: unsupported status")
	// ErrListFull reports a status list with no free index left.
	ErrListFull = errors.New("issuer: status list full")
	// ErrUnknownCredential reports a credential id this issuer put on no
	// status list.
	ErrUnknownCredential = errors.New("issuer: no status entry for this credential")
)
