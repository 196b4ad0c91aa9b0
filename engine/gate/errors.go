package gate

import "errors"

// ErrInvalidSpec is wrapped by every error of Spec.Validate.
var ErrInvalidSpec = errors.New("gate: invalid gate spec")
