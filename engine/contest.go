package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/leaderboard"
)

// Viewer is who reads: the host sees everything; a participant sees public
// scores only while the task is open (their own submissions in full,
// others' as leaderboard rows), and the private leaderboard once it is
// closed. The CLI acts as the host.
type Viewer struct {
	Host        bool
	Participant string
}

// Host is the viewer that sees everything.
var Host = Viewer{Host: true}

// teamPrefix marks a team's entrant key in the store. Participant names
// cannot contain '/', so a team never collides with a participant.
const teamPrefix = "team/"

func teamKey(name string) string { return teamPrefix + name }

// teamName returns the team of an entrant key, or "" for a participant.
func teamName(entrant string) string {
	name, _ := strings.CutPrefix(entrant, teamPrefix)
	if name == entrant {
		return ""
	}
	return name
}

// State is where a task is in its schedule.
type State struct {
	Open   bool      `json:"open"`             // submissions accepted now
	Start  time.Time `json:"start,omitzero"`   // from the spec
	End    time.Time `json:"end,omitzero"`     // from the spec
	Closed time.Time `json:"closed,omitzero"`  // when it closed (the host's close, or End)
	Now    time.Time `json:"now"`              // the engine's clock
	Reveal bool      `json:"private_revealed"` // the private leaderboard is public
	// Phase is the current phase's id, for a task with phases (Phases).
	Phase string `json:"phase,omitempty"`
}

// TaskState returns the task's state at the engine's clock.
func (e *Engine) TaskState(task string) (State, error) {
	t, err := e.Task(task)
	if err != nil {
		return State{}, err
	}
	st, err := e.store.TaskState(task)
	if err != nil {
		return State{}, fmt.Errorf("task %q: %w", task, err)
	}
	now := e.cfg.Now().UTC()
	s := State{Start: t.Spec.Schedule.start(), End: t.Spec.Schedule.end(), Closed: st.Closed, Now: now}
	if s.Closed.IsZero() && !s.End.IsZero() && !now.Before(s.End) {
		s.Closed = s.End
	}
	if st.Closed.IsZero() && !s.Closed.IsZero() {
		e.scheduleClosed(task)
	}
	s.Reveal = !s.Closed.IsZero()
	s.Open = !s.Reveal && (s.Start.IsZero() || !now.Before(s.Start))
	if len(t.Spec.Phases) > 0 {
		cur, _, err := e.phaseNow(t, now)
		if err != nil {
			return State{}, err
		}
		s.Phase = t.Spec.Phases[cur].ID
		s.Open = s.Open && t.Spec.Phases[cur].acceptsAt(now)
		if e.phaseDue(t, now) {
			e.schedulePhase(task)
		}
	}
	return s, nil
}

// CloseTask closes a task now and certifies it: no more submissions,
// selections or team changes, the private leaderboard is revealed to
// everyone, and the top promote_top entrants are promoted (see Promote)
// before it returns their outcome. Closing is the one way a task ends on
// the host's word, so every adapter (CLI, HTTP) issues the same
// credentials; Promote stays for re-runs. Reaching the schedule's end has
// the same effect without a call: the engine certifies such a task the
// first time it sees it closed (see certifyScheduled). A task already
// closed is ErrClosed. The close is recorded in the task's audit trail,
// by the actor of ctx (see WithActor).
func (e *Engine) CloseTask(ctx context.Context, task string) ([]Promotion, error) {
	if err := e.settleBeforeClose(ctx, task); err != nil {
		return nil, err
	}
	if err := e.freezeTask(task); err != nil {
		return nil, err
	}
	ps, err := e.certify(ctx, task, false)
	summary := "closed by the host; the private leaderboard is revealed"
	if err == nil {
		summary = promotionSummary(summary, ps)
	}
	return ps, errors.Join(err, e.audit(ctx, task, AuditClose, summary, auditPromotion(ps)))
}

// freezeTask closes a task in the store at the engine's clock.
func (e *Engine) freezeTask(task string) error {
	st, err := e.TaskState(task)
	if err != nil {
		return err
	}
	if !st.Closed.IsZero() {
		return fmt.Errorf("task %q closed at %s: %w", task, st.Closed.Format(time.RFC3339), ErrClosed)
	}
	if err := e.store.CloseTask(task, st.Now); err != nil {
		if errors.Is(err, leaderboard.ErrClosed) {
			return fmt.Errorf("task %q: %w", task, ErrClosed)
		}
		return fmt.Errorf("close task %q: %w", task, err)
	}
	return nil
}

// entrant returns the store key a participant's submissions count under.
func (e *Engine) entrant(task, participant string) (string, error) {
	team, err := e.store.TeamOf(task, participant)
	if err != nil {
		return "", fmt.Errorf("task %q: team of %q: %w", task, participant, err)
	}
	if team != "" {
		return team, nil
	}
	return participant, nil
}

// Select replaces a participant's (or their team's) final selections with
// the given submissions: at most the task's final_selections, each a
// scored submission of theirs; none clears the selection, so the best
// public submissions stand in. Refused once the task is closed.
func (e *Engine) Select(task, participant string, ids []string) error {
	t, err := e.Task(task)
	if err != nil {
		return err
	}
	st, err := e.TaskState(task)
	if err != nil {
		return err
	}
	if !st.Closed.IsZero() {
		return fmt.Errorf("task %q closed at %s: %w", task, st.Closed.Format(time.RFC3339), ErrClosed)
	}
	sealed := e.sealed(t, st)
	if sealed != nil {
		if err := finalSelectable(t, len(ids)); err != nil {
			return err
		}
	}
	if len(ids) > t.Spec.FinalSelections {
		return fmt.Errorf("%d submissions selected, the task allows %d: %w", len(ids), t.Spec.FinalSelections, ErrBadRequest)
	}
	ent, err := e.entrant(task, participant)
	if err != nil {
		return err
	}
	full := make([]string, len(ids))
	for i, id := range ids {
		if full[i], err = e.resolveSubmission(id, Viewer{Participant: participant}); err != nil {
			return fmt.Errorf("select for %q: %w: %w", participant, err, ErrBadRequest)
		}
		if sealed != nil {
			if err := e.scoredInFinal(full[i], sealed); err != nil {
				return fmt.Errorf("select for %q: %w", participant, err)
			}
		}
	}
	err = e.store.Select(task, ent, full, t.Spec.FinalSelections)
	switch {
	case errors.Is(err, leaderboard.ErrClosed):
		return fmt.Errorf("task %q: %w", task, ErrClosed)
	case errors.Is(err, leaderboard.ErrNotFound), errors.Is(err, leaderboard.ErrInvalidSubmission), errors.Is(err, leaderboard.ErrInvalidKey):
		return fmt.Errorf("select for %q: %w: %w", participant, err, ErrBadRequest)
	case err != nil:
		return fmt.Errorf("select for %q: %w", participant, err)
	}
	return nil
}

// Selections returns the submissions a participant (or their team)
// selected.
func (e *Engine) Selections(task, participant string) ([]string, error) {
	ent, err := e.entrant(task, participant)
	if err != nil {
		return nil, err
	}
	return e.store.Selections(task, ent)
}

// Team is a named set of participants sharing limits and a leaderboard row.
type Team struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

var teamPattern = participantPattern

// teamLimits checks the task allows team changes now and returns the
// limits a changed team must stay within.
func (e *Engine) teamLimits(task string) (leaderboard.TeamLimits, error) {
	t, err := e.Task(task)
	if err != nil {
		return leaderboard.TeamLimits{}, err
	}
	st, err := e.TaskState(task)
	if err != nil {
		return leaderboard.TeamLimits{}, err
	}
	if t.Spec.Teams.MaxSize == 0 {
		return leaderboard.TeamLimits{}, fmt.Errorf("task %q does not allow teams (teams.max_size is 0): %w", task, ErrTeam)
	}
	if !st.Closed.IsZero() {
		return leaderboard.TeamLimits{}, fmt.Errorf("task %q: %w", task, ErrClosed)
	}
	if d, _ := parseTime(t.Spec.Teams.MergeDeadline); !d.IsZero() && !st.Now.Before(d) {
		return leaderboard.TeamLimits{}, fmt.Errorf("task %q: the merge deadline %s has passed: %w", task, d.Format(time.RFC3339), ErrTeam)
	}
	// The limits of the phase the change is made in.
	q, err := e.quotaAt(t, st.Now)
	if err != nil {
		return leaderboard.TeamLimits{}, err
	}
	return leaderboard.TeamLimits{MaxSize: t.Spec.Teams.MaxSize, Quota: q}, nil
}

func teamErr(err error) error {
	var qe *leaderboard.QuotaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &qe):
		return fmt.Errorf("the merged team would exceed the %s limit of %d: %w", qe.Limit, qe.Max, ErrTeam)
	case errors.Is(err, leaderboard.ErrTeam), errors.Is(err, leaderboard.ErrExists), errors.Is(err, leaderboard.ErrNotFound):
		return fmt.Errorf("%w: %w", err, ErrTeam)
	case errors.Is(err, leaderboard.ErrClosed):
		return fmt.Errorf("%w: %w", err, ErrClosed)
	}
	return err
}

// JoinTeam adds participants to a team, creating it if needed. Their own
// submissions move to the team (Kaggle's merge): refused after the merge
// deadline, for a participant already in a team, or when the team would
// exceed teams.max_size, the daily limit (today's submissions of all its
// members) or the total limit.
func (e *Engine) JoinTeam(task, team string, participants ...string) (*Team, error) {
	if !teamPattern.MatchString(team) {
		return nil, fmt.Errorf("team %q: not a valid name: %w", team, ErrBadRequest)
	}
	if strings.HasPrefix(team, "did:") {
		// A credential's author is a participant or a team by name alone:
		// a team named after a participant's DID would make its members
		// that participant's models' authors (price, hide, derive).
		return nil, fmt.Errorf("team %q: a team may not be named like a participant's DID: %w", team, ErrBadRequest)
	}
	for _, p := range participants {
		if !participantPattern.MatchString(p) {
			return nil, fmt.Errorf("participant %q: not a valid name: %w", p, ErrBadRequest)
		}
	}
	lim, err := e.teamLimits(task)
	if err != nil {
		return nil, err
	}
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	for _, p := range participants {
		if err := e.checkParticipant(t, p); err != nil {
			return nil, fmt.Errorf("team %q may only contain admitted participants: %w", team, err)
		}
	}
	tm, err := e.store.JoinTeam(task, teamKey(team), participants, lim, lim.Quota.Now)
	if err != nil {
		return nil, teamErr(err)
	}
	return &Team{Name: team, Members: tm.Members}, nil
}

// MergeTeams moves team from, its members and submissions, into team
// into, under the same rules as JoinTeam.
func (e *Engine) MergeTeams(task, from, into string) (*Team, error) {
	lim, err := e.teamLimits(task)
	if err != nil {
		return nil, err
	}
	tm, err := e.store.MergeTeams(task, teamKey(from), teamKey(into), lim, lim.Quota.Now)
	if err != nil {
		return nil, teamErr(err)
	}
	return &Team{Name: into, Members: tm.Members}, nil
}

// Teams lists a task's teams.
func (e *Engine) Teams(task string) ([]Team, error) {
	if _, err := e.Task(task); err != nil {
		return nil, err
	}
	ts, err := e.store.Teams(task)
	if err != nil {
		return nil, fmt.Errorf("task %q: teams: %w", task, err)
	}
	out := make([]Team, len(ts))
	for i, t := range ts {
		out[i] = Team{Name: teamName(t.Entrant), Members: t.Members}
	}
	return out, nil
}

// sight is what one viewer may see of a task's evaluations now. It is
// the one place these rules are applied: every submission, leaderboard
// interval and picture a participant reads goes through it (redact,
// Leaderboard, Diagnostics).
type sight struct {
	host bool
	// private: the private scores, intervals and pictures (after close).
	private bool
	// exact: the exact public score and all that would give it away (its
	// interval, the gates measured from the labels, the pictures). The
	// Ladder hides it until close, showing its own rounded score instead.
	exact bool
	// phaseExact overrides exact for the submissions made in a phase
	// with its own leaderboard settings (PhaseSpec.Leaderboard): the
	// phase's mode decides there. See exactFor.
	phaseExact map[string]bool
	// sealed: a final phase began at sealedAt and the task is not closed
	// (phase.go). before holds the re-run submissions as they were before
	// the re-run: what participants see of them until close.
	sealed   bool
	sealedAt time.Time
	before   map[string]leaderboard.Submission
}

// sealedSubmission is what a participant sees, until close, of a
// submission made in a final phase: that it was received and evaluated,
// whether its model ran, nothing else that depends on the final data
// (scores, gates, the failure's kind, timing, pictures).
func sealedSubmission(s Submission) Submission {
	s.Scores, s.Shown, s.Gates, s.Error, s.diag, s.ElapsedMS = Scores{}, nil, nil, nil, nil, 0
	s.Updated = s.Created
	return s
}

func sightOf(v Viewer, t *Task, st State) sight {
	if v.Host {
		return sight{host: true, private: true, exact: true}
	}
	w := sight{private: st.Reveal, exact: st.Reveal || t.Spec.Leaderboard.Mode != ModeLadder}
	for _, p := range t.Spec.Phases {
		if p.Leaderboard == nil {
			continue
		}
		if w.phaseExact == nil {
			w.phaseExact = map[string]bool{}
		}
		w.phaseExact[p.ID] = st.Reveal || p.Leaderboard.Mode != ModeLadder
	}
	return w
}

// exactFor is exact for a submission made in phase ("" for none).
func (w sight) exactFor(phase string) bool {
	if x, ok := w.phaseExact[phase]; ok {
		return x
	}
	return w.exact
}

// sightOf is the package's sightOf with what a sealed final phase hides.
func (e *Engine) sightOf(v Viewer, t *Task, st State) sight {
	w := sightOf(v, t, st)
	if en := e.sealed(t, st); en != nil && !v.Host {
		w.sealed, w.sealedAt, w.before = true, en.At, e.beforeRerun(t.Spec.ID, en)
	}
	return w
}

// labelGates are the gates measured from the labels (the others are
// measured from the module and its outputs alone).
var labelGates = map[string]bool{"min_score": true, "beats_baseline": true}

// submission returns s as the viewer may see it. A participant never
// reads the host's details of a failure (SubmissionError.Detail,
// Scores.PrivateError); before close, no private score; under the Ladder
// before close, the Ladder's shown score in place of the public score, no
// interval, and the gates measured from the labels hidden.
func (w sight) submission(s Submission) Submission {
	if w.host {
		return s
	}
	if w.sealed {
		if b, ok := w.before[s.ID]; ok {
			s = fromStore(b)
		} else if !s.Created.Before(w.sealedAt) {
			// Scored on the final data (a final phase that takes
			// submissions): nothing of the outcome until close.
			s = sealedSubmission(s)
		}
	}
	if s.Error != nil {
		se := *s.Error
		se.Detail = ""
		s.Error = &se
	}
	s.Scores.PrivateError = ""
	if !w.private {
		s.Scores.Private, s.Scores.PrivateCI = nil, nil
	}
	if !w.exactFor(s.Phase) {
		s.Scores.Public, s.Scores.PublicCI = s.Shown, nil
		gates := make([]gate.Result, len(s.Gates))
		for i, g := range s.Gates {
			if labelGates[g.Name] {
				g = gate.Result{Name: g.Name, Threshold: g.Threshold, Hidden: true,
					Detail: "hidden until the task closes: under the Ladder it would give away the exact public score"}
			}
			gates[i] = g
		}
		if s.Gates != nil {
			s.Gates = gates
		}
	}
	return s
}

// redact hides from v what the rules hide: another entrant's submission
// entirely (ok false), and what w hides of v's own.
func redact(s Submission, v Viewer, mine func(Submission) bool, w sight) (Submission, bool) {
	if !v.Host && !mine(s) {
		return Submission{}, false
	}
	return w.submission(s), true
}

func (e *Engine) mine(task string, v Viewer) (func(Submission) bool, error) {
	if v.Host {
		return func(Submission) bool { return true }, nil
	}
	ent, err := e.entrant(task, v.Participant)
	if err != nil {
		return nil, err
	}
	team := teamName(ent)
	return func(s Submission) bool {
		return !s.Baseline && (s.Participant == v.Participant || (team != "" && s.Team == team))
	}, nil
}

// Submission returns a recorded submission as v may see it. id is the
// submission's id or a unique prefix of it (MinIDPrefix, ShortID).
func (e *Engine) Submission(id string, v Viewer) (*Submission, error) {
	full, err := e.resolveSubmission(id, v)
	if err != nil {
		return nil, err
	}
	return e.submission(full, v)
}

// submission returns the submission of exactly this id as v may see it.
func (e *Engine) submission(id string, v Viewer) (*Submission, error) {
	ls, err := e.store.Submission(id)
	if errors.Is(err, leaderboard.ErrNotFound) || errors.Is(err, leaderboard.ErrInvalidKey) {
		return nil, fmt.Errorf("submission %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("submission %q: %w", id, err)
	}
	t, err := e.Task(ls.Task)
	if err != nil {
		return nil, err
	}
	st, err := e.TaskState(ls.Task)
	if err != nil {
		return nil, err
	}
	mine, err := e.mine(ls.Task, v)
	if err != nil {
		return nil, err
	}
	s, ok := redact(fromStore(ls), v, mine, e.sightOf(v, t, st))
	if !ok {
		return nil, fmt.Errorf("submission %q: %w", id, ErrNotFound)
	}
	return &s, nil
}

// Submissions lists a task's submissions in the order they were made, as
// v may see them: a participant sees their own (and their team's) only.
// A non-empty participant filters to that participant's (or their team's)
// submissions.
func (e *Engine) Submissions(task string, v Viewer, participant string) ([]Submission, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if err := e.access(t, v); err != nil {
		return nil, err
	}
	st, err := e.TaskState(task)
	if err != nil {
		return nil, err
	}
	var lss []leaderboard.Submission
	if participant != "" {
		ent, err := e.entrant(task, participant)
		if err != nil {
			return nil, err
		}
		lss, err = e.store.EntrantSubmissions(task, ent)
		if err != nil && !errors.Is(err, leaderboard.ErrInvalidKey) {
			return nil, fmt.Errorf("task %q: list submissions: %w", task, err)
		}
	} else if lss, err = e.store.Submissions(task); err != nil {
		return nil, fmt.Errorf("task %q: list submissions: %w", task, err)
	}
	mine, err := e.mine(task, v)
	if err != nil {
		return nil, err
	}
	out := make([]Submission, 0, len(lss))
	w := e.sightOf(v, t, st)
	for _, ls := range lss {
		if s, ok := redact(fromStore(ls), v, mine, w); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// Entry is one row of a leaderboard.
type Entry struct {
	Rank        int       `json:"rank"` // 0 for a baseline
	Participant string    `json:"participant"`
	Name        string    `json:"name,omitempty"`     // display name given with Submission
	Team        bool      `json:"team,omitempty"`     // Participant names a team
	Baseline    bool      `json:"baseline,omitempty"` // a host's reference line, not ranked
	Submission  string    `json:"submission"`
	Score       float64   `json:"score"`
	Submitted   time.Time `json:"submitted"`
	Submissions int       `json:"submissions"`
	CI          *Interval `json:"ci,omitempty"` // of Score
	// Selected lists, on the private board, the submissions the entry was
	// chosen among; Explicit says the participant selected them.
	Selected []string `json:"selected,omitempty"`
	Explicit bool     `json:"explicit,omitempty"`
}

// Leaderboard ranks each participant (or team) on task as v may see it.
//
// The public board ranks by the best public score (the Ladder's shown score
// in ladder mode), ties to the earlier submission. The private board ranks
// by the best private score among each entrant's final selections or, when
// they selected none, among their final_selections best public
// submissions (Kaggle's rule); only the host sees it before the task
// closes (ErrForbidden for others). Baselines appear on both as reference
// lines at their score, with Rank 0.
func (e *Engine) Leaderboard(task string, v Viewer, private bool) ([]Entry, error) {
	return e.PhaseLeaderboard(task, v, private, "")
}

// PhaseLeaderboard is Leaderboard on one phase's board, by the phase's id
// ("": the current phase's, the default view; for a task without phases,
// the task's board, and any other phase is not found).
//
// A development phase's board ranks the submissions made in it, scored on
// its data, under its leaderboard settings; it stays readable when the
// next phase begins, and nothing on it is re-run. When the final phase
// begins, each development phase's boards are frozen as they stood (its
// selections' re-run on the final data would change them): they are read
// frozen from then on. The final phase's board is Leaderboard's final
// ranking: its public board is the phase before's, frozen, and before the
// final phase begins it is empty.
func (e *Engine) PhaseLeaderboard(task string, v Viewer, private bool, phase string) ([]Entry, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if err := e.access(t, v); err != nil {
		return nil, err
	}
	st, err := e.TaskState(task)
	if err != nil {
		return nil, err
	}
	idx, err := e.boardPhase(t, st.Now, phase)
	if err != nil {
		return nil, err
	}
	if private && !v.Host && !st.Reveal {
		return nil, fmt.Errorf("task %q: the private leaderboard is revealed when the task closes: %w", task, ErrForbidden)
	}
	w := e.sightOf(v, t, st)
	pid := "" // the phase whose own board is read; "" the task's
	if idx >= 0 {
		p := t.Spec.Phases[idx]
		switch {
		case p.Final && e.devBoard(t) == nil:
			return []Entry{}, nil // the final phase has not begun
		case !p.Final:
			pid = p.ID
			if fb, ok := e.frozenBoard(t, p.ID, private); ok {
				for i := range fb {
					if !w.exactFor(pid) && !private {
						fb[i].CI = nil
					}
				}
				return fb, nil
			}
		}
	}
	if !private && pid == "" {
		if dev := e.devBoard(t); dev != nil {
			// The final phase began: the public board is the phase
			// before's, as it stood then (phase.go).
			for i := range dev {
				if !w.exact {
					dev[i].CI = nil
				}
			}
			return dev, nil
		}
	}
	// A task (or a phase's data) without a private part (public_fraction
	// 1) has no other ranking than the public one: it is its final
	// leaderboard too.
	scored := t
	if pid != "" {
		scored = phaseTask(t, idx)
	}
	final := private && scored.PrivateRows > 0
	var out []Entry
	if final {
		fes, err := e.store.PhaseFinalLeaderboard(task, pid, t.Spec.FinalSelections)
		if err != nil {
			return nil, fmt.Errorf("task %q: leaderboard: %w", task, err)
		}
		keep := e.onFinalBoard(t, pid)
		for _, fe := range fes {
			if !keep(fe.Entry) {
				continue
			}
			en := entryOf(fe.Entry)
			en.Selected, en.Explicit = fe.Selected, fe.Explicit
			en.Rank = len(out) + 1
			out = append(out, en)
		}
	} else {
		les, err := e.store.PhaseLeaderboard(task, pid, false)
		if err != nil {
			return nil, fmt.Errorf("task %q: leaderboard: %w", task, err)
		}
		for _, le := range les {
			out = append(out, entryOf(le))
		}
	}
	bk := boardKey{task, pid, private}
	e.boardsMu.Lock()
	prev := e.boards[bk]
	e.boardsMu.Unlock()
	rows := make(map[string]rowInfo, len(out))
	for i := range out {
		info, ok := prev[out[i].Submission]
		if !ok {
			ls, err := e.store.Submission(out[i].Submission)
			if err != nil {
				return nil, fmt.Errorf("task %q: leaderboard: %w", task, err)
			}
			s := fromStore(ls)
			info = rowInfo{name: s.Name, publicCI: s.Scores.PublicCI, privateCI: s.Scores.PrivateCI}
		}
		rows[out[i].Submission] = info
		if !out[i].Team {
			out[i].Name = info.name
		}
		switch {
		case final:
			out[i].CI = info.privateCI.clone()
		case w.exactFor(pid): // not under the Ladder before close: it would hint at the hidden score
			out[i].CI = info.publicCI.clone()
		}
	}
	e.boardsMu.Lock()
	e.boards[bk] = rows
	e.boardsMu.Unlock()
	bases, err := e.store.Baselines(task)
	if err != nil {
		return nil, fmt.Errorf("task %q: baselines: %w", task, err)
	}
	for _, b := range bases {
		s := fromStore(b)
		if len(t.Spec.Phases) > 0 && t.PhaseData[s.Phase] != t.PhaseData[pid] {
			continue // scored on another phase's data
		}
		sc, ci := s.Scores.Public, s.Scores.PublicCI
		if final {
			sc, ci = s.Scores.Private, s.Scores.PrivateCI
		}
		if s.Status != StatusScored || sc == nil {
			continue
		}
		be := Entry{Participant: s.Participant, Baseline: true, Submission: s.ID, Score: *sc,
			Submitted: s.Created, CI: ci}
		// A reference line goes below every entry it does not beat.
		at := len(out)
		for i, en := range out {
			if !en.Baseline && (be.Score > en.Score) == t.HigherIsBetter && be.Score != en.Score {
				at = i
				break
			}
		}
		out = slices.Insert(out, at, be)
	}
	if out == nil {
		out = []Entry{}
	}
	return out, nil
}

// rowInfo is what a leaderboard row shows of its submission beyond the
// rank index: fixed once the submission is scored (the only kind the index
// holds), so Leaderboard keeps it for the rows of each board's last read
// instead of reading and decoding each row's record again
// (BenchmarkLeaderboard).
type rowInfo struct {
	name                string
	publicCI, privateCI *Interval
}

// clone copies ci, so that no caller shares the kept one.
func (ci *Interval) clone() *Interval {
	if ci == nil {
		return nil
	}
	c := *ci
	return &c
}

// boardKey names one leaderboard of a task.
type boardKey struct {
	task    string
	phase   string // "" the task's board
	private bool
}

func entryOf(le leaderboard.Entry) Entry {
	en := Entry{Rank: le.Rank, Participant: le.Participant, Submission: le.SubmissionID,
		Score: le.Score, Submitted: le.Submitted, Submissions: le.Submissions}
	if name := teamName(le.Participant); name != "" {
		en.Participant, en.Team = name, true
	}
	return en
}

// Event is one change of a leaderboard: at Time, Participant's (or the
// team's) best became Submission with Score and rank Rank; Rank 0 and no
// Submission when they left the board.
type Event struct {
	Time        time.Time `json:"time"`
	Private     bool      `json:"private"`
	Participant string    `json:"participant"`
	Team        bool      `json:"team,omitempty"`
	Submission  string    `json:"submission,omitempty"`
	Score       float64   `json:"score"`
	Rank        int       `json:"rank"`
}

// History returns every change of the task's leaderboards in order, with
// each entrant's rank after the change, so that best score and rank over
// time can be drawn. The private board's history is the raw best private
// score per entrant (not the selection rule), shown to the host, and to
// everyone after the task closes. Rank ties go to the smaller submission
// id (ids are time-ordered UUIDv7s).
func (e *Engine) History(task string, v Viewer) ([]Event, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if err := e.access(t, v); err != nil {
		return nil, err
	}
	st, err := e.TaskState(task)
	if err != nil {
		return nil, err
	}
	sealed := e.sealed(t, st)
	evs, err := e.store.History(task)
	if err != nil {
		return nil, fmt.Errorf("task %q: history: %w", task, err)
	}
	type best struct {
		score float64
		id    string
	}
	boards := [2]map[string]best{{}, {}}
	out := []Event{}
	for _, ev := range evs {
		b := 0
		if ev.Private {
			b = 1
		}
		cur := boards[b]
		if ev.Submission == "" {
			delete(cur, ev.Entrant)
		} else {
			cur[ev.Entrant] = best{ev.Score, ev.Submission}
		}
		if ev.Private && !v.Host && !st.Reveal {
			continue
		}
		if sealed != nil && !v.Host && !ev.Time.Before(sealed.At) {
			continue // a change the final phase's re-run made
		}
		out1 := Event{Time: ev.Time, Private: ev.Private, Participant: ev.Entrant, Submission: ev.Submission, Score: ev.Score}
		if name := teamName(ev.Entrant); name != "" {
			out1.Participant, out1.Team = name, true
		}
		if me, ok := cur[ev.Entrant]; ok {
			out1.Rank = 1
			for ent, o := range cur {
				if ent == ev.Entrant {
					continue
				}
				if o.score != me.score && (o.score > me.score) == t.HigherIsBetter || o.score == me.score && o.id < me.id {
					out1.Rank++
				}
			}
		}
		out = append(out, out1)
	}
	return out, nil
}
