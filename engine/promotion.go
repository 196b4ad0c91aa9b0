package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/gate"
)

// promotionDir holds each task's promotion record: DIR/promotions/TASK.json.
func promotionDir(root string) string { return filepath.Join(root, "promotions") }

// testHookIssued, when set (by tests only), is called with the rank of
// each credential just after it is written: a point to crash at.
var testHookIssued func(rank int)

// promotionRecord is what a task's promotion decided so far: the outcome
// of each place in rank order, written after each decision, and Done once
// every place is decided and the status list is signed. It is what makes
// Promote resumable after a crash.
type promotionRecord struct {
	Task   string        `json:"task"`
	Closed time.Time     `json:"closed"`
	Places []placeRecord `json:"places"`
	Done   bool          `json:"done"`
}

// placeRecord is the outcome of one place: its gates, and the credential
// issued ("" when a gate failed).
type placeRecord struct {
	Rank        int           `json:"rank"`
	Participant string        `json:"participant"`
	Team        bool          `json:"team,omitempty"`
	Submission  string        `json:"submission"`
	Gates       []gate.Result `json:"gates"`
	Credential  string        `json:"credential,omitempty"`
}

func placeOf(p Promotion) placeRecord {
	r := placeRecord{Rank: p.Rank, Participant: p.Participant, Team: p.Team, Submission: p.Submission, Gates: p.Gates}
	if p.Credential != nil {
		r.Credential = p.Credential.ID
	}
	return r
}

// place returns the recorded outcome of the place at rank.
func (r *promotionRecord) place(rank int) (placeRecord, bool) {
	for _, p := range r.Places {
		if p.Rank == rank {
			return p, true
		}
	}
	return placeRecord{}, false
}

// issued reports whether the promotion issued a credential.
func (r *promotionRecord) issued() bool {
	for _, p := range r.Places {
		if p.Credential != "" {
			return true
		}
	}
	return false
}

func (e *Engine) promotionPath(task string) string {
	return filepath.Join(promotionDir(e.cfg.DataDir), task+".json")
}

// readPromotion returns the task's promotion record, nil if it has none.
func (e *Engine) readPromotion(task string) (*promotionRecord, error) {
	b, err := os.ReadFile(e.promotionPath(task))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("task %q: promotion record: %w", task, err)
	}
	var r promotionRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("task %q: promotion record %s: %w", task, e.promotionPath(task), err)
	}
	return &r, nil
}

func (e *Engine) writePromotion(r *promotionRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(e.promotionPath(r.Task), b); err != nil {
		return fmt.Errorf("task %q: write promotion record: %w", r.Task, err)
	}
	return nil
}

// recordedPlace returns a decided place as a Promotion, its credential read
// back (with its revocation) and told to the OnCertified hooks again.
func (e *Engine) recordedPlace(ctx context.Context, pl placeRecord) (Promotion, error) {
	p := Promotion{Rank: pl.Rank, Participant: pl.Participant, Team: pl.Team, Submission: pl.Submission, Gates: pl.Gates}
	if pl.Credential == "" {
		return p, nil
	}
	c, err := e.readCredential(pl.Credential)
	if err != nil {
		return p, err
	}
	c.submission = pl.Submission
	if err := e.notify(ctx, false, c); err != nil {
		return p, err
	}
	p.Credential = c
	return p, nil
}

// recorded returns a complete promotion's outcome.
func (e *Engine) recorded(ctx context.Context, r *promotionRecord) ([]Promotion, error) {
	var out []Promotion
	for _, pl := range r.Places {
		p, err := e.recordedPlace(ctx, pl)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// issuedFor returns the credential already issued for a place of the
// task's private leaderboard (frozen since the close), nil if none.
func issuedFor(issued []Credential, en Entry) *Credential {
	for i := range issued {
		if c := &issued[i]; c.Rank == en.Rank && c.Author == en.Participant {
			return c
		}
	}
	return nil
}

// resumePromotions completes every promotion a crash interrupted.
func (e *Engine) resumePromotions(ctx context.Context) error {
	ents, err := os.ReadDir(promotionDir(e.cfg.DataDir))
	if err != nil {
		return fmt.Errorf("resume promotions: %w", err)
	}
	var errs []error
	for _, de := range ents {
		task, ok := cutJSON(de.Name())
		if !ok {
			continue
		}
		r, err := e.readPromotion(task)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r == nil || r.Done {
			continue
		}
		if _, err := e.Promote(ctx, task); err != nil {
			errs = append(errs, fmt.Errorf("resume promotion of task %q: %w", task, err))
		}
	}
	return errors.Join(errs...)
}

// cutJSON returns a task id from a promotion record's file name.
func cutJSON(name string) (string, bool) {
	task, ok := strings.CutSuffix(name, ".json")
	return task, ok && taskIDPattern.MatchString(task)
}

// scheduleClosed notes that a task was seen closed by its schedule (its
// end passed, no host close): the certifier promotes it once, in the
// background, so that the reader that noticed does not wait for the runs.
func (e *Engine) scheduleClosed(task string) {
	e.certMu.Lock()
	if e.certSeen[task] {
		e.certMu.Unlock()
		return
	}
	e.certSeen[task] = true
	e.certQueue = append(e.certQueue, task)
	e.certMu.Unlock()
	select {
	case e.certWake <- struct{}{}:
	default: // already woken: it takes the whole queue
	}
}

// certifier promotes the tasks scheduleClosed queues, until the engine
// closes.
func (e *Engine) certifier() {
	defer e.workers.Done()
	for {
		select {
		case <-e.runCtx.Done():
			return
		case <-e.certWake:
		}
		for {
			e.certMu.Lock()
			if len(e.certQueue) == 0 {
				e.certMu.Unlock()
				break
			}
			task := e.certQueue[0]
			e.certQueue = e.certQueue[1:]
			e.certMu.Unlock()
			e.certifyScheduled(task)
		}
	}
}

// certifyScheduled promotes a task closed by its schedule unless it was
// promoted already (certify reads back a complete promotion, and resumes
// an unfinished one). When it fails (or the engine closes meanwhile), the
// next sighting of the task tries again; the record keeps what was
// decided.
func (e *Engine) certifyScheduled(task string) {
	ps, err := e.certify(e.runCtx, task, false)
	if err == nil {
		err = e.auditScheduledClose(task, ps)
	}
	if err != nil {
		e.certMu.Lock()
		delete(e.certSeen, task)
		e.certMu.Unlock()
	}
}

// auditScheduledClose records, once, that a task closed by its schedule
// was certified: the host's close is audited by CloseTask; this is the
// schedule's. Whoever gets the outcome first (the certifier, or
// Certification) writes it; the others find it.
func (e *Engine) auditScheduledClose(task string, ps []Promotion) error {
	e.closeAuditMu.Lock()
	defer e.closeAuditMu.Unlock()
	as, err := e.store.AuditTrail(task)
	if err != nil {
		return fmt.Errorf("task %q: audit trail: %w", task, err)
	}
	for _, a := range as {
		if a.Action == AuditClose {
			return nil
		}
	}
	ctx := WithActor(context.Background(), Actor{Who: "schedule"})
	return e.audit(ctx, task, AuditClose, promotionSummary("closed by its schedule; the private leaderboard is revealed", ps), auditPromotion(ps))
}

// Certification returns the outcome of a closed task's certification:
// the promotion its close made (read back), or, for a task closed by its
// schedule that the certifier has not promoted yet, that promotion made
// now. Unlike Promote it never runs a complete promotion again.
func (e *Engine) Certification(ctx context.Context, task string) ([]Promotion, error) {
	ps, err := e.certify(ctx, task, false)
	if err != nil {
		return ps, err
	}
	t, err := e.Task(task)
	if err != nil {
		return ps, err
	}
	if end := t.Spec.Schedule.end(); !end.IsZero() {
		if st, err := e.store.TaskState(task); err == nil && st.Closed.IsZero() {
			return ps, e.auditScheduledClose(task, ps)
		}
	}
	return ps, nil
}
