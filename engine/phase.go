package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/leaderboard"
)

// AuditPhase is the audit action of a phase transition.
const AuditPhase = "phase"

// Phase is one phase of a task as everyone who may see the task reads it:
// its schedule and rules, whether it has begun, and, for a final phase,
// how far the re-run of the selections went. Nothing in it depends on the
// final phase's data.
type Phase struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	Final       bool      `json:"final,omitempty"`
	Submissions bool      `json:"submissions"` // participants may submit in it
	// OwnData says the phase has its own held-out data.
	OwnData bool `json:"own_data,omitempty"`
	Current bool `json:"current,omitempty"`
	// Entered is when the phase began (zero: not yet), By whether by the
	// schedule ("schedule") or the host ("host").
	Entered time.Time `json:"entered,omitzero"`
	By      string    `json:"by,omitempty"`
	// Rerun is, for a final phase that began, how many selections were
	// re-run on its data, and whether the re-run is complete.
	Rerun *PhaseRerun `json:"rerun,omitempty"`
	// Leaderboard is the phase's own leaderboard settings, when it sets
	// them (the task's otherwise).
	Leaderboard *LeaderboardSpec `json:"leaderboard,omitempty"`
	// DailyLimit is the phase's own daily limit, when it sets one.
	DailyLimit *int `json:"daily_limit,omitempty"`
	// Limits are the limits in the phase (the task's, with the phase's
	// own in their place), when it sets any.
	Limits *LimitsSpec `json:"limits,omitempty"`
}

// frozenBoards are a development phase's public and private boards.
type frozenBoards struct {
	Public  []Entry `json:"public"`
	Private []Entry `json:"private"`
}

// PhaseRerun is the progress of a final phase's re-run.
type PhaseRerun struct {
	Selections int  `json:"selections"`
	Done       bool `json:"done"`
}

// phaseDir holds each phased task's record and its phases' own data:
// DIR/phases/TASK.json and DIR/phases/TASK/PHASE.ext.
func phaseDir(root string) string { return filepath.Join(root, "phases") }

func (e *Engine) phaseRecordPath(task string) string {
	return filepath.Join(phaseDir(e.cfg.DataDir), task+".json")
}

// phaseDataPath is where a phase's own dataset is kept, under its
// original extension (the loader goes by it).
func (e *Engine) phaseDataPath(task, phase, ext string) string {
	return filepath.Join(phaseDir(e.cfg.DataDir), task, phase+ext)
}

// phaseRecord is what a task's phase transitions did: one entry per phase
// entered after the first, in order, each written before its work and
// updated as the work is done. It is what makes transitions happen once,
// whatever restarts between.
type phaseRecord struct {
	Task    string       `json:"task"`
	Entered []phaseEntry `json:"entered"`
}

type phaseEntry struct {
	Phase string    `json:"phase"`
	At    time.Time `json:"at"`     // when the phase began
	By    string    `json:"by"`     // "schedule" or "host"
	Actor string    `json:"actor"`  // who, for the audit trail
	Why   string    `json:"reason"` // why, for the audit trail
	// Board is, entering a final phase, the public board of the phase
	// before as it stood: the public board from then on.
	Board []Entry `json:"board,omitempty"`
	// Selections are the frozen selections re-run on the final data.
	Selections []string `json:"selections,omitempty"`
	// Boards are, entering a final phase, each development phase's
	// boards as they stood, by phase id: what they show from then on
	// (the re-run of the selections on the final data must not change
	// them).
	Boards  map[string]frozenBoards `json:"boards,omitempty"`
	Audited bool                    `json:"audited"`
	Rescore string                  `json:"rescore,omitempty"`
	Done    bool                    `json:"done"`
}

// readPhases returns the task's phase record (empty if none), from memory
// after the first read.
func (e *Engine) readPhases(task string) (*phaseRecord, error) {
	e.phaseMu.Lock()
	r, ok := e.phaseRecs[task]
	e.phaseMu.Unlock()
	if ok {
		return r, nil
	}
	b, err := os.ReadFile(e.phaseRecordPath(task))
	r = &phaseRecord{Task: task}
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("task %q: phase record: %w", task, err)
	default:
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("task %q: phase record %s: %w", task, e.phaseRecordPath(task), err)
		}
	}
	e.phaseMu.Lock()
	e.phaseRecs[task] = r
	e.phaseMu.Unlock()
	return r, nil
}

// writePhases writes r durably, then makes it the one readPhases returns.
// r is a copy: readers never see a record being changed.
func (e *Engine) writePhases(r *phaseRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(e.phaseRecordPath(r.Task), b); err != nil {
		return fmt.Errorf("task %q: write phase record: %w", r.Task, err)
	}
	e.phaseMu.Lock()
	e.phaseRecs[r.Task] = r
	e.phaseMu.Unlock()
	return nil
}

func (r *phaseRecord) clone() *phaseRecord {
	c := &phaseRecord{Task: r.Task, Entered: slices.Clone(r.Entered)}
	return c
}

// last returns the last entry, nil if none.
func (r *phaseRecord) last() *phaseEntry {
	if len(r.Entered) == 0 {
		return nil
	}
	return &r.Entered[len(r.Entered)-1]
}

// finalEntry returns the entry of the task's final phase, nil if it has
// not begun.
func (r *phaseRecord) finalEntry(spec Spec) *phaseEntry {
	f := spec.finalPhase()
	if f < 1 || len(r.Entered) < f {
		return nil
	}
	return &r.Entered[f-1]
}

// phaseNow is where a phased task is: the current phase's index, and the
// record.
func (e *Engine) phaseNow(t *Task, now time.Time) (int, *phaseRecord, error) {
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return 0, nil, err
	}
	return max(t.Spec.scheduledPhase(now), len(r.Entered)), r, nil
}

// PhaseDataset is a development phase's own held-out dataset as stored
// at creation: its content hash, the stored file's and split's digests,
// and its row counts. Like the task's, the host's alone.
type PhaseDataset struct {
	DatasetSHA256     string `json:"dataset_sha256"`
	DatasetFileSHA256 string `json:"dataset_file_sha256"`
	SplitSHA256       string `json:"split_sha256"`
	Rows              int    `json:"rows"`
	PublicRows        int    `json:"public_rows"`
	PrivateRows       int    `json:"private_rows"`
}

// storePhaseData checks each phase's own dataset with the rules of task
// creation and against the task's columns and classes, and keeps a copy
// in the data dir; t records its hash. A final phase whose data is the
// task's records none: there is nothing to re-run. A development phase's
// data is stored as the task's is, with its split and their digests
// (t.PhaseData).
func (e *Engine) storePhaseData(t *Task) error {
	for i, p := range t.Spec.Phases {
		if p.Data == nil {
			continue
		}
		nt, sp, err := e.checkPhaseData(t, p)
		if se := (*SpecError)(nil); errors.As(err, &se) && strings.HasPrefix(se.Key, "split.") {
			se.Key = fmt.Sprintf("phases[%d].%s", i, se.Key)
		}
		if err != nil {
			return fmt.Errorf("create task %q: phase %q: %w", t.Spec.ID, p.ID, err)
		}
		if !p.Final {
			if err := e.storeDevPhaseData(t, p, nt, sp); err != nil {
				return fmt.Errorf("create task %q: phase %q: %w", t.Spec.ID, p.ID, err)
			}
			continue
		}
		if nt.DatasetSHA256 == t.DatasetSHA256 {
			continue
		}
		b, err := os.ReadFile(p.Data.Test)
		if err != nil {
			return fmt.Errorf("create task %q: phase %q: %w", t.Spec.ID, p.ID, err)
		}
		dst := e.phaseDataPath(t.Spec.ID, p.ID, strings.ToLower(filepath.Ext(p.Data.Test)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("create task %q: phase %q: %w", t.Spec.ID, p.ID, err)
		}
		if err := writeFileAtomic(dst, b); err != nil {
			return fmt.Errorf("create task %q: phase %q: store its data: %w", t.Spec.ID, p.ID, err)
		}
		if t.PhaseDatasets == nil {
			t.PhaseDatasets = map[string]string{}
		}
		t.PhaseDatasets[p.ID] = nt.DatasetSHA256
	}
	return nil
}

// storeDevPhaseData stores a development phase's dataset and split as
// the task's are (storeData), the split under the phase's own name, and
// records them in t.PhaseData.
func (e *Engine) storeDevPhaseData(t *Task, p PhaseSpec, nt Task, sp split) error {
	d, err := e.loadFor(t, p.Data.Test)
	if err != nil {
		return err
	}
	defer d.Release()
	pt := Task{Spec: Spec{ID: phaseSplitName(t.Spec.ID, p.ID)}}
	if err := e.storeData(&pt, d, sp); err != nil {
		return err
	}
	if t.PhaseData == nil {
		t.PhaseData = map[string]PhaseDataset{}
	}
	t.PhaseData[p.ID] = PhaseDataset{DatasetSHA256: nt.DatasetSHA256, DatasetFileSHA256: pt.DatasetFileSHA256,
		SplitSHA256: pt.SplitSHA256, Rows: nt.Rows, PublicRows: nt.PublicRows, PrivateRows: nt.PrivateRows}
	return nil
}

// phaseSplitName names a development phase's stored split (splitPath):
// task@phase, which no task id can be.
func phaseSplitName(task, phase string) string { return task + "@" + phase }

// checkPhaseData reads a phase's dataset and checks it as a rescore's
// replacement is checked, with the phase's split.
func (e *Engine) checkPhaseData(t *Task, p PhaseSpec) (Task, split, error) {
	path := p.Data.Test
	d, err := e.loadFor(t, path)
	if err != nil {
		return Task{}, split{}, err
	}
	defer d.Release()
	spec := t.Spec
	spec.Split = p.splitOf(t.Spec.Split)
	nt, sp, err := describe(path, spec, d)
	if err != nil {
		return Task{}, split{}, err
	}
	if !slices.Equal(nt.Features, t.Features) {
		return Task{}, split{}, &SpecError{Path: path, Key: "data.features", Err: fmt.Errorf(
			"feature columns %v differ from the task's %v: the models read the task's", nt.Features, t.Features)}
	}
	if nt.Classes != t.Classes {
		return Task{}, split{}, &SpecError{Path: path, Key: "data.label", Err: fmt.Errorf(
			"%d classes, the task has %d", nt.Classes, t.Classes)}
	}
	return nt, sp, nil
}

// phaseTask returns the task as the submissions made in phase idx are
// scored: on the phase's own data and split when it has them (a
// development phase's), else t itself.
func phaseTask(t *Task, idx int) *Task {
	if len(t.Spec.Phases) == 0 {
		return t
	}
	p := t.Spec.Phases[idx]
	pd, ok := t.PhaseData[p.ID]
	if !ok {
		return t
	}
	pt := *t
	pt.Spec.Split = p.splitOf(t.Spec.Split)
	pt.DatasetSHA256, pt.DatasetFileSHA256, pt.SplitSHA256 = pd.DatasetSHA256, pd.DatasetFileSHA256, pd.SplitSHA256
	pt.Rows, pt.PublicRows, pt.PrivateRows = pd.Rows, pd.PublicRows, pd.PrivateRows
	return &pt
}

// loadAt returns the loaded data a submission made at at is scored on,
// and the phase it is made in ("" for a task without phases): the task's
// data, or its phase's own (opened once and kept, as load keeps the
// task's; its stored file and split checked against their digests).
func (e *Engine) loadAt(t *Task, at time.Time) (*loadedTask, string, error) {
	if len(t.Spec.Phases) == 0 {
		lt, err := e.load(t.Spec.ID)
		return lt, "", err
	}
	idx, err := e.phaseAt(t, at)
	if err != nil {
		return nil, "", err
	}
	p := t.Spec.Phases[idx]
	if _, ok := t.PhaseData[p.ID]; !ok {
		lt, err := e.load(t.Spec.ID)
		return lt, p.ID, err
	}
	pt := phaseTask(t, idx)
	lt, err := e.loadAs(phaseSplitName(t.Spec.ID, p.ID), func() (*loadedTask, error) {
		return e.openPhase(pt, p.ID)
	})
	return lt, p.ID, err
}

// openPhase reads a development phase's stored data and split (pt from
// phaseTask), checked against the digests recorded at creation.
func (e *Engine) openPhase(pt *Task, phase string) (*loadedTask, error) {
	id := pt.Spec.ID
	d, err := datasets.OpenDigest(e.datasetPath(pt.DatasetSHA256), pt.DatasetFileSHA256, nil)
	if err != nil {
		return nil, fmt.Errorf("task %q: phase %q: open dataset: %w", id, phase, err)
	}
	if d.Hash != pt.DatasetSHA256 {
		d.Release()
		return nil, fmt.Errorf("task %q: phase %q: open dataset: content hash %s, the task records %s: %w", id, phase, d.Hash, pt.DatasetSHA256, datasets.ErrHashMismatch)
	}
	sp, err := readSplit(splitPath(e.cfg.DataDir, pt.DatasetSHA256, phaseSplitName(id, phase)), pt.SplitSHA256, d.Rows())
	if err != nil {
		d.Release()
		return nil, fmt.Errorf("task %q: phase %q: %w", id, phase, err)
	}
	return newLoadedTask(pt, d, sp), nil
}

// storedPhaseData returns the path of a phase's stored dataset.
func (e *Engine) storedPhaseData(t *Task, p PhaseSpec) string {
	return e.phaseDataPath(t.Spec.ID, p.ID, strings.ToLower(filepath.Ext(p.Data.Test)))
}

// Phases returns the task's phases as v may see them (nil for a task
// without phases). Reading them notices a transition the schedule made
// and queues it, as TaskState does.
func (e *Engine) Phases(task string, v Viewer) ([]Phase, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if err := e.access(t, v); err != nil {
		return nil, err
	}
	if _, err := e.TaskState(task); err != nil {
		return nil, err
	}
	return e.phases(t)
}

func (e *Engine) phases(t *Task) ([]Phase, error) {
	if len(t.Spec.Phases) == 0 {
		return nil, nil
	}
	now := e.cfg.Now().UTC()
	cur, r, err := e.phaseNow(t, now)
	if err != nil {
		return nil, err
	}
	out := make([]Phase, len(t.Spec.Phases))
	for i, p := range t.Spec.Phases {
		ph := Phase{ID: p.ID, Name: p.name(), Start: p.Schedule.start(), End: p.Schedule.end(), Final: p.Final,
			Submissions: !p.Final || p.Submissions, OwnData: p.Data != nil, Current: i == cur}
		ph.Leaderboard = p.Leaderboard
		if p.Limits != nil {
			ph.DailyLimit = p.Limits.DailyLimit
			lim := p.Limits.apply(t.Spec.Limits)
			ph.Limits = &lim
		}
		if i == 0 {
			// The first phase begins when the task opens.
			if ph.Entered = ph.Start; ph.Entered.IsZero() {
				ph.Entered = t.Created
			}
			if ph.Entered.After(now) {
				ph.Entered = time.Time{}
			} else {
				ph.By = "schedule"
			}
		}
		if i >= 1 && i <= len(r.Entered) {
			en := r.Entered[i-1]
			ph.Entered, ph.By = en.At, en.By
			if p.Final {
				ph.Rerun = &PhaseRerun{Selections: len(en.Selections), Done: en.Done}
			}
		}
		out[i] = ph
	}
	return out, nil
}

// phaseDue reports whether a phased task has a transition to make at now:
// a phase the schedule entered that is not recorded, or a recorded one
// whose work is unfinished.
func (e *Engine) phaseDue(t *Task, now time.Time) bool {
	if len(t.Spec.Phases) == 0 {
		return false
	}
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return true
	}
	if l := r.last(); l != nil && (!l.Done || !l.Audited) {
		return true
	}
	return t.Spec.scheduledPhase(now) > len(r.Entered)
}

// SettlePhases makes the transitions the schedule calls for now and
// completes an interrupted one, and returns the phases: what the server
// does in the background when it notices a phase's start, done now.
func (e *Engine) SettlePhases(ctx context.Context, task string) ([]Phase, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if len(t.Spec.Phases) == 0 {
		return nil, fmt.Errorf("task %q has no phases: %w", task, ErrBadRequest)
	}
	if err := e.settle(ctx, t, -1); err != nil {
		return nil, err
	}
	return e.phases(t)
}

// AdvancePhase moves a task into its next phase now, ahead of the
// schedule (the host's word), and does what entering it does (a final
// phase's re-run); it returns the phases. Refused for a task without
// phases, in its last phase, or closed. Recorded in the audit trail with
// the actor of ctx.
func (e *Engine) AdvancePhase(ctx context.Context, task string) ([]Phase, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if len(t.Spec.Phases) == 0 {
		return nil, fmt.Errorf("task %q has no phases: %w", task, ErrBadRequest)
	}
	st, err := e.TaskState(task)
	if err != nil {
		return nil, err
	}
	if !st.Closed.IsZero() {
		return nil, fmt.Errorf("task %q closed at %s: %w", task, st.Closed.Format(time.RFC3339), ErrClosed)
	}
	cur, _, err := e.phaseNow(t, st.Now)
	if err != nil {
		return nil, err
	}
	if cur+1 >= len(t.Spec.Phases) {
		return nil, fmt.Errorf("task %q is in its last phase %q: there is no next one: %w", task, t.Spec.Phases[cur].ID, ErrBadRequest)
	}
	if err := e.settle(ctx, t, cur+1); err != nil {
		return nil, err
	}
	return e.phases(t)
}

// settle enters, in order, every phase up to upTo (-1: those the schedule
// calls for), then completes the last entered phase's work. Transitions
// are serialized per engine; each is recorded before its work, so that a
// crash resumes it and a retry never repeats it.
func (e *Engine) settle(ctx context.Context, t *Task, upTo int) error {
	e.settleMu.Lock()
	defer e.settleMu.Unlock()
	task := t.Spec.ID
	r, err := e.readPhases(task)
	if err != nil {
		return err
	}
	now := e.cfg.Now().UTC()
	by, actor := "host", actorOf(ctx)
	if upTo < 0 {
		upTo, by = t.Spec.scheduledPhase(now), "schedule"
		if _, ok := ctx.Value(actorKey{}).(Actor); !ok {
			actor = Actor{Who: "schedule"}
		}
	}
	if l := r.last(); l != nil && (!l.Done || !l.Audited) {
		if err := e.finishPhase(ctx, t, len(r.Entered)); err != nil {
			return err
		}
	}
	for idx := len(r.Entered) + 1; idx <= upTo; idx++ {
		p := t.Spec.Phases[idx]
		at := now
		if by == "schedule" {
			if at = p.Schedule.start(); at.IsZero() || at.After(now) {
				at = now
			}
		}
		en := phaseEntry{Phase: p.ID, At: at, By: by, Actor: actor.Who, Why: actor.Why}
		if p.Final {
			if en.Board, en.Selections, err = e.freezeSelections(t); err != nil {
				return fmt.Errorf("task %q: enter phase %q: %w", task, p.ID, err)
			}
			if en.Boards, err = e.freezeBoards(t); err != nil {
				return fmt.Errorf("task %q: enter phase %q: %w", task, p.ID, err)
			}
		}
		if _, own := t.PhaseDatasets[p.ID]; !p.Final || !own {
			en.Done = true // nothing to re-run
		}
		r, err = e.readPhases(task)
		if err != nil {
			return err
		}
		nr := r.clone()
		nr.Entered = append(nr.Entered, en)
		if err := e.writePhases(nr); err != nil {
			return err
		}
		e.forgetBoards(task)
		if err := e.finishPhase(ctx, t, idx); err != nil {
			return err
		}
	}
	return nil
}

// freezeSelections returns, entering a final phase, the public board as
// it stands and every entrant's selections, frozen: an entrant who
// selected none gets the ones the private board stood them in with (the
// final_selections best public submissions), written as their
// selections so that the re-run's new scores cannot change which they
// are.
//
// The board and the selections are the phase before's: its board ranks
// the submissions made in it, on its data, and an entrant's selections
// count when made among them.
func (e *Engine) freezeSelections(t *Task) ([]Entry, []string, error) {
	task := t.Spec.ID
	prev := t.Spec.finalPhase() - 1
	pid := t.Spec.Phases[prev].ID
	board, err := e.PhaseLeaderboard(task, Host, false, pid)
	if err != nil {
		return nil, nil, err
	}
	final, err := e.PhaseLeaderboard(task, Host, phaseTask(t, prev).PrivateRows > 0, pid)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, en := range final {
		if en.Baseline {
			continue
		}
		sel := en.Selected
		if len(sel) == 0 {
			sel = []string{en.Submission}
		}
		ent := en.Participant
		if en.Team {
			ent = teamKey(en.Participant)
		}
		if !en.Explicit {
			if err := e.store.Select(task, ent, sel, max(len(sel), t.Spec.FinalSelections)); err != nil {
				return nil, nil, fmt.Errorf("freeze the selections of %q: %w", en.Participant, err)
			}
		}
		ids = append(ids, sel...)
	}
	return board, ids, nil
}

// freezeBoards returns, entering a final phase, each development phase's
// boards as they stand.
func (e *Engine) freezeBoards(t *Task) (map[string]frozenBoards, error) {
	out := map[string]frozenBoards{}
	for _, p := range t.Spec.Phases {
		if p.Final {
			continue
		}
		pub, err := e.PhaseLeaderboard(t.Spec.ID, Host, false, p.ID)
		if err != nil {
			return nil, err
		}
		priv, err := e.PhaseLeaderboard(t.Spec.ID, Host, true, p.ID)
		if err != nil {
			return nil, err
		}
		out[p.ID] = frozenBoards{Public: pub, Private: priv}
	}
	return out, nil
}

// finishPhase does the work of entering phase idx (recorded): the audit
// entry, and for a final phase with its own data the re-run of the frozen
// selections on it (a rescore with the phase's dataset: uncharged,
// resumable, the old scores kept in its steps).
func (e *Engine) finishPhase(ctx context.Context, t *Task, idx int) error {
	task := t.Spec.ID
	p := t.Spec.Phases[idx]
	r, err := e.readPhases(task)
	if err != nil {
		return err
	}
	en := r.Entered[idx-1]
	if !en.Done {
		rep, err := e.rerunFinal(ctx, t, p, en)
		if err != nil {
			return fmt.Errorf("task %q: phase %q: re-run the selections on its data (retried at the next look at the task): %w", task, p.ID, err)
		}
		en.Rescore, en.Done = rep, true
	}
	if !en.Audited {
		if err := e.auditPhase(task, p, en); err != nil {
			return err
		}
		en.Audited = true
	}
	nr := r.clone()
	nr.Entered[idx-1] = en
	return e.writePhases(nr)
}

// rerunFinal re-runs a final phase's frozen selections on its data, or
// completes the re-run an interruption left, and returns its rescore id.
func (e *Engine) rerunFinal(ctx context.Context, t *Task, p PhaseSpec, en phaseEntry) (string, error) {
	task := t.Spec.ID
	ctx = WithActor(ctx, Actor{Who: en.Actor, Why: "phase " + p.ID + " began: its selections are re-run on its data"})
	if _, err := e.store.ActiveRescore(task); err == nil {
		rep, err := e.Rescore(ctx, task, RescoreOptions{})
		if err != nil {
			return "", err
		}
		return rep.ID, nil
	}
	cur, err := e.Task(task)
	if err != nil {
		return "", err
	}
	if cur.DatasetSHA256 == t.PhaseDatasets[p.ID] {
		// The re-run finished, and the record missed it: find it.
		rs, err := e.store.Rescores(task)
		if err != nil {
			return "", err
		}
		for i := len(rs) - 1; i >= 0; i-- {
			if !rs[i].Finished.IsZero() && !rs[i].Started.Before(en.At) {
				return rs[i].ID, nil
			}
		}
	}
	if len(en.Selections) == 0 {
		return "", nil
	}
	sp := p.splitOf(t.Spec.Split)
	rep, err := e.Rescore(ctx, task, RescoreOptions{Dataset: e.storedPhaseData(t, p), Submissions: en.Selections, split: &sp})
	if err != nil {
		return "", err
	}
	return rep.ID, nil
}

// auditPhase records a phase transition in the audit trail once: an
// entry already there (a crash after writing it) is not written again.
func (e *Engine) auditPhase(task string, p PhaseSpec, en phaseEntry) error {
	as, err := e.store.AuditTrail(task)
	if err != nil && !errors.Is(err, leaderboard.ErrNotFound) {
		return fmt.Errorf("task %q: audit trail: %w", task, err)
	}
	for _, a := range as {
		var d struct {
			Phase string `json:"phase"`
		}
		if a.Action == AuditPhase && json.Unmarshal(a.Detail, &d) == nil && d.Phase == p.ID {
			return nil
		}
	}
	who := "the schedule"
	if en.By != "schedule" {
		who = "the host"
	}
	summary := fmt.Sprintf("phase %q began (by %s)", p.name(), who)
	if p.Final {
		summary += fmt.Sprintf("; %d final selections frozen", len(en.Selections))
		if en.Rescore != "" {
			summary += " and re-run on the final phase's own data"
		}
		if !p.Submissions {
			summary += "; no submissions in this phase"
		}
	}
	ctx := WithActor(context.Background(), Actor{Who: en.Actor, Why: en.Why})
	ae, err := e.auditEntry(ctx, AuditPhase, summary, map[string]any{"phase": p.ID, "at": en.At, "by": en.By,
		"selections": en.Selections, "rescore": en.Rescore})
	if err != nil {
		return err
	}
	ae.Task, ae.Time = task, en.At
	if err := e.store.AppendAudit(ae); err != nil {
		return fmt.Errorf("task %q: audit phase %q: %w", task, p.ID, err)
	}
	return nil
}

// checkPhase refuses a submission the current phase does not take.
func (e *Engine) checkPhase(t *Task, now time.Time) error {
	if len(t.Spec.Phases) == 0 {
		return nil
	}
	cur, _, err := e.phaseNow(t, now)
	if err != nil {
		return err
	}
	p := t.Spec.Phases[cur]
	if p.acceptsAt(now) {
		return nil
	}
	if p.Final && !p.Submissions {
		return fmt.Errorf("task %q is in its final phase %q, which takes no submissions: the final selections of the phase before are re-run on its data: %w",
			t.Spec.ID, p.name(), ErrClosed)
	}
	next := "the host closes the task"
	if cur+1 < len(t.Spec.Phases) {
		next = "phase " + t.Spec.Phases[cur+1].ID + " starts at " + t.Spec.Phases[cur+1].Schedule.Start
	}
	return fmt.Errorf("task %q: phase %q ended at %s; submissions reopen when %s: %w",
		t.Spec.ID, p.name(), p.Schedule.End, next, ErrNotOpen)
}

// sealed returns, for a phased task whose final phase has begun and which
// is not yet closed, the final phase's entry: participants then see
// nothing that depends on the final data. nil otherwise.
func (e *Engine) sealed(t *Task, st State) *phaseEntry {
	if t.Spec.finalPhase() < 0 || st.Reveal {
		return nil
	}
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return nil
	}
	return r.finalEntry(t.Spec)
}

// devBoard returns the public board frozen when the final phase began,
// nil if it has not.
func (e *Engine) devBoard(t *Task) []Entry {
	if t.Spec.finalPhase() < 0 {
		return nil
	}
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return nil
	}
	en := r.finalEntry(t.Spec)
	if en == nil {
		return nil
	}
	out := slices.Clone(en.Board)
	if out == nil {
		out = []Entry{}
	}
	return out
}

// beforeRerun returns, while a final phase is sealed, each re-run
// submission as it was before its re-run (on the phase before's data):
// what its participant keeps seeing until the task closes.
func (e *Engine) beforeRerun(task string, en *phaseEntry) map[string]leaderboard.Submission {
	out := map[string]leaderboard.Submission{}
	rs, err := e.store.Rescores(task)
	if err != nil {
		return out
	}
	for _, r := range rs {
		ours := r.ID == en.Rescore || en.Rescore == "" && r.Finished.IsZero() && !r.Started.Before(en.At)
		if !ours {
			continue
		}
		for _, st := range r.Done {
			out[st.Submission] = st.Before
		}
	}
	return out
}

// schedulePhase queues a phased task whose schedule calls for a
// transition for the phaser, once until it is done or fails.
func (e *Engine) schedulePhase(task string) {
	e.phaseMu.Lock()
	if e.phaseSeen[task] {
		e.phaseMu.Unlock()
		return
	}
	e.phaseSeen[task] = true
	e.phaseQueue = append(e.phaseQueue, task)
	e.phaseMu.Unlock()
	select {
	case e.phaseWake <- struct{}{}:
	default:
	}
}

// phaser makes the transitions schedulePhase queues, until the engine
// closes. A failed one (submissions still being evaluated on the data
// being replaced, the engine closing) is tried again at the next sighting.
func (e *Engine) phaser() {
	defer e.workers.Done()
	for {
		select {
		case <-e.runCtx.Done():
			return
		case <-e.phaseWake:
		}
		for {
			e.phaseMu.Lock()
			if len(e.phaseQueue) == 0 {
				e.phaseMu.Unlock()
				break
			}
			task := e.phaseQueue[0]
			e.phaseQueue = e.phaseQueue[1:]
			e.phaseMu.Unlock()
			// A failure is tried again at the next sighting (the record
			// keeps what was done); the host sees it from verdict task
			// phase, which settles in the foreground.
			if t, err := e.Task(task); err == nil {
				_ = e.settle(e.runCtx, t, -1)
			}
			e.phaseMu.Lock()
			delete(e.phaseSeen, task)
			e.phaseMu.Unlock()
		}
	}
}

// forgetBoards drops the rows Leaderboard keeps of the task's boards,
// every phase's.
func (e *Engine) forgetBoards(task string) {
	e.boardsMu.Lock()
	for k := range e.boards {
		if k.task == task {
			delete(e.boards, k)
		}
	}
	e.boardsMu.Unlock()
}

// boardPhase returns the index of the phase whose board PhaseLeaderboard
// reads for phase: the current one for "", -1 for a task without phases
// (its own board). An unknown phase is not found.
func (e *Engine) boardPhase(t *Task, now time.Time, phase string) (int, error) {
	if len(t.Spec.Phases) == 0 {
		if phase != "" {
			return 0, fmt.Errorf("task %q has no phases, so no phase %q: %w", t.Spec.ID, phase, ErrNotFound)
		}
		return -1, nil
	}
	if phase == "" {
		cur, _, err := e.phaseNow(t, now)
		return cur, err
	}
	for i, p := range t.Spec.Phases {
		if p.ID == phase {
			return i, nil
		}
	}
	return 0, fmt.Errorf("task %q has no phase %q: %w", t.Spec.ID, phase, ErrNotFound)
}

// frozenBoard returns a development phase's board as it stood when the
// final phase began (recorded then), if it has begun and recorded one.
func (e *Engine) frozenBoard(t *Task, phase string, private bool) ([]Entry, bool) {
	if t.Spec.finalPhase() < 0 {
		return nil, false
	}
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return nil, false
	}
	en := r.finalEntry(t.Spec)
	if en == nil {
		return nil, false
	}
	fb, ok := en.Boards[phase]
	if !ok {
		return nil, false
	}
	out := slices.Clone(fb.Public)
	if private {
		out = slices.Clone(fb.Private)
	}
	if out == nil {
		out = []Entry{}
	}
	return out, true
}

// onFinalBoard returns which rows of the task's final ranking stand on
// it: once a final phase has begun, only the entrants' frozen selections
// (re-run on its data) and the submissions made in it; every row
// otherwise (and for a phase's board, pid set).
func (e *Engine) onFinalBoard(t *Task, pid string) func(leaderboard.Entry) bool {
	all := func(leaderboard.Entry) bool { return true }
	if pid != "" || t.Spec.finalPhase() < 0 {
		return all
	}
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return all
	}
	en := r.finalEntry(t.Spec)
	if en == nil {
		return all
	}
	return func(le leaderboard.Entry) bool {
		return slices.Contains(en.Selections, le.SubmissionID) || !le.Submitted.Before(en.At)
	}
}

// settleBeforeClose makes a phased task's due transitions before it is
// closed or certified: a final phase that began must have its re-run
// done, or the final board would be the phase before's.
func (e *Engine) settleBeforeClose(ctx context.Context, task string) error {
	t, err := e.Task(task)
	if err != nil {
		return err
	}
	if len(t.Spec.Phases) == 0 {
		return nil
	}
	if !e.phaseDue(t, e.cfg.Now().UTC()) {
		return nil
	}
	return e.settle(ctx, t, -1)
}

// finalSelectable refuses a selection of n submissions in a final phase
// that takes no submissions (the selections were frozen when it began),
// and an empty one in any final phase (the default picks go by public
// scores, which the re-run made a mix of two datasets').
func finalSelectable(t *Task, n int) error {
	p := t.Spec.Phases[t.Spec.finalPhase()]
	if !p.Submissions {
		return fmt.Errorf("task %q is in its final phase %q, which takes no submissions: the selections were frozen when it began: %w",
			t.Spec.ID, p.name(), ErrClosed)
	}
	if n == 0 {
		return fmt.Errorf("task %q is in its final phase %q: select at least one submission (the re-run selections, or ones made in this phase): %w",
			t.Spec.ID, p.name(), ErrBadRequest)
	}
	return nil
}

// scoredInFinal refuses, in a final phase that takes submissions, a
// selection of a submission not scored on the final data: one neither
// re-run when the phase began nor made in it.
func (e *Engine) scoredInFinal(id string, en *phaseEntry) error {
	if slices.Contains(en.Selections, id) {
		return nil
	}
	ls, err := e.store.Submission(id)
	if err != nil {
		return fmt.Errorf("submission %q: %w", id, ErrNotFound)
	}
	if ls.Created.Before(en.At) {
		return fmt.Errorf("submission %s was made in the phase before and not re-run on the final data: select one re-run when the final phase began or made in it: %w",
			ShortID(id), ErrBadRequest)
	}
	return nil
}

// rescoreAllowed refuses a host's rescore while a final phase is under
// way and its re-run is done: what participants see of their submissions
// then is their outcome before that re-run, and another rescore would put
// final-data scores on the others. The final re-run itself (and its
// resumption) goes through.
func (e *Engine) rescoreAllowed(t *Task) error {
	st, err := e.TaskState(t.Spec.ID)
	if err != nil {
		return err
	}
	if en := e.sealed(t, st); en != nil && en.Done {
		return fmt.Errorf("task %q is in its final phase, whose re-run is done: rescore it after it closes: %w", t.Spec.ID, ErrBadRequest)
	}
	return nil
}

// phaseAt returns the index of the phase at is in: the last one begun at
// or before it (as recorded, or by the schedule for one not yet
// recorded). A submission belongs to the phase it was made in.
func (e *Engine) phaseAt(t *Task, at time.Time) (int, error) {
	r, err := e.readPhases(t.Spec.ID)
	if err != nil {
		return 0, err
	}
	idx := 0
	for i := 1; i < len(t.Spec.Phases); i++ {
		began := t.Spec.Phases[i].Schedule.start()
		if i <= len(r.Entered) {
			began = r.Entered[i-1].At
		}
		if !began.IsZero() && !at.Before(began) {
			idx = i
		}
	}
	return idx, nil
}

// phaseBegan returns when phase idx began (zero: the first phase, or not
// yet).
func (e *Engine) phaseBegan(t *Task, idx int) time.Time {
	if idx < 1 {
		return time.Time{}
	}
	r, err := e.readPhases(t.Spec.ID)
	if err != nil || idx > len(r.Entered) {
		return t.Spec.Phases[idx].Schedule.start()
	}
	return r.Entered[idx-1].At
}

// limitsAt returns the limits of a submission made at at: the task's,
// with those of the phase it is made in in their place.
func (e *Engine) limitsAt(t *Task, at time.Time) (LimitsSpec, error) {
	if len(t.Spec.Phases) == 0 {
		return t.Spec.Limits, nil
	}
	idx, err := e.phaseAt(t, at)
	if err != nil {
		return LimitsSpec{}, err
	}
	return t.Spec.Phases[idx].Limits.apply(t.Spec.Limits), nil
}

// quotaAt returns the quota a submission made at now is charged to: the
// limits of its phase, a phase's own total counted from the UTC day it
// began.
func (e *Engine) quotaAt(t *Task, now time.Time) (leaderboard.Quota, error) {
	lim, err := e.limitsAt(t, now)
	if err != nil {
		return leaderboard.Quota{}, err
	}
	q := leaderboard.Quota{Now: now, Daily: lim.DailyLimit, Total: lim.TotalLimit}
	if len(t.Spec.Phases) > 0 {
		idx, _ := e.phaseAt(t, now)
		if pl := t.Spec.Phases[idx].Limits; pl != nil && pl.TotalLimit != nil {
			q.Since = e.phaseBegan(t, idx)
		}
	}
	return q, nil
}

// scoredOnDev returns, for a task whose development dataset a final
// phase's re-run replaced, whether a submission's stored outcome is still
// the development data's: it was made before the replacement and no
// rescore with another dataset re-ran it since. Always false otherwise.
func (e *Engine) scoredOnDev(t *Task) (func(leaderboard.Submission) bool, error) {
	no := func(leaderboard.Submission) bool { return false }
	if t.DevDatasetSHA256 == "" || t.DevDatasetSHA256 == t.DatasetSHA256 {
		return no, nil
	}
	rs, err := e.store.Rescores(t.Spec.ID)
	if err != nil && !errors.Is(err, leaderboard.ErrNotFound) {
		return nil, fmt.Errorf("task %q: rescores: %w", t.Spec.ID, err)
	}
	var replaced time.Time    // when the development data was replaced
	on := map[string]string{} // the dataset each re-run submission was last scored on
	for _, r := range rs {
		var plan rescorePlan
		if json.Unmarshal(r.Detail, &plan) != nil {
			continue
		}
		if plan.DatasetBefore == t.DevDatasetSHA256 && plan.DatasetAfter != plan.DatasetBefore && replaced.IsZero() {
			replaced = r.Started
		}
		for _, st := range r.Done {
			on[st.Submission] = plan.DatasetAfter
		}
	}
	if replaced.IsZero() {
		return no, nil
	}
	return func(ls leaderboard.Submission) bool {
		if ds, ok := on[ls.ID]; ok {
			return ds == t.DevDatasetSHA256
		}
		return ls.Created.Before(replaced)
	}, nil
}

// openDev reads a task's development dataset and split, as stored at
// creation; the caller releases its data.
func (e *Engine) openDev(t *Task) (*loadedTask, error) {
	if t.DevDatasetFileSHA256 == "" || t.DevSplitSHA256 == "" {
		return nil, fmt.Errorf("the task was created before its development data's digests were recorded: verify the re-run submissions (--submissions selected): %w", ErrBadRequest)
	}
	dt := *t
	dt.DatasetSHA256, dt.DatasetFileSHA256, dt.SplitSHA256 = t.DevDatasetSHA256, t.DevDatasetFileSHA256, t.DevSplitSHA256
	dt.Rows, dt.PublicRows, dt.PrivateRows = t.DevRows, t.DevPublicRows, t.DevPrivateRows
	return e.openTask(&dt)
}

// phaseTotal reports whether the total limit of a submission made at at
// is its phase's own (limits.total_limit of the phase).
func (e *Engine) phaseTotal(t *Task, at time.Time) bool {
	if len(t.Spec.Phases) == 0 {
		return false
	}
	idx, err := e.phaseAt(t, at)
	if err != nil {
		return false
	}
	pl := t.Spec.Phases[idx].Limits
	return pl != nil && pl.TotalLimit != nil
}

// phaseLadderSteps returns the Ladder step of each phase that sets its
// own leaderboard (0: the best mode), for the store.
func (s Spec) phaseLadderSteps() map[string]float64 {
	var out map[string]float64
	for _, p := range s.Phases {
		if p.Leaderboard == nil {
			continue
		}
		if out == nil {
			out = map[string]float64{}
		}
		out[p.ID] = p.Leaderboard.Step
	}
	return out
}
