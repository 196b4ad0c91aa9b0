package engine

import (
	"errors"
	"fmt"
	"time"
)

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
	// ErrNotOpen refuses a submission before the task's schedule starts.
	ErrNotOpen = errors.New("engine: task not open yet")
	// ErrClosed refuses a submission, selection or team change after the
	// task closed (its end passed, or the host closed it).
	ErrClosed = errors.New("engine: task closed")
	// ErrQuotaExceeded is wrapped by every *QuotaError.
	ErrQuotaExceeded = errors.New("engine: submission limit reached")
	// ErrQueueFull refuses a submission while the work queue is full: retry
	// later.
	ErrQueueFull = errors.New("engine: queue full, retry later")
	// ErrEngineClosed is returned by calls on, or interrupted by, Close.
	ErrEngineClosed = errors.New("engine: closed")
	// ErrForbidden refuses a viewer what the rules hide from them (the
	// private leaderboard before the task closes).
	ErrForbidden = errors.New("engine: forbidden")
	// ErrUnsigned refuses an unsigned submission to a task whose spec has
	// require_signed.
	ErrUnsigned = errors.New("engine: task requires a signed submission")
	// ErrSignature refuses a signed submission whose statement does not
	// verify; the credential error saying why (credential.ErrBadSignature,
	// ErrWrongTask, ErrWrongModule, ErrStaleSubmission, ErrMalformed,
	// ErrInvalidDID) is wrapped too.
	ErrSignature = errors.New("engine: submission signature refused")
	// ErrReplayed refuses a signed submission whose signature was already
	// used by an earlier submission.
	ErrReplayed = errors.New("engine: signed submission replayed")
	// ErrTeam refuses a team change the rules do not allow.
	ErrTeam = errors.New("engine: team refused")
	// ErrNotAdmitted refuses a participant or visitor who is not admitted
	// to an invite-only task (see AccessError, which also wraps
	// ErrForbidden).
	ErrNotAdmitted = errors.New("engine: not admitted")
	// ErrInvitation refuses an invitation code: unknown, expired, or
	// already redeemed by another participant.
	ErrInvitation = errors.New("engine: invitation refused")
	// ErrCredentialRefused refuses an admission by credential: the
	// credential does not verify, no rule of the task accepts its type
	// and issuer, its subject is not the presenter, or it is not valid now.
	ErrCredentialRefused = errors.New("engine: credential refused")
)

// QuotaError refuses a submission over a participant's (or team's) daily
// or total limit, and says when the next slot opens.
type QuotaError struct {
	Participant string
	Team        string    // the team charged, if any
	Limit       string    // "daily" or "total"
	Max         int       // the limit
	Next        time.Time // the next slot (next UTC midnight); zero for the total limit
	// Phase is the phase whose own total limit was reached (its
	// limits.total_limit), if it was a phase's and not the task's.
	Phase string
}

func (e *QuotaError) Error() string {
	who := fmt.Sprintf("participant %q", e.Participant)
	if e.Team != "" {
		who = fmt.Sprintf("team %q", e.Team)
	}
	if e.Limit == "total" && e.Phase != "" {
		return fmt.Sprintf("%s has made all %d submissions phase %q allows: %v", who, e.Max, e.Phase, ErrQuotaExceeded)
	}
	if e.Limit == "total" {
		return fmt.Sprintf("%s has made all %d submissions the task allows: %v", who, e.Max, ErrQuotaExceeded)
	}
	return fmt.Sprintf("%s has made %d submissions today, the daily limit; the next slot opens at %s: %v",
		who, e.Max, e.Next.UTC().Format(time.RFC3339), ErrQuotaExceeded)
}

func (e *QuotaError) Unwrap() error { return ErrQuotaExceeded }

// HostFailureMessage is what a participant reads of a failure that was
// verdict's and not the model's (kinds "host" and "internal"): the cause
// names the host's files and state and is kept for the host
// (SubmissionError.Detail).
const HostFailureMessage = "verdict could not evaluate this submission through no fault of the model; it is not charged, and the host has the details"
