package bbs2023

import (
	"errors"
	"fmt"
)

var (
	// ErrInput: a document, pointer, proof option or key that cannot be
	// processed (not JSON-LD the static loader can expand, a pointer that
	// matches nothing, a context that is not served).
	ErrInput = errors.New("bbs2023: invalid input")
	// ErrEncoding: a proofValue that is not a bbs-2023 base or derived
	// proof value.
	ErrEncoding = errors.New("bbs2023: invalid proof value")
	// ErrVerification: a well-formed proof that does not verify.
	ErrVerification = errors.New("bbs2023: verification failed")
)

func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)
}
