package dispatch

import "errors"

// Sentinel errors; callers branch with errors.Is.
var (
	// ErrConfig: a Config field is out of range.
	ErrConfig = errors.New("dispatch: invalid config")
	// ErrBadID: a submission id cannot name a NATS subject token (empty,
	// or containing '.', '*', '>' or white space).
	ErrBadID = errors.New("dispatch: submission id not usable as a subject token")
	// ErrDigest: an object's bytes do not hash to its name.
	ErrDigest = errors.New("dispatch: object digest mismatch")
	// ErrShard: a feature or prediction shard is malformed or not the
	// size its job says.
	ErrShard = errors.New("dispatch: malformed shard")
	// ErrClosed: the Coordinator or Worker was closed.
	ErrClosed = errors.New("dispatch: closed")
)
