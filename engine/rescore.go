package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox"
)

// Submission selections of RescoreOptions and VerifyOptions.
const (
	// SelectAll picks every evaluated submission of the task (scored, or
	// failed by the model), baselines included.
	SelectAll = "all"
	// SelectSelected picks the submissions the final leaderboard is
	// decided among: each entrant's final selections or, when they made
	// none, their final_selections best public submissions.
	SelectSelected = "selected"
)

// RescoreOptions says what a rescore re-runs, and on what.
type RescoreOptions struct {
	// Dataset, when set, is the path of a corrected held-out dataset
	// (CSV, Parquet or Arrow IPC) that replaces the task's. It is read
	// with the task's spec (id, label, features and group columns) and
	// must pass the checks of task creation; its feature columns and, for
	// a multiclass task, its classes must be the task's, since the models
	// were built for those. "" keeps the task's dataset.
	Dataset string
	// Submissions picks what is re-run: nil or [SelectAll], [SelectSelected],
	// or submission ids of the task.
	Submissions []string

	// split, with Dataset, replaces the task's split too: a final phase's
	// own (phase.go).
	split *SplitSpec
}

// VerifyOptions says what Verify re-runs.
type VerifyOptions struct {
	// Submissions is as in RescoreOptions.
	Submissions []string
}

// RescoreReport is the outcome of a rescore: what changed, by how much.
// It is the host's: it holds private scores and the private board.
type RescoreReport struct {
	ID   string `json:"id"`
	Task string `json:"task"`
	// DatasetBefore and DatasetAfter are the SHA-256 of the held-out
	// dataset before and after (equal when it was kept).
	DatasetBefore string    `json:"dataset_before"`
	DatasetAfter  string    `json:"dataset_after"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	// Resumed is set when this call completed a rescore that an earlier
	// one began and was interrupted.
	Resumed bool `json:"resumed,omitempty"`
	// Rescored is how many submissions the rescore re-ran in all; Ran how
	// many of them this call ran.
	Rescored int `json:"rescored"`
	Ran      int `json:"ran"`
	// Changes are the submissions whose outcome changed (status, public
	// or private score), in submission order.
	Changes []ScoreChange `json:"changes"`
	// Ranks are the entrants whose rank changed on a board, public board
	// first, then by the new rank.
	Ranks []RankChange `json:"ranks"`
	// Missing are the submissions that could not be re-run because their
	// module is not in the data dir: they keep their outcome.
	Missing []string `json:"missing,omitempty"`
}

// ScoreChange is one submission's outcome before and after a rescore.
type ScoreChange struct {
	Submission  string  `json:"submission"`
	Participant string  `json:"participant"`
	Team        string  `json:"team,omitempty"`
	Baseline    bool    `json:"baseline,omitempty"`
	Before      Outcome `json:"before"`
	After       Outcome `json:"after"`
	// PublicDelta and PrivateDelta are After minus Before, when both have
	// the score.
	PublicDelta  *float64 `json:"public_delta,omitempty"`
	PrivateDelta *float64 `json:"private_delta,omitempty"`
}

// Outcome is what an evaluation recorded: its status and scores, and the
// error kind of a failure.
type Outcome struct {
	Status  Status   `json:"status"`
	Public  *float64 `json:"public"`
	Private *float64 `json:"private"`
	Error   string   `json:"error,omitempty"`
}

// RankChange is an entrant's rank on one board before and after a
// rescore; 0 means not on the board.
type RankChange struct {
	Participant string `json:"participant"`
	Team        bool   `json:"team,omitempty"`
	Board       string `json:"board"` // "public" or "private"
	Before      int    `json:"before"`
	After       int    `json:"after"`
}

// VerifyReport is the outcome of Verify: every stored score and interval
// re-computed and compared bit for bit.
type VerifyReport struct {
	Task          string `json:"task"`
	DatasetSHA256 string `json:"dataset_sha256"`
	// Checked is how many submissions were re-run, Matched how many
	// reproduced every stored value.
	Checked    int        `json:"checked"`
	Matched    int        `json:"matched"`
	Mismatches []Mismatch `json:"mismatches"`
}

// OK reports whether every submission checked reproduced.
func (r *VerifyReport) OK() bool { return len(r.Mismatches) == 0 }

// Mismatch is one stored value a re-run did not reproduce. Stored and Got
// are the values as text, a float64 with its bits in hex ("0.91
// (0x3fed1eb851eb851f)") so that a difference in the last bit shows.
type Mismatch struct {
	Submission  string `json:"submission"`
	Participant string `json:"participant"`
	Field       string `json:"field"` // module, status, error, public, private, public_ci.low, ...
	Stored      string `json:"stored"`
	Got         string `json:"got"`
}

// testHookRescored, when set (by tests only), is called with the id of
// each submission a rescore re-ran and recorded, and testHookRerun with
// the id of each submission whose re-run completed (rescore or verify).
var testHookRescored, testHookRerun func(id string)

// rescorePlan is the engine's part of a stored rescore (its Detail) until
// it finishes; then the report replaces it.
type rescorePlan struct {
	Selection     []string       `json:"selection"`
	DatasetBefore string         `json:"dataset_before"`
	DatasetAfter  string         `json:"dataset_after"`
	RanksBefore   map[string]int `json:"ranks_before"` // by board + "\x00" + entrant
}

// Rescore re-runs a task's submissions with their stored modules (see
// RescoreOptions) and records their new outcomes; it returns what changed.
// A re-run is never charged to a quota, and each submission's outcome
// before it stays in the store (the rescore's steps, see Rescores).
//
// A rescore is durable and resumable: its plan is recorded before the
// first re-run, and each re-run is recorded with its step in one
// transaction. If it is interrupted (ctx cancelled, a crash), call
// Rescore again, with the same options or none: it runs only what is left.
// A task has at most one unfinished rescore; other options are refused
// until it finishes.
//
// With the dataset unchanged a re-run reproduces every stored score and
// interval bit for bit (see Verify): a rescore then changes nothing but
// what a fixed metric changes. What a participant sees of a rescore is
// their new scores, under the usual viewing rules. A finished rescore is
// recorded in the task's audit trail, by the actor of ctx (see WithActor),
// in the transaction that finishes it.
func (e *Engine) Rescore(ctx context.Context, task string, opts RescoreOptions) (*RescoreReport, error) {
	e.rescoreMu.Lock()
	defer e.rescoreMu.Unlock()
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if err := checkSelection(opts.Submissions); err != nil {
		return nil, err
	}
	if err := e.rescoreAllowed(t); err != nil {
		return nil, err
	}
	if opts.split == nil { // not a final phase's re-run
		if err := phaseDataUnsupported(t, "rescore"); err != nil {
			return nil, err
		}
	}
	r, plan, resumed, err := e.planRescore(t, opts)
	if err != nil {
		return nil, err
	}
	lt, err := e.load(task)
	if err != nil {
		return nil, err
	}
	if lt.task.DatasetSHA256 != plan.DatasetAfter {
		return nil, fmt.Errorf("rescore %s of task %q: the task's dataset is %s, the rescore's %s: %w",
			r.ID, task, lt.task.DatasetSHA256, plan.DatasetAfter, leaderboard.ErrCorrupt)
	}
	done := map[string]bool{}
	for _, st := range r.Done {
		done[st.Submission] = true
	}
	ran := 0
	for _, id := range r.Submissions {
		if done[id] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("rescore %s of task %q: interrupted after %d of %d (run it again to resume): %w",
				r.ID, task, len(done)+ran, len(r.Submissions), err)
		}
		ls, err := e.store.Submission(id)
		if err != nil {
			return nil, fmt.Errorf("rescore %s: submission %s: %w", r.ID, id, err)
		}
		sub, err := e.rerun(ctx, lt, ls)
		var missing *missingModuleError
		switch {
		case errors.As(err, &missing):
			// Nothing to run: the submission keeps its outcome, and the
			// report names it (see finishRescore).
			sub = fromStore(ls)
		case err != nil:
			return nil, fmt.Errorf("rescore %s of task %q: interrupted after %d of %d (run it again to resume): %w",
				r.ID, task, len(done)+ran, len(r.Submissions), err)
		}
		sub.Updated = e.cfg.Now().UTC()
		ns, err := toStore(&sub)
		if err != nil {
			return nil, err
		}
		if _, err := e.store.RescoreSubmission(task, r.ID, ns); err != nil && !errors.Is(err, leaderboard.ErrExists) {
			return nil, fmt.Errorf("rescore %s of task %q: %w", r.ID, task, err)
		}
		// The rows Leaderboard keeps hold the old intervals.
		e.forgetBoards(task)
		ran++
		if testHookRescored != nil {
			testHookRescored(id)
		}
	}
	rep, err := e.finishRescore(ctx, t, r.ID, plan)
	if err != nil {
		return nil, err
	}
	rep.Resumed, rep.Ran = resumed, ran
	return rep, nil
}

// Rescores returns the reports of a task's finished rescores, in the
// order they began. Host only: they hold private scores.
func (e *Engine) Rescores(task string) ([]RescoreReport, error) {
	rs, err := e.store.Rescores(task)
	if errors.Is(err, leaderboard.ErrNotFound) {
		return nil, fmt.Errorf("task %q: %w", task, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("task %q: rescores: %w", task, err)
	}
	out := []RescoreReport{}
	for _, r := range rs {
		if r.Finished.IsZero() {
			continue
		}
		var rep RescoreReport
		if err := json.Unmarshal(r.Detail, &rep); err != nil {
			return nil, fmt.Errorf("task %q: rescore %s: decode report: %w", task, r.ID, err)
		}
		out = append(out, rep)
	}
	return out, nil
}

// planRescore returns the task's unfinished rescore, if any and opts
// agree with it, or begins a new one.
func (e *Engine) planRescore(t *Task, opts RescoreOptions) (leaderboard.Rescore, rescorePlan, bool, error) {
	task := t.Spec.ID
	var plan rescorePlan
	r, err := e.store.ActiveRescore(task)
	switch {
	case err == nil:
		if err := json.Unmarshal(r.Detail, &plan); err != nil {
			return r, plan, false, fmt.Errorf("task %q: rescore %s: decode plan: %w", task, r.ID, err)
		}
		if err := e.samePlan(t, r, plan, opts); err != nil {
			return r, plan, false, err
		}
		return r, plan, true, nil
	case !errors.Is(err, leaderboard.ErrNotFound):
		return r, plan, false, fmt.Errorf("task %q: rescore: %w", task, err)
	}

	plan = rescorePlan{Selection: opts.Submissions, DatasetBefore: t.DatasetSHA256, DatasetAfter: t.DatasetSHA256}
	if plan.Selection == nil {
		plan.Selection = []string{SelectAll}
	}
	var spec []byte
	if opts.Dataset != "" {
		nt, err := e.replacement(t, opts.Dataset, opts.split)
		if err != nil {
			return r, plan, false, err
		}
		if nt.DatasetSHA256 != t.DatasetSHA256 {
			if spec, err = json.Marshal(nt); err != nil {
				return r, plan, false, err
			}
			plan.DatasetAfter = nt.DatasetSHA256
		}
	}
	ids, err := e.selectSubmissions(t, plan.Selection)
	if err != nil {
		return r, plan, false, err
	}
	if plan.RanksBefore, err = e.ranks(task); err != nil {
		return r, plan, false, err
	}
	detail, err := json.Marshal(plan)
	if err != nil {
		return r, plan, false, err
	}
	r = leaderboard.Rescore{ID: uuid.Must(uuid.NewV7()).String(), Task: task, Started: e.cfg.Now().UTC(),
		Submissions: ids, Detail: detail}
	if err := e.store.BeginRescore(r, spec); err != nil {
		return r, plan, false, fmt.Errorf("task %q: begin rescore: %w", task, err)
	}
	if spec != nil {
		e.forget(task)
	}
	return r, plan, false, nil
}

// samePlan refuses options that differ from those of the unfinished
// rescore r: it must finish first.
func (e *Engine) samePlan(t *Task, r leaderboard.Rescore, plan rescorePlan, opts RescoreOptions) error {
	refuse := func(what string) error {
		return fmt.Errorf("task %q: rescore %s began %s and is unfinished (%d of %d done) with %s; run it again without options, or with its own, to finish it first: %w",
			t.Spec.ID, r.ID, r.Started.Format(time.RFC3339), len(r.Done), len(r.Submissions), what, ErrBadRequest)
	}
	if opts.Submissions != nil && !slices.Equal(opts.Submissions, plan.Selection) {
		return refuse(fmt.Sprintf("submissions %v", plan.Selection))
	}
	if opts.Dataset != "" {
		d, err := e.loadFor(t, opts.Dataset)
		if err != nil {
			return err
		}
		defer d.Release()
		if d.Hash != plan.DatasetAfter {
			return refuse("dataset " + plan.DatasetAfter)
		}
	}
	return nil
}

// loadFor reads a dataset with t's schema.
func (e *Engine) loadFor(t *Task, path string) (*datasets.Dataset, error) {
	spec := t.Spec
	d, err := datasets.Load(path, e.cfg.datasetSchema(spec))
	if err != nil {
		return nil, fmt.Errorf("rescore task %q: %w", spec.ID, err)
	}
	return d, nil
}

// replacement reads a rescore's new dataset, checks it with the rules of
// task creation and against the task's features and classes, stores it,
// and returns the task as it becomes.
func (e *Engine) replacement(t *Task, path string, sp *SplitSpec) (*Task, error) {
	task := t.Spec.ID
	if n := e.unfinished(task); n > 0 {
		return nil, fmt.Errorf("task %q: %d submissions are being evaluated on the current dataset; replace it when they finish: %w", task, n, ErrBadRequest)
	}
	d, err := e.loadFor(t, path)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	spec := t.Spec
	if sp != nil {
		spec.Split = *sp
	}
	nt, spl, err := describe(path, spec, d)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(nt.Features, t.Features) {
		return nil, &SpecError{Path: path, Key: "data.features", Err: fmt.Errorf(
			"feature columns %v differ from the task's %v: the submitted models read the task's", nt.Features, t.Features)}
	}
	if nt.Classes != t.Classes {
		return nil, &SpecError{Path: path, Key: "data.label", Err: fmt.Errorf(
			"%d classes, the task has %d: the submitted models output one probability per class of the task", nt.Classes, t.Classes)}
	}
	if nt.DatasetSHA256 == t.DatasetSHA256 {
		return t, nil
	}
	nt.Created, nt.Spec.Data.Test, nt.PhaseDatasets, nt.PhaseData = t.Created, t.Spec.Data.Test, t.PhaseDatasets, t.PhaseData
	nt.DevDatasetSHA256, nt.DevRows = t.DevDatasetSHA256, t.DevRows
	nt.DevPublicRows, nt.DevPrivateRows = t.DevPublicRows, t.DevPrivateRows
	nt.DevDatasetFileSHA256, nt.DevSplitSHA256 = t.DevDatasetFileSHA256, t.DevSplitSHA256
	if err := e.storeData(&nt, d, spl); err != nil {
		return nil, fmt.Errorf("rescore task %q: %w", task, err)
	}
	return &nt, nil
}

// unfinished counts the task's submissions that are received, queued or
// running.
func (e *Engine) unfinished(task string) int {
	lss, err := e.store.Unfinished()
	if err != nil {
		return 0
	}
	n := 0
	for _, ls := range lss {
		if ls.Task == task {
			n++
		}
	}
	return n
}

// forget drops the task's loaded dataset, so that the next load reads the
// task's new one. The old one is not released: a job accepted a moment
// ago may still read it, and the garbage collector frees it after (its
// features, outside the Go heap, by a cleanup).
func (e *Engine) forget(task string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.loaded == nil {
		return
	}
	if l, ok := e.loaded[task]; ok {
		select {
		case <-l.done:
			if l.err == nil && l.lt.feats != nil {
				runtime.AddCleanup(l.lt, func(f *sandbox.Features) { f.Close() }, l.lt.feats)
			}
		default: // still being read (a rescore racing the first submission): its features are not freed
		}
	}
	delete(e.loaded, task)
}

// checkSelection checks RescoreOptions.Submissions.
func checkSelection(sel []string) error {
	for _, s := range sel {
		if (s == SelectAll || s == SelectSelected) && len(sel) > 1 {
			return fmt.Errorf("submissions %v: %q stands alone, not with ids: %w", sel, s, ErrBadRequest)
		}
		if s == "" {
			return fmt.Errorf("submissions %v: an empty id: %w", sel, ErrBadRequest)
		}
	}
	return nil
}

// rerunnable reports whether a submission can be run again: it was
// evaluated, and not failed by the host (whose failure was refunded, and
// whose module may have been submitted again).
func rerunnable(ls leaderboard.Submission) bool {
	return ls.Status == leaderboard.Scored || (ls.Status == leaderboard.Failed && !ls.HostError)
}

// selectSubmissions returns the ids a selection picks, in submission
// order.
func (e *Engine) selectSubmissions(t *Task, sel []string) ([]string, error) {
	task := t.Spec.ID
	lss, err := e.store.Submissions(task)
	if err != nil {
		return nil, fmt.Errorf("task %q: list submissions: %w", task, err)
	}
	want := map[string]bool{}
	switch {
	case len(sel) == 0 || sel[0] == SelectAll:
		for _, ls := range lss {
			want[ls.ID] = true
		}
	case sel[0] == SelectSelected:
		board, err := e.Leaderboard(task, Host, t.PrivateRows > 0)
		if err != nil {
			return nil, err
		}
		for _, en := range board {
			if en.Baseline {
				continue
			}
			want[en.Submission] = true
			for _, id := range en.Selected {
				want[id] = true
			}
		}
	default:
		for _, id := range sel {
			ls, err := e.store.Submission(id)
			if err != nil || ls.Task != task {
				return nil, fmt.Errorf("submission %q: not a submission of task %q: %w", id, task, ErrNotFound)
			}
			if !rerunnable(ls) {
				return nil, fmt.Errorf("submission %q is %s (host failure: %v): only evaluated submissions can be run again: %w",
					id, ls.Status, ls.HostError, ErrBadRequest)
			}
			want[id] = true
		}
	}
	var ids []string
	for _, ls := range lss {
		if want[ls.ID] && rerunnable(ls) {
			ids = append(ids, ls.ID)
		}
	}
	return ids, nil
}

// ranks returns every entrant's rank on the public and the private
// board, keyed by rankKey.
func (e *Engine) ranks(task string) (map[string]int, error) {
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	boards := []string{"public"}
	if t.PrivateRows > 0 {
		boards = append(boards, "private")
	}
	for _, b := range boards {
		board, err := e.Leaderboard(task, Host, b == "private")
		if err != nil {
			return nil, err
		}
		for _, en := range board {
			if !en.Baseline {
				out[rankKey(b, en.Participant, en.Team)] = en.Rank
			}
		}
	}
	return out, nil
}

// rankKey is a ranks key: the board, then the entrant.
func rankKey(board, entrant string, team bool) string {
	return board + "\x00" + strconv.FormatBool(team) + "\x00" + entrant
}

// finishRescore builds the report of rescore id from its steps and the
// boards before and after, and records it.
func (e *Engine) finishRescore(ctx context.Context, t *Task, id string, plan rescorePlan) (*RescoreReport, error) {
	task := t.Spec.ID
	rs, err := e.store.ActiveRescore(task)
	if err != nil || rs.ID != id {
		return nil, fmt.Errorf("task %q: finish rescore %s: %w", task, id, err)
	}
	rep := &RescoreReport{ID: id, Task: task, DatasetBefore: plan.DatasetBefore, DatasetAfter: plan.DatasetAfter,
		Started: rs.Started, Finished: e.cfg.Now().UTC(), Rescored: len(rs.Done), Changes: []ScoreChange{}, Ranks: []RankChange{}}
	for _, st := range rs.Done {
		ls, err := e.store.Submission(st.Submission)
		if err != nil {
			return nil, fmt.Errorf("rescore %s: submission %s: %w", id, st.Submission, err)
		}
		if _, err := os.Stat(e.modulePath(ls.ModuleSHA256)); errors.Is(err, os.ErrNotExist) {
			rep.Missing = append(rep.Missing, ls.ID)
		}
		before, after := fromStore(st.Before), fromStore(ls)
		if c, changed := scoreChange(before, after); changed {
			rep.Changes = append(rep.Changes, c)
		}
	}
	now, err := e.ranks(task)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range plan.RanksBefore {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	for k := range keys {
		if plan.RanksBefore[k] == now[k] {
			continue
		}
		parts := strings.SplitN(k, "\x00", 3)
		rep.Ranks = append(rep.Ranks, RankChange{Participant: parts[2], Team: parts[1] == "true", Board: parts[0],
			Before: plan.RanksBefore[k], After: now[k]})
	}
	slices.SortFunc(rep.Ranks, func(a, b RankChange) int {
		if a.Board != b.Board {
			if a.Board == "public" {
				return -1
			}
			return 1
		}
		if a.After != b.After {
			// Those who left the board (After 0) come last.
			if a.After == 0 {
				return 1
			}
			if b.After == 0 {
				return -1
			}
			return a.After - b.After
		}
		if a.Participant < b.Participant {
			return -1
		}
		return 1
	})
	detail, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	data := "kept"
	if rep.DatasetBefore != rep.DatasetAfter {
		data = "replaced"
	}
	audit, err := e.auditEntry(ctx, AuditRescore, fmt.Sprintf("re-ran %d submissions with their stored modules; the dataset was %s", rep.Rescored, data),
		map[string]any{"rescore": id, "dataset_before": rep.DatasetBefore, "dataset_after": rep.DatasetAfter,
			"scores_changed": len(rep.Changes), "ranks_changed": len(rep.Ranks)})
	if err != nil {
		return nil, err
	}
	audit.Time = rep.Finished
	if err := e.store.FinishRescore(task, id, rep.Finished, detail, &audit); err != nil {
		return nil, fmt.Errorf("task %q: finish rescore %s: %w", task, id, err)
	}
	return rep, nil
}

// scoreChange compares a submission's outcome before and after a re-run.
func scoreChange(before, after Submission) (ScoreChange, bool) {
	c := ScoreChange{Submission: after.ID, Participant: after.Participant, Team: after.Team, Baseline: after.Baseline,
		Before: outcomeOf(before), After: outcomeOf(after)}
	c.PublicDelta = delta(c.Before.Public, c.After.Public)
	c.PrivateDelta = delta(c.Before.Private, c.After.Private)
	changed := c.Before.Status != c.After.Status || c.Before.Error != c.After.Error ||
		!sameBits(c.Before.Public, c.After.Public) || !sameBits(c.Before.Private, c.After.Private)
	return c, changed
}

func outcomeOf(s Submission) Outcome {
	o := Outcome{Status: s.Status, Public: s.Scores.Public, Private: s.Scores.Private}
	if s.Error != nil {
		o.Error = s.Error.Kind
	}
	return o
}

func delta(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	d := *b - *a
	return &d
}

func sameBits(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Float64bits(*a) == math.Float64bits(*b)
}

// missingModuleError is a submission whose module is not in the data dir:
// it cannot be run again.
type missingModuleError struct{ submission, sha string }

func (e *missingModuleError) Error() string {
	return fmt.Sprintf("submission %s: its module %s.wasm is not in the data dir", e.submission, e.sha)
}

func (e *Engine) modulePath(sha string) string {
	return filepath.Join(moduleDir(e.cfg.DataDir), sha+".wasm")
}

// rerun evaluates a stored submission again with its stored module on lt
// and returns it with its new outcome (not recorded). A failure of the
// model is an outcome; an error is returned when the host failed (the
// module missing, the sandbox's own fault) or ctx ended: nothing is then
// known of the submission, which keeps its stored outcome.
func (e *Engine) rerun(ctx context.Context, lt *loadedTask, ls leaderboard.Submission) (Submission, error) {
	sub := fromStore(ls)
	module, err := os.ReadFile(e.modulePath(sub.ModuleSHA256))
	if errors.Is(err, os.ErrNotExist) {
		return sub, &missingModuleError{submission: sub.ID, sha: sub.ModuleSHA256}
	}
	if err != nil {
		return sub, fmt.Errorf("submission %s: read its module: %w", sub.ID, err)
	}
	sub.Scores, sub.Gates, sub.diag, sub.Error, sub.hostError = Scores{}, nil, nil, nil, false
	start := time.Now()
	lim, err := e.limitsAt(&lt.task, sub.Created)
	if err != nil {
		return sub, err
	}
	res, det, err := e.runWith(ctx, lt, Spec{Limits: lim}.sandboxLimits(), module, nil)
	sub.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, sandbox.ErrTimeout) {
			return sub, fmt.Errorf("submission %s: %w", sub.ID, context.Cause(ctx))
		}
		switch kind := sandbox.KindOf(err); kind {
		case "", sandbox.KindInternal, sandbox.KindCrash:
			return sub, fmt.Errorf("submission %s: run: %w", sub.ID, err)
		default:
			markFailed(&sub, failure(kind, err))
			return sub, nil
		}
	}
	if testHookRerun != nil {
		testHookRerun(sub.ID)
	}
	outs := res.Outputs
	if err := lt.checkOutputs(outs); err != nil {
		markFailed(&sub, failure(sandbox.KindBadOutput, err))
		return sub, nil
	}
	scores, err := lt.score(outs, sub.ModuleSHA256)
	var se *scoreError
	if errors.As(err, &se) {
		markFailed(&sub, se.submissionError())
		return sub, nil
	}
	if err != nil {
		return sub, fmt.Errorf("submission %s: score: %w", sub.ID, err)
	}
	sub.Status, sub.Scores, sub.diag = StatusScored, scores, lt.diagnose(outs)
	if !lt.task.Spec.Gates.Empty() {
		var base [][]float64
		if lt.task.Spec.Gates.BeatsBaseline != nil && !sub.Baseline {
			if base, err = e.baselineOutputs(ctx, lt); err != nil {
				return sub, fmt.Errorf("submission %s: baseline: %w", sub.ID, err)
			}
		}
		sub.Gates = lt.gates(measured{res: res, det: det, moduleBytes: len(module), sha: sub.ModuleSHA256}, base, false)
	}
	return sub, nil
}

// Verify re-runs a task's submissions (see VerifyOptions) with their
// stored modules on the task's stored dataset, stores nothing, and
// compares each outcome with the stored one bit for bit: status, error
// kind, public and private scores and their intervals. A submission whose
// module is missing from the data dir is a mismatch of field "module". Evaluations are
// deterministic (the sandbox has no clock, entropy or I/O; the bootstrap
// is seeded by the task, the part and the module), so any mismatch means
// the stored record and the re-run differ: a changed dataset, metric or
// engine. Host only: the report names private values.
func (e *Engine) Verify(ctx context.Context, task string, opts VerifyOptions) (*VerifyReport, error) {
	e.rescoreMu.Lock()
	defer e.rescoreMu.Unlock()
	t, err := e.Task(task)
	if err != nil {
		return nil, err
	}
	if err := checkSelection(opts.Submissions); err != nil {
		return nil, err
	}
	if err := phaseDataUnsupported(t, "verify"); err != nil {
		return nil, err
	}
	if r, err := e.store.ActiveRescore(task); err == nil {
		return nil, fmt.Errorf("task %q: rescore %s is unfinished (%d of %d done); finish it (verdict task rescore %s) before verifying: %w",
			task, r.ID, len(r.Done), len(r.Submissions), task, ErrBadRequest)
	}
	ids, err := e.selectSubmissions(t, opts.Submissions)
	if err != nil {
		return nil, err
	}
	lt, err := e.load(task)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Task: task, DatasetSHA256: lt.task.DatasetSHA256, Mismatches: []Mismatch{}}
	onDev, err := e.scoredOnDev(t)
	if err != nil {
		return nil, err
	}
	var dev *loadedTask
	defer func() {
		if dev != nil {
			dev.release()
		}
	}()
	for _, id := range ids {
		ls, err := e.store.Submission(id)
		if err != nil {
			return nil, fmt.Errorf("verify: submission %s: %w", id, err)
		}
		on := lt
		if onDev(ls) {
			// Scored on the development data, and not re-run since: it
			// is checked there.
			if dev == nil {
				if dev, err = e.openDev(t); err != nil {
					return nil, fmt.Errorf("verify task %q: submission %s was scored on the development data: %w", task, ShortID(id), err)
				}
			}
			on = dev
		}
		got, err := e.rerun(ctx, on, ls)
		var missing *missingModuleError
		var ms []Mismatch
		switch {
		case errors.As(err, &missing):
			ms = []Mismatch{{Submission: ls.ID, Participant: ls.Participant, Field: "module", Stored: ls.ModuleSHA256, Got: "missing from the data dir"}}
		case err != nil:
			return nil, fmt.Errorf("verify task %q: %w", task, err)
		default:
			ms = compare(fromStore(ls), got)
		}
		rep.Checked++
		if len(ms) == 0 {
			rep.Matched++
		}
		rep.Mismatches = append(rep.Mismatches, ms...)
	}
	return rep, nil
}

// compare lists the values of stored that got does not reproduce bit for
// bit.
func compare(stored, got Submission) []Mismatch {
	var out []Mismatch
	add := func(field, s, g string) {
		if s != g {
			out = append(out, Mismatch{Submission: stored.ID, Participant: stored.Participant, Field: field, Stored: s, Got: g})
		}
	}
	add("status", string(stored.Status), string(got.Status))
	add("error", outcomeOf(stored).Error, outcomeOf(got).Error)
	add("public", bits(stored.Scores.Public), bits(got.Scores.Public))
	add("private", bits(stored.Scores.Private), bits(got.Scores.Private))
	for _, iv := range []struct {
		name   string
		st, gt *Interval
	}{{"public_ci", stored.Scores.PublicCI, got.Scores.PublicCI}, {"private_ci", stored.Scores.PrivateCI, got.Scores.PrivateCI}} {
		if (iv.st == nil) != (iv.gt == nil) {
			add(iv.name, present(iv.st != nil), present(iv.gt != nil))
			continue
		}
		if iv.st == nil {
			continue
		}
		add(iv.name+".low", bits(&iv.st.Low), bits(&iv.gt.Low))
		add(iv.name+".high", bits(&iv.st.High), bits(&iv.gt.High))
		add(iv.name+".level", bits(&iv.st.Level), bits(&iv.gt.Level))
		add(iv.name+".resamples", strconv.Itoa(iv.st.Resamples), strconv.Itoa(iv.gt.Resamples))
	}
	return out
}

func present(ok bool) string {
	if ok {
		return "present"
	}
	return "absent"
}

// bits formats a float64 with its bits, or "none".
func bits(f *float64) string {
	if f == nil {
		return "none"
	}
	return fmt.Sprintf("%v (%#016x)", *f, math.Float64bits(*f))
}

// phaseDataUnsupported refuses what a host may not yet do (action) on a
// task whose development phases have their own data: rescore and verify
// re-run on one dataset, and their submissions were scored on several.
func phaseDataUnsupported(t *Task, action string) error {
	for i, p := range t.Spec.Phases {
		if _, ok := t.PhaseData[p.ID]; ok {
			return fmt.Errorf("task %q: %s is not supported yet for a task whose development phases have their own data (phases[%d].data, phase %q): its submissions were scored on more than one dataset: %w",
				t.Spec.ID, action, i, p.ID, ErrBadRequest)
		}
	}
	return nil
}
