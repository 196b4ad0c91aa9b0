package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/leaderboard"
)

// Access modes of a task (Spec.Access.Mode).
const (
	// AccessOpen admits every participant.
	AccessOpen = "open"
	// AccessInvite admits only the participants the host admits: listed
	// in the spec, admitted later (Admit), or by an invitation code
	// (Invite, Redeem).
	AccessInvite = "invite"
)

// Access audit actions.
const (
	AuditAdmit        = "admit"
	AuditRevokeAccess = "revoke-access"
	AuditInvite       = "invite"
	AuditRedeem       = "redeem"
)

const (
	// InvitationBytes is the entropy of an invitation code (128 bits),
	// written as 32 hex digits.
	InvitationBytes = 16
	// MaxInvitations bounds the codes one Invite call makes.
	MaxInvitations = 1000
	// MaxAdmitted bounds access.participants and one Admit call.
	MaxAdmitted = 10000
)

// AccessSpec says who may take part in a task and who may know it exists.
// The zero value is an open, listed task.
type AccessSpec struct {
	// Mode is AccessOpen (default) or AccessInvite.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Listed says whether visitors who are not admitted (anonymous ones
	// above all) may see that the task exists; default true. An unlisted
	// task answers them "not found", as if it did not exist.
	Listed *bool `yaml:"listed,omitempty" json:"listed,omitempty"`
	// Participants are the did:keys admitted when the task is created
	// (invite mode only).
	Participants []string `yaml:"participants,omitempty" json:"participants,omitempty"`
	// Credentials admit (invite mode only) any did:key that presents a
	// Verifiable Credential one of them accepts (AdmitByCredential).
	Credentials []CredentialRule `yaml:"credentials,omitempty" json:"credentials,omitempty"`
}

// Invite reports whether the task is invite-only.
func (a AccessSpec) Invite() bool { return a.Mode == AccessInvite }

// IsListed reports whether the task is listed (the default).
func (a AccessSpec) IsListed() bool { return a.Listed == nil || *a.Listed }

// validate reports the first problem with the access spec, naming its key.
func (a AccessSpec) validate() error {
	bad := func(key, format string, args ...any) error {
		return &SpecError{Key: key, Err: fmt.Errorf(format, args...)}
	}
	switch a.Mode {
	case "", AccessOpen, AccessInvite:
	default:
		return bad("access.mode", "%q is not one of open, invite", a.Mode)
	}
	if len(a.Participants) > 0 && !a.Invite() {
		return bad("access.participants", "set, but access.mode is open, which admits everyone; set access.mode: invite")
	}
	if len(a.Credentials) > 0 && !a.Invite() {
		return bad("access.credentials", "set, but access.mode is open, which admits everyone; set access.mode: invite")
	}
	for i, r := range a.Credentials {
		if err := r.validate(fmt.Sprintf("access.credentials[%d]", i)); err != nil {
			return err
		}
	}
	if len(a.Participants) > MaxAdmitted {
		return bad("access.participants", "%d participants, more than the %d allowed", len(a.Participants), MaxAdmitted)
	}
	seen := map[string]bool{}
	for i, p := range a.Participants {
		if err := checkDIDKey(p); err != nil {
			return bad(fmt.Sprintf("access.participants[%d]", i), "%v", err)
		}
		if seen[p] {
			return bad(fmt.Sprintf("access.participants[%d]", i), "%s is listed twice", p)
		}
		seen[p] = true
	}
	return nil
}

// checkDIDKey reports whether p is an Ed25519 did:key, the only
// participant identity that can be admitted (a name anyone may claim
// could not be).
func checkDIDKey(p string) error {
	if !strings.HasPrefix(p, "did:key:") || strings.Contains(p, "#") {
		return fmt.Errorf("%.80q is not a did:key (did:key:z6Mk…): only a participant's did:key can be admitted", p)
	}
	if _, err := credential.ParseDIDKey(p); err != nil {
		return fmt.Errorf("%.80q: %w", p, err)
	}
	return nil
}

// AccessError refuses a viewer or participant who is not admitted to an
// invite-only task, naming the rule.
type AccessError struct {
	Task        string
	Participant string // "" for an anonymous visitor
}

func (e *AccessError) Error() string {
	if e.Participant == "" {
		return fmt.Sprintf("task %q is invite-only: only admitted participants see it; sign your requests with an admitted did:key, or ask the host for an invitation", e.Task)
	}
	return fmt.Sprintf("task %q is invite-only: %s is not admitted; ask the host for an invitation", e.Task, e.Participant)
}

func (e *AccessError) Unwrap() []error { return []error{ErrNotAdmitted, ErrForbidden} }

// admitted reports whether participant may take part in t.
func (e *Engine) admitted(t *Task, participant string) (bool, error) {
	if !t.Spec.Access.Invite() {
		return true, nil
	}
	ok, err := e.store.Admitted(t.Spec.ID, participant)
	if err != nil {
		return false, fmt.Errorf("task %q: admission of %q: %w", t.Spec.ID, participant, err)
	}
	return ok, nil
}

// access decides what v may see of t: nil for everything; an error
// wrapping ErrNotFound when v may not even know the task exists (an
// unlisted task, to anyone not admitted — and to every anonymous
// visitor); an *AccessError when v may know it exists but not see its
// leaderboards and pages (a listed invite-only task).
func (e *Engine) access(t *Task, v Viewer) error {
	if v.Host {
		return nil
	}
	a := t.Spec.Access
	ok := v.Participant != ""
	if ok {
		var err error
		if ok, err = e.admitted(t, v.Participant); err != nil {
			return err
		}
	}
	switch {
	case !a.IsListed() && (v.Participant == "" || !ok):
		return fmt.Errorf("task %q: %w", t.Spec.ID, ErrNotFound)
	case a.Invite() && !ok:
		return &AccessError{Task: t.Spec.ID, Participant: v.Participant}
	}
	return nil
}

// TaskFor returns a task if v may know it exists: an unlisted task is
// ErrNotFound to anyone but the host and its participants, exactly as an
// absent one. A listed invite-only task is returned to everyone; its
// leaderboards and submissions are refused to those not admitted
// (CheckAccess).
func (e *Engine) TaskFor(id string, v Viewer) (*Task, error) {
	t, err := e.Task(id)
	if err != nil {
		return nil, err
	}
	if err := e.access(t, v); err != nil && !errors.Is(err, ErrNotAdmitted) {
		return nil, err
	}
	return t, nil
}

// TasksFor lists the tasks v may know exist, by id.
func (e *Engine) TasksFor(v Viewer) ([]Task, error) {
	ts, err := e.Tasks()
	if err != nil || v.Host {
		return ts, err
	}
	out := ts[:0]
	for _, t := range ts {
		err := e.access(&t, v)
		switch {
		case err == nil, errors.Is(err, ErrNotAdmitted):
			out = append(out, t)
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

// CheckAccess reports whether v may see the task's leaderboards, teams,
// history and submissions: nil, ErrNotFound (v may not know it exists),
// or an *AccessError naming the rule.
func (e *Engine) CheckAccess(task string, v Viewer) error {
	if v.Host {
		return nil
	}
	t, err := e.Task(task)
	if err != nil {
		return err
	}
	return e.access(t, v)
}

// checkParticipant refuses participant in t unless admitted.
func (e *Engine) checkParticipant(t *Task, participant string) error {
	ok, err := e.admitted(t, participant)
	if err != nil {
		return err
	}
	if !ok {
		return &AccessError{Task: t.Spec.ID, Participant: participant}
	}
	return nil
}

// inviteTask returns the invite-only task a host's access action is on.
func (e *Engine) inviteTask(task, verb string) (*Task, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if !t.Spec.Access.Invite() {
		return nil, fmt.Errorf("%s on task %q: the task is open (access.mode: open), everyone is admitted: %w", verb, task, ErrBadRequest)
	}
	return t, nil
}

// Admission is a participant admitted to an invite-only task: how
// ("spec", "host", "invitation") and when.
type Admission struct {
	Participant string    `json:"participant"`
	Time        time.Time `json:"time"`
	By          string    `json:"by"`
}

// Admit admits did:keys to an invite-only task (the host's action,
// recorded in the audit trail by the actor of ctx) and returns those not
// admitted before.
func (e *Engine) Admit(ctx context.Context, task string, participants ...string) ([]string, error) {
	if _, err := e.inviteTask(task, "admit"); err != nil {
		return nil, err
	}
	if err := checkParticipants(participants); err != nil {
		return nil, err
	}
	before, err := e.store.Admissions(task)
	if err != nil {
		return nil, fmt.Errorf("task %q: admissions: %w", task, err)
	}
	was := map[string]bool{}
	for _, a := range before {
		was[a.Participant] = true
	}
	var added []string
	now := e.cfg.Now().UTC()
	as := make([]leaderboard.Admission, 0, len(participants))
	for _, p := range participants {
		if !was[p] && !slices.Contains(added, p) {
			added = append(added, p)
			as = append(as, leaderboard.Admission{Participant: p, Time: now, By: "host"})
		}
	}
	en, err := e.auditEntry(ctx, AuditAdmit, fmt.Sprintf("the host admitted %d participant(s)", len(added)), added)
	if err != nil {
		return nil, err
	}
	if err := e.store.Admit(task, as, &en); err != nil {
		return nil, fmt.Errorf("task %q: admit: %w", task, err)
	}
	return added, nil
}

func checkParticipants(ps []string) error {
	if len(ps) == 0 {
		return fmt.Errorf("no participant given: name one or more did:keys: %w", ErrBadRequest)
	}
	if len(ps) > MaxAdmitted {
		return fmt.Errorf("%d participants, more than the %d one call may name: %w", len(ps), MaxAdmitted, ErrBadRequest)
	}
	for _, p := range ps {
		if err := checkDIDKey(p); err != nil {
			return fmt.Errorf("participant %w: %w", err, ErrBadRequest)
		}
	}
	return nil
}

// RevokeAccess withdraws the admission of participants to an
// invite-only task and returns those that were admitted. Their recorded
// submissions stay (and stay ranked); they may submit no more, nor see
// the task's pages. Recorded in the audit trail.
func (e *Engine) RevokeAccess(ctx context.Context, task string, participants ...string) ([]string, error) {
	if _, err := e.inviteTask(task, "revoke access"); err != nil {
		return nil, err
	}
	if err := checkParticipants(participants); err != nil {
		return nil, err
	}
	en, err := e.auditEntry(ctx, AuditRevokeAccess, "the host revoked the admission of participant(s)", participants)
	if err != nil {
		return nil, err
	}
	removed, err := e.store.RevokeAdmissions(task, participants, &en)
	if err != nil {
		return nil, fmt.Errorf("task %q: revoke access: %w", task, err)
	}
	return removed, nil
}

// Admissions lists the participants admitted to a task (the host's view).
func (e *Engine) Admissions(task string) ([]Admission, error) {
	if _, err := e.Task(task); err != nil {
		return nil, err
	}
	as, err := e.store.Admissions(task)
	if err != nil {
		return nil, fmt.Errorf("task %q: admissions: %w", task, err)
	}
	out := make([]Admission, len(as))
	for i, a := range as {
		out[i] = Admission{Participant: a.Participant, Time: a.Time, By: a.By}
	}
	return out, nil
}

// Invitation is a single-use invitation code. Code is shown once, by
// Invite; the engine keeps only its SHA-256.
type Invitation struct {
	Code    string    `json:"code"`
	Expires time.Time `json:"expires,omitzero"`
}

// Invite makes n single-use invitation codes for an invite-only task,
// each valid for ttl (0: until the task closes), and records the action
// in the audit trail. The codes are random (InvitationBytes from the
// engine's entropy) and returned once: only their hashes are stored.
func (e *Engine) Invite(ctx context.Context, task string, n int, ttl time.Duration) ([]Invitation, error) {
	if _, err := e.inviteTask(task, "invite"); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxInvitations {
		return nil, fmt.Errorf("invite on task %q: count %d is not in [1, %d]: %w", task, n, MaxInvitations, ErrBadRequest)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("invite on task %q: expiry %s is negative: %w", task, ttl, ErrBadRequest)
	}
	now := e.cfg.Now().UTC()
	var expires time.Time
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	out := make([]Invitation, n)
	stored := make([]leaderboard.Invitation, n)
	for i := range out {
		b := make([]byte, InvitationBytes)
		if _, err := io.ReadFull(e.cfg.Rand, b); err != nil {
			return nil, fmt.Errorf("invite on task %q: entropy: %w", task, err)
		}
		code := hex.EncodeToString(b)
		out[i] = Invitation{Code: code, Expires: expires}
		stored[i] = leaderboard.Invitation{Hash: invitationHash(code), Created: now, Expires: expires}
	}
	summary := fmt.Sprintf("the host made %d invitation code(s)", n)
	if !expires.IsZero() {
		summary += ", valid until " + expires.Format(time.RFC3339)
	}
	en, err := e.auditEntry(ctx, AuditInvite, summary, map[string]any{"count": n, "expires": expires})
	if err != nil {
		return nil, err
	}
	if err := e.store.CreateInvitations(task, stored, &en); err != nil {
		return nil, fmt.Errorf("task %q: invite: %w", task, err)
	}
	return out, nil
}

func invitationHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// Redeem binds an invitation code of an invite-only task to participant
// (a did:key, the signer of the request) and admits them: the first
// participant to redeem a code wins it, atomically; a code already bound
// to another, unknown, or past its expiry is refused with ErrInvitation
// and a message naming the cause. Redeeming one's own code again is no
// error. The redemption is recorded in the audit trail, by participant.
func (e *Engine) Redeem(ctx context.Context, task, code, participant string) error {
	t, err := e.inviteTask(task, "redeem an invitation")
	if err != nil {
		return err
	}
	if err := checkDIDKey(participant); err != nil {
		return fmt.Errorf("redeem an invitation to task %q: participant %w: %w", task, err, ErrBadRequest)
	}
	// An unlisted task is not found by whoever holds no code of it: the
	// refusals that need no valid code answer as for an absent task.
	hide := func(err error) error {
		if t.Spec.Access.IsListed() {
			return err
		}
		if ok, aerr := e.admitted(t, participant); aerr != nil || ok {
			return errors.Join(err, aerr)
		}
		return fmt.Errorf("task %q: %w", task, ErrNotFound)
	}
	st, err := e.TaskState(task)
	if err != nil {
		return err
	}
	if !st.Closed.IsZero() {
		return hide(fmt.Errorf("redeem an invitation to task %q: the task closed at %s: %w", task, st.Closed.Format(time.RFC3339), ErrClosed))
	}
	code = strings.TrimSpace(code)
	if len(code) != 2*InvitationBytes {
		return hide(fmt.Errorf("invitation code for task %q: not a code verdict made (%d hex digits): %w", t.Spec.ID, 2*InvitationBytes, ErrInvitation))
	}
	en, err := e.auditEntry(WithActor(ctx, Actor{Who: participant}), AuditRedeem, "a participant redeemed an invitation code", map[string]string{"participant": participant})
	if err != nil {
		return err
	}
	in, err := e.store.RedeemInvitation(task, invitationHash(code), participant, st.Now, &en)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, leaderboard.ErrNotFound):
		return hide(fmt.Errorf("invitation code for task %q: unknown (mistyped, or made for another task): %w", task, ErrInvitation))
	case errors.Is(err, leaderboard.ErrRedeemed):
		return fmt.Errorf("invitation code for task %q: already redeemed by another participant; each code admits one: %w", task, ErrInvitation)
	case errors.Is(err, leaderboard.ErrExpired):
		return fmt.Errorf("invitation code for task %q: expired at %s; ask the host for a new one: %w", task, in.Expires.Format(time.RFC3339), ErrInvitation)
	}
	return fmt.Errorf("task %q: redeem: %w", task, err)
}
