package engine

import "errors"

var (
	// ErrInvalidSpec is wrapped by every *SpecError.
	ErrInvalidSpec = errors.New("engine: invalid task spec")
	// ErrNotFound means no task or submission has the given id.
	ErrNotFound = errors.New("engine: not found")
	// ErrExists means a task with the same id was already created.
	ErrExists = errors.New("engine: already exists")
	// ErrBadRequest means an argument from the caller is unusable (a
	// participant name, an empty module, a prediction file that does not
	// match its truth).
	ErrBadRequest = errors.New("engine: bad request")
)
