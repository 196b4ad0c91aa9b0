package engine

import (
	"github.com/verdictlab/verdict/leaderboard"
)

// Status is where a submission is in its evaluation: received, queued,
// running, then scored or failed. It is the engine's own type, so that the
// adapters (the CLI, the HTTP API) need not import the store's.
type Status string

// The statuses of a submission, in the order it goes through them.
const (
	StatusReceived Status = Status(leaderboard.Received)
	StatusQueued   Status = Status(leaderboard.Queued)
	StatusRunning  Status = Status(leaderboard.Running)
	StatusScored   Status = Status(leaderboard.Scored)
	StatusFailed   Status = Status(leaderboard.Failed)
)

// Terminal reports whether a submission in s is done: scored or failed.
func (s Status) Terminal() bool { return s == StatusScored || s == StatusFailed }

// ErrLocked reports a data dir whose store another process has open (a
// running verdict serve, another CLI command); Open waits a moment before
// returning it.
var ErrLocked = leaderboard.ErrLocked
