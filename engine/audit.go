package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/verdictlab/verdict/leaderboard"
)

// Audit actions: the host actions that change a task's outcome.
const (
	AuditClose   = "close"
	AuditPromote = "promote"
	AuditRescore = "rescore"
	AuditRevoke  = "revoke"
)

// Actor is who takes a host action, and why, as the audit trail records
// it. Adapters say who with WithActor: the CLI the local user, the HTTP
// API the host's token and address.
type Actor struct {
	Who string `json:"who"`
	Why string `json:"why,omitempty"`
}

type actorKey struct{}

// WithActor returns ctx carrying a, for the audit entries of the host
// actions called with it (CloseTask, Promote, Rescore). Without one, the
// actor is "host".
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor ctx carries (WithActor), "host" if none: for
// the audit records of the packages above the engine (market's trust log).
func ActorOf(ctx context.Context) Actor { return actorOf(ctx) }

func actorOf(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	if a.Who == "" {
		a.Who = "host"
	}
	return a
}

// AuditEntry is one host action in a task's audit trail. Everyone who may
// see the task reads Time, Action and Summary, which never depend on the
// private part; Actor, Reason and Detail are the host's.
type AuditEntry struct {
	Time    time.Time       `json:"time"`
	Action  string          `json:"action"`
	Summary string          `json:"summary"`
	Actor   string          `json:"actor,omitempty"`
	Reason  string          `json:"reason,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

// AuditTrail returns the task's audit trail, oldest first, as v may see
// it: the host in full, anyone else the time, action and summary of each
// entry.
func (e *Engine) AuditTrail(task string, v Viewer) ([]AuditEntry, error) {
	if err := e.CheckAccess(task, v); err != nil {
		return nil, err
	}
	as, err := e.store.AuditTrail(task)
	if errors.Is(err, leaderboard.ErrNotFound) || errors.Is(err, leaderboard.ErrInvalidKey) {
		return nil, fmt.Errorf("task %q: %w", task, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("task %q: audit trail: %w", task, err)
	}
	out := make([]AuditEntry, 0, len(as))
	for _, a := range as {
		en := AuditEntry{Time: a.Time, Action: a.Action, Summary: a.Summary}
		if v.Host {
			en.Actor, en.Reason, en.Detail = a.Actor, a.Reason, a.Detail
		}
		out = append(out, en)
	}
	return out, nil
}

// audit records a host action of ctx's actor on task. It runs after the
// action is committed: an error is the host's to see, the action stands.
func (e *Engine) audit(ctx context.Context, task, action, summary string, detail any) error {
	en, err := e.auditEntry(ctx, action, summary, detail)
	if err != nil {
		return err
	}
	en.Task = task
	if err := e.store.AppendAudit(en); err != nil {
		return fmt.Errorf("task %q: audit %s: %w", task, action, err)
	}
	return nil
}

// auditEntry makes the store's entry of an action of ctx's actor.
func (e *Engine) auditEntry(ctx context.Context, action, summary string, detail any) (leaderboard.AuditEntry, error) {
	a := actorOf(ctx)
	en := leaderboard.AuditEntry{Time: e.cfg.Now().UTC(), Action: action, Actor: a.Who, Reason: a.Why, Summary: summary}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return en, fmt.Errorf("audit %s: %w", action, err)
		}
		en.Detail = b
	}
	return en, nil
}

// promotionSummary is the public account of a promotion: how many places
// were certified (the credentials are public).
func promotionSummary(verb string, ps []Promotion) string {
	n := 0
	for _, p := range ps {
		if p.Credential != nil {
			n++
		}
	}
	return fmt.Sprintf("%s; %d of %d places certified", verb, n, len(ps))
}

// auditPromotion is what the audit trail keeps of a promotion for the
// host: each place and its credential id.
func auditPromotion(ps []Promotion) any {
	type place struct {
		Rank        int    `json:"rank"`
		Participant string `json:"participant"`
		Submission  string `json:"submission"`
		Credential  string `json:"credential,omitempty"`
	}
	out := []place{}
	for _, p := range ps {
		pl := place{Rank: p.Rank, Participant: p.Participant, Submission: p.Submission}
		if p.Credential != nil {
			pl.Credential = p.Credential.ID
		}
		out = append(out, pl)
	}
	return out
}
