package leaderboard

import "errors"

// Sentinel errors. Every error returned by a Store wraps one of these (or a
// Badger error) with the thing it concerns, e.g. `task "iris": leaderboard:
// not found`; branch on them with errors.Is.
var (
	// ErrNotFound reports a task or submission that is not in the store.
	ErrNotFound = errors.New("leaderboard: not found")
	// ErrExists reports a CreateTask for an id that is already taken.
	ErrExists = errors.New("leaderboard: already exists")
	// ErrInvalidKey reports an id that cannot be part of a key (empty, longer
	// than MaxIDLength, not UTF-8, containing NUL), or stored key bytes that
	// do not decode.
	ErrInvalidKey = errors.New("leaderboard: invalid key")
	// ErrInvalidSubmission reports a submission the store refuses to record:
	// an unknown status, a scored submission without a public score, a
	// non-finite score, a Created time outside the int64 nanosecond range, or
	// an update that changes the task, participant or creation time.
	ErrInvalidSubmission = errors.New("leaderboard: invalid submission")
	// ErrCorrupt reports a stored record or index entry that does not decode
	// or contradicts another one.
	ErrCorrupt = errors.New("leaderboard: corrupt record")
	// ErrLocked reports a store directory another process has open.
	ErrLocked = errors.New("leaderboard: store in use")
	// ErrQuotaExceeded reports a submission over its entrant's daily or
	// total limit (see QuotaError).
	ErrQuotaExceeded = errors.New("leaderboard: quota exceeded")
	// ErrDuplicate reports a module the entrant already submitted (see
	// DuplicateError).
	ErrDuplicate = errors.New("leaderboard: module already submitted")
	// ErrClosed reports a write to a closed task.
	ErrClosed = errors.New("leaderboard: task closed")
	// ErrTeam reports a team change the rules refuse (too many members, a
	// merge of a team into itself).
	ErrTeam = errors.New("leaderboard: team refused")
	// ErrRedeemed reports an invitation code already bound to another
	// participant.
	ErrRedeemed = errors.New("leaderboard: invitation already redeemed")
	// ErrExpired reports an invitation code past its expiry.
	ErrExpired = errors.New("leaderboard: invitation expired")
)
