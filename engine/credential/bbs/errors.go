package bbs

import "errors"

// Errors of the package. Every failure wraps exactly one of them with the
// name of the offending input and the cause; branch with errors.Is.
var (
	// ErrEncoding reports bytes that do not decode to a key, signature or
	// proof: a wrong length, a point not on the curve or not in its
	// subgroup, the identity point, a non-compressed point, a scalar that
	// is zero or not below the group order r.
	ErrEncoding = errors.New("bbs: invalid encoding")
	// ErrInput reports arguments outside what the scheme accepts: key
	// material shorter than 32 bytes, a key info or header too long,
	// disclosed indexes that are not strictly increasing or out of range,
	// or a number of disclosed messages that differs from the indexes.
	ErrInput = errors.New("bbs: invalid input")
	// ErrVerification reports a signature or proof that does not verify
	// against the public key, header, presentation header and messages.
	ErrVerification = errors.New("bbs: verification failed")
)
