package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox"
)

// SubmitRequest is one submission.
type SubmitRequest struct {
	Task        string
	Participant string
	Module      []byte
	// KeepPredictions returns the guest's outputs on the Submission.
	KeepPredictions bool
	// Signed is the participant's signed statement of this submission
	// (credential.SignSubmission's Raw), nil for an unsigned one. A signed
	// submission is verified against the task, the module's SHA-256 and
	// the engine's clock (within credential.DefaultSubmissionWindow), its
	// signature is accepted at most once, and its signer's did:key is the
	// participant: Participant must be "" or that DID.
	Signed []byte
	// License is the licence the participant offers the model under if
	// it is certified and enters the marketplace: an SPDX identifier
	// ("Apache-2.0") or a short text, at most MaxLicenseLength bytes of
	// printable text; "" means none given (the card says "unspecified").
	License string
	// Name is an optional display name shown beside the participant's id
	// (most useful when that id is a did:key): at most MaxNameLength
	// bytes of printable text. It is what the submitter claims, not
	// something the engine verifies; a leaderboard shows it with the id.
	Name string
	// Baseline marks a host's reference submission: scored and shown on
	// the leaderboard as a reference line, never ranked, never charged to a
	// quota, accepted outside the schedule. Only a host may set it.
	Baseline bool
	// Progress, if not nil, is told the rows the model has predicted so
	// far and the rows it must predict while the submission runs (total
	// counts every run: twice the test rows with the deterministic gate).
	// It is called from the worker evaluating it, at most every
	// sandbox.ProgressInterval, and must be quick. A duplicate of a
	// submission in flight is not followed.
	Progress func(done, total int)
}

// job is one accepted submission waiting for, or in, a worker.
type job struct {
	sub    Submission
	module []byte
	keep   bool
	lt     *loadedTask
	lim    sandbox.Limits // the limits of the phase it was made in
	done   chan struct{}
	res    *Submission
	err    error

	progress func(done, total int) // SubmitRequest.Progress
	rowsMu   sync.Mutex
	rows     [2]int // done, total of the running evaluation; total 0 before
}

// setRows records the rows done of j's evaluation and tells its waiter.
func (j *job) setRows(done, total int) {
	j.rowsMu.Lock()
	j.rows = [2]int{done, total}
	j.rowsMu.Unlock()
	if j.progress != nil {
		j.progress(done, total)
	}
}

// Progress reports the rows predicted so far and the rows to predict of a
// submission this engine is evaluating (total counts every run: twice the
// test rows with the deterministic gate). ok is false when the
// submission is not running here: queued, finished, evaluated by another
// process, or unknown. The caller checks who may see it.
func (e *Engine) Progress(id string) (done, total int, ok bool) {
	e.mu.Lock()
	j := e.inflight[id]
	e.mu.Unlock()
	if j == nil {
		return 0, 0, false
	}
	j.rowsMu.Lock()
	defer j.rowsMu.Unlock()
	if j.rows[1] == 0 {
		return 0, 0, false
	}
	return j.rows[0], j.rows[1], true
}

// Submit accepts a submission (see Enqueue) and waits for its evaluation.
// A submission that fails because of the model is not an error: it comes
// back with Status "failed" and Error set. An error is returned when the
// request is refused (ErrBadRequest, ErrNotFound, ErrNotOpen, ErrClosed, a
// *QuotaError, ErrQueueFull) or when the host failed; in the last case the
// submission comes back too, recorded as failed with kind "host".
//
// A participant (or team) submitting a module they already submitted gets
// the earlier submission back, with Duplicate set, and is not charged.
//
// The submission comes back as the host sees it (private score, the
// details of a failure): show a participant only what Submission(id, v)
// returns.
func (e *Engine) Submit(ctx context.Context, req SubmitRequest) (*Submission, error) {
	j, dup, err := e.accept(req)
	if err != nil {
		return nil, err
	}
	if dup != nil {
		if j == nil {
			return dup, nil
		}
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if dup != nil && j.res != nil {
		res := *j.res
		res.Duplicate = true
		return &res, j.err
	}
	return j.res, j.err
}

// Enqueue accepts a submission and returns as soon as it is queued: it is
// recorded (received, then queued, each committed before Enqueue returns)
// and a worker will evaluate it. It refuses what Submit refuses; a
// duplicate returns the earlier submission, as the host sees it (see
// Submit).
func (e *Engine) Enqueue(ctx context.Context, req SubmitRequest) (*Submission, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j, dup, err := e.accept(req)
	if err != nil {
		return nil, err
	}
	if dup != nil {
		return dup, nil
	}
	s := j.sub
	return &s, nil
}

// accept validates, checks the schedule, reserves a place in the queue,
// records the submission under its quota and queues it. For a duplicate it
// returns the earlier submission and, if that one is still being
// evaluated here, its job.
func (e *Engine) accept(req SubmitRequest) (*job, *Submission, error) {
	sum := sha256.Sum256(req.Module)
	sha := hex.EncodeToString(sum[:])
	var signature string
	if req.Signed != nil {
		signed, err := credential.VerifySubmission(req.Signed, credential.SubmissionCheck{
			Task: req.Task, ModuleSHA256: sha, Now: e.cfg.Now(),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("signed submission: %w: %w", err, ErrSignature)
		}
		if req.Participant != "" && req.Participant != signed.Signer {
			return nil, nil, fmt.Errorf("participant %q: not the signer %s (leave it out of a signed submission): %w", req.Participant, signed.Signer, ErrBadRequest)
		}
		req.Participant, signature = signed.Signer, signed.Signature
		// Held until the submission is recorded: see sigMu.
		e.sigMu.Lock()
		defer e.sigMu.Unlock()
		if err := e.checkReplay(req.Task, req.Participant, signature); err != nil {
			return nil, nil, err
		}
	}
	if !participantPattern.MatchString(req.Participant) {
		return nil, nil, fmt.Errorf("participant %q: must be 1 to 128 characters of letters, digits and ._:@+- starting with a letter or digit: %w", req.Participant, ErrBadRequest)
	}
	if len(req.Module) == 0 {
		return nil, nil, fmt.Errorf("module: empty: %w", ErrBadRequest)
	}
	if err := checkLicense(req.License); err != nil {
		return nil, nil, err
	}
	if err := checkName(req.Name); err != nil {
		return nil, nil, err
	}
	lt, err := e.load(req.Task)
	if err != nil {
		return nil, nil, err
	}
	now := e.cfg.Now().UTC()
	spec := lt.task.Spec
	if !req.Baseline {
		if err := checkSchedule(spec, now); err != nil {
			return nil, nil, err
		}
		if err := e.checkPhase(&lt.task, now); err != nil {
			return nil, nil, err
		}
		if spec.RequireSigned && signature == "" {
			return nil, nil, fmt.Errorf("task %q accepts only submissions signed with the participant's key (verdict submit --key FILE): %w", req.Task, ErrUnsigned)
		}
		// The participant submits: an unlisted task they may not see is
		// not found, as an absent one.
		if err := e.access(&lt.task, Viewer{Participant: req.Participant}); err != nil {
			return nil, nil, err
		}
	}

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, nil, ErrEngineClosed
	}
	if e.pending >= cap(e.queue) {
		e.mu.Unlock()
		return nil, nil, fmt.Errorf("%d submissions are waiting: %w", cap(e.queue), ErrQueueFull)
	}
	e.pending++
	e.mu.Unlock()
	queued := false
	defer func() {
		if !queued {
			e.mu.Lock()
			e.pending--
			e.mu.Unlock()
		}
	}()

	// A submission made in a phase is scored on the phase's data (its
	// own, or the task's) and ranked on its board.
	lt, phase, err := e.loadAt(&lt.task, now)
	if err != nil {
		return nil, nil, err
	}
	sub := Submission{
		Phase:        phase,
		ID:           uuid.Must(uuid.NewV7()).String(),
		Task:         req.Task,
		Participant:  req.Participant,
		ModuleSHA256: sha,
		Signature:    signature,
		License:      req.License,
		Name:         req.Name,
		Created:      now,
		Updated:      now,
		Status:       StatusReceived,
		Baseline:     req.Baseline,
	}
	ls, err := toStore(&sub)
	if err != nil {
		return nil, nil, err
	}
	// The limits of the phase the submission is made in.
	lim, err := e.limitsAt(&lt.task, now)
	if err != nil {
		return nil, nil, err
	}
	quota, err := e.quotaAt(&lt.task, now)
	if err != nil {
		return nil, nil, err
	}
	stored, err := e.store.CreateSubmission(ls, quota)
	var dupErr *leaderboard.DuplicateError
	var quotaErr *leaderboard.QuotaError
	switch {
	case errors.As(err, &dupErr):
		prev := fromStore(dupErr.Existing)
		prev.Duplicate = true
		e.mu.Lock()
		j := e.inflight[prev.ID]
		e.mu.Unlock()
		return j, &prev, nil
	case errors.As(err, &quotaErr):
		qe := &QuotaError{Participant: req.Participant, Team: teamName(quotaErr.Entrant),
			Limit: quotaErr.Limit, Max: quotaErr.Max, Next: quotaErr.Next}
		if quotaErr.Limit == "total" && e.phaseTotal(&lt.task, now) {
			qe.Phase = phase
		}
		return nil, nil, qe
	case errors.Is(err, leaderboard.ErrClosed):
		if st, err := e.store.TaskState(req.Task); err == nil && !st.Closed.IsZero() {
			return nil, nil, fmt.Errorf("task %q closed at %s (now %s): %w", req.Task,
				st.Closed.UTC().Format(time.RFC3339), now.Format(time.RFC3339), ErrClosed)
		}
		return nil, nil, fmt.Errorf("task %q: %w", req.Task, ErrClosed)
	case err != nil:
		return nil, nil, fmt.Errorf("record submission: %w", err)
	}
	sub = fromStore(stored)
	if max := spec.sandboxLimits().MaxModuleBytes; int64(len(req.Module)) > max {
		// Refused without running: the model's fault, so charged.
		err := e.fail(&sub, "invalid_module", fmt.Errorf("module is %d bytes, above the task's limit of %d", len(req.Module), max))
		return &job{sub: sub, res: &sub, err: err, done: closedChan()}, nil, nil
	}
	// The module is kept only once the rules accepted the submission (a
	// refused upload writes nothing), and before it is queued: a crash
	// between the record and this write leaves a received submission with
	// no module, which Recover fails as the host's fault (refunded).
	if err := e.saveModule(sub.ModuleSHA256, req.Module); err != nil {
		return nil, nil, e.fail(&sub, "host", fmt.Errorf("save module: %w", err))
	}
	sub.Status = StatusQueued
	if err := e.record(&sub); err != nil {
		return nil, nil, err
	}
	j := &job{sub: sub, module: req.Module, keep: req.KeepPredictions, lt: lt, lim: Spec{Limits: lim}.sandboxLimits(), done: make(chan struct{}), progress: req.Progress}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		// Close began meanwhile: the submission stays queued in the store,
		// for Recover.
		return nil, nil, ErrEngineClosed
	}
	e.inflight[sub.ID] = j
	e.queue <- j // never blocks: at most cap(e.queue) jobs are pending
	queued = true
	return j, nil, nil
}

// checkReplay refuses a signature an earlier submission of participant to
// task already carries. The caller holds sigMu.
func (e *Engine) checkReplay(task, participant, signature string) error {
	if !participantPattern.MatchString(participant) || !taskIDPattern.MatchString(task) {
		return nil // refused below, with a better message
	}
	// The participant's own submissions and, if they are in a team, the
	// team's (where a merge may have moved theirs).
	entrants := []string{participant}
	team, err := e.store.TeamOf(task, participant)
	if err != nil && !errors.Is(err, leaderboard.ErrNotFound) {
		return fmt.Errorf("check replay: %w", err)
	}
	if team != "" {
		entrants = append(entrants, team)
	}
	var subs []leaderboard.Submission
	for _, en := range entrants {
		got, err := e.store.EntrantSubmissions(task, en)
		if err != nil && !errors.Is(err, leaderboard.ErrNotFound) {
			return fmt.Errorf("check replay: %w", err)
		}
		subs = append(subs, got...)
	}
	for _, ls := range subs {
		if ls.Participant != participant {
			continue
		}
		if s := fromStore(ls); s.Signature == signature {
			return fmt.Errorf("this signature was already used by submission %s at %s; sign again to resubmit: %w",
				s.ID, s.Created.UTC().Format(time.RFC3339), ErrReplayed)
		}
	}
	return nil
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// checkSchedule refuses a submission outside the task's schedule.
func checkSchedule(spec Spec, now time.Time) error {
	if start := spec.Schedule.start(); !start.IsZero() && now.Before(start) {
		return fmt.Errorf("task %q opens at %s (now %s): %w", spec.ID, start.Format(time.RFC3339), now.Format(time.RFC3339), ErrNotOpen)
	}
	if end := spec.Schedule.end(); !end.IsZero() && !now.Before(end) {
		return fmt.Errorf("task %q closed at %s (now %s): %w", spec.ID, end.Format(time.RFC3339), now.Format(time.RFC3339), ErrClosed)
	}
	return nil
}

// work is one worker: it evaluates queued jobs until Close.
func (e *Engine) work() {
	defer e.workers.Done()
	for {
		select {
		case <-e.runCtx.Done():
			return
		case j := <-e.queue:
			e.mu.Lock()
			e.pending--
			e.mu.Unlock()
			if e.held(j) { // draining: leave it queued (observe.go)
				continue
			}
			res, err := e.evaluate(j)
			e.finish(j, res, err)
		}
	}
}

// finish hands a job's outcome to its waiters.
func (e *Engine) finish(j *job, res *Submission, err error) {
	e.mu.Lock()
	delete(e.inflight, j.sub.ID)
	e.mu.Unlock()
	j.res, j.err = res, err
	close(j.done)
	e.observe(j, res, err)
}

// evaluate runs, scores and records one submission.
func (e *Engine) evaluate(j *job) (*Submission, error) {
	ctx := e.runCtx
	sub := j.sub
	sub.Status = StatusRunning
	if err := e.record(&sub); err != nil {
		return nil, err
	}
	var res *sandbox.Result
	var det *bool
	var err error
	start := time.Now()
	switch {
	case e.dispatched(j.lt):
		res, det, err = e.runDispatched(ctx, sub.ID, j.lt, j.lim, j.module)
	case e.cfg.Dispatcher != nil:
		// Workers wait on the queue; the evaluations run here are bounded
		// by LocalWorkers, and their time is counted once they start.
		if err = e.acquireLocal(ctx); err == nil {
			start = time.Now()
			res, det, err = e.runWith(ctx, j.lt, j.lim, j.module, j.setRows)
			<-e.local
		}
	default:
		res, det, err = e.runWith(ctx, j.lt, j.lim, j.module, j.setRows)
	}
	sub.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, sandbox.ErrTimeout) {
			// The engine is closing: not the model's fault, and not a
			// failure either. Back to queued, for Recover to run again.
			sub.Status, sub.ElapsedMS = StatusQueued, 0
			_ = e.record(&sub)
			return nil, ErrEngineClosed
		}
		kind := sandbox.KindOf(err)
		if kind == "" {
			kind = "host"
		}
		return &sub, e.fail(&sub, kind, err)
	}
	outs := res.Outputs
	if err := j.lt.checkOutputs(outs); err != nil {
		return &sub, e.fail(&sub, sandbox.KindBadOutput, err)
	}
	scores, err := j.lt.score(outs, sub.ModuleSHA256)
	var se *scoreError
	if errors.As(err, &se) {
		return &sub, e.failWith(&sub, se.submissionError())
	}
	if err != nil {
		return &sub, e.fail(&sub, "host", err)
	}
	sub.Scores = scores
	sub.diag = j.lt.diagnose(outs)
	if !j.lt.task.Spec.Gates.Empty() {
		var base [][]float64
		if j.lt.task.Spec.Gates.BeatsBaseline != nil && !sub.Baseline {
			if base, err = e.baselineOutputs(ctx, j.lt); err != nil {
				return &sub, e.fail(&sub, "host", err)
			}
		}
		sub.Gates = j.lt.gates(measured{res: res, det: det, moduleBytes: len(j.module), sha: sub.ModuleSHA256}, base, false)
	}
	sub.Status = StatusScored
	if err := e.record(&sub); err != nil {
		return nil, err
	}
	if j.keep {
		sub.Predictions = j.lt.predictions(outs)
	}
	return &sub, nil
}

// fail records a failed evaluation. Model failures return nil; host
// failures ("host") are recorded as not charged to the quota and return
// the cause so the caller sees it. The cause of a host failure (or of the
// sandbox's own, KindInternal) is kept as the error's Detail, for the host
// only; a participant reads HostFailureMessage. A sandbox process that crashed
// (sandbox.KindCrash) or a sandbox fault of its own (KindInternal) is not
// the model's doing either: not charged.
func (e *Engine) fail(sub *Submission, kind string, cause error) error {
	if err := e.failWith(sub, failure(kind, cause)); err != nil {
		return err
	}
	if kind == "host" {
		return fmt.Errorf("evaluate submission %s: %w", sub.ID, cause)
	}
	return nil
}

// failure describes a failed evaluation of kind caused by cause: the
// sentence a participant reads (Message), or, for verdict's own failure
// ("host", sandbox.KindInternal), whose cause names the host's files and
// state, HostFailureMessage with the cause as the host's Detail.
func failure(kind string, cause error) *SubmissionError {
	se := &SubmissionError{Kind: kind, Message: Message(cause)}
	if kind == "host" || kind == sandbox.KindInternal {
		se.Message, se.Detail = HostFailureMessage, cause.Error()
	}
	return se
}

// markFailed makes sub a failed evaluation described by se, not charged
// when the failure is not the model's doing.
func markFailed(sub *Submission, se *SubmissionError) {
	sub.Status = StatusFailed
	sub.Error = se
	sub.hostError = se.Kind == "host" || se.Kind == sandbox.KindCrash || se.Kind == sandbox.KindInternal
}

// failWith records a failed evaluation of a model failure described by
// se.
func (e *Engine) failWith(sub *Submission, se *SubmissionError) error {
	markFailed(sub, se)
	return e.record(sub)
}

// Recover runs again every submission the store holds as received, queued
// or running (left so by a crash, a kill or Close), and waits for them. It
// returns how many it ran. A submission whose module is missing from the
// data dir fails with kind "host" (not charged). Then it completes every
// promotion a crash interrupted (see Promote).
func (e *Engine) Recover(ctx context.Context) (int, error) {
	unfinished, err := e.store.Unfinished()
	if err != nil {
		return 0, fmt.Errorf("recover: %w", err)
	}
	var jobs []*job
	for _, ls := range unfinished {
		e.mu.Lock()
		_, busy := e.inflight[ls.ID]
		closed := e.closed
		e.mu.Unlock()
		if closed {
			return len(jobs), ErrEngineClosed
		}
		if busy {
			continue // accepted by this engine: already queued
		}
		sub := fromStore(ls)
		t, err := e.Task(sub.Task)
		if err != nil {
			return len(jobs), fmt.Errorf("recover submission %s: %w", sub.ID, err)
		}
		lt, _, err := e.loadAt(t, sub.Created)
		if err != nil {
			return len(jobs), fmt.Errorf("recover submission %s: %w", sub.ID, err)
		}
		module, err := os.ReadFile(filepath.Join(moduleDir(e.cfg.DataDir), sub.ModuleSHA256+".wasm"))
		if errors.Is(err, os.ErrNotExist) {
			// Recorded, then a crash before the module was kept (accept).
			err = fmt.Errorf("the module was not stored before the server stopped, submit it again (this submission is not charged): %w", os.ErrNotExist)
		}
		if err != nil {
			if err := e.fail(&sub, "host", fmt.Errorf("recover: %w", err)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return len(jobs), err
			}
			continue
		}
		lim, err := e.limitsAt(&lt.task, sub.Created)
		if err != nil {
			return len(jobs), fmt.Errorf("recover submission %s: %w", sub.ID, err)
		}
		j := &job{sub: sub, module: module, lt: lt, lim: Spec{Limits: lim}.sandboxLimits(), done: make(chan struct{})}
		e.mu.Lock()
		e.inflight[sub.ID] = j
		e.pending++
		e.mu.Unlock()
		select {
		case e.queue <- j:
			jobs = append(jobs, j)
		case <-e.runCtx.Done():
			e.mu.Lock()
			e.pending--
			delete(e.inflight, sub.ID)
			e.mu.Unlock()
			return len(jobs), ErrEngineClosed
		case <-ctx.Done():
			e.mu.Lock()
			e.pending--
			delete(e.inflight, sub.ID)
			e.mu.Unlock()
			return len(jobs), ctx.Err()
		}
	}
	var errs []error
	for _, j := range jobs {
		select {
		case <-j.done:
			if j.err != nil && !errors.Is(j.err, ErrEngineClosed) {
				errs = append(errs, j.err)
			}
		case <-ctx.Done():
			return len(jobs), ctx.Err()
		}
	}
	// A promotion a crash interrupted is completed (see Promote), and a
	// task whose schedule ended while no engine ran is certified (looking
	// at its state queues it for the certifier).
	errs = append(errs, e.resumePromotions(ctx))
	ts, err := e.Tasks()
	errs = append(errs, err)
	for _, t := range ts {
		_, err := e.TaskState(t.Spec.ID)
		errs = append(errs, err)
	}
	return len(jobs), errors.Join(errs...)
}

// saveModule keeps the submitted bytes, named by their hash, so that a
// result can always be traced to (and re-run from) the exact module.
func (e *Engine) saveModule(sha string, module []byte) error {
	path := filepath.Join(moduleDir(e.cfg.DataDir), sha+".wasm")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	return writeFileAtomic(path, module)
}

// MaxNameLength bounds SubmitRequest.Name, in bytes.
const MaxNameLength = 64

// checkName checks SubmitRequest.Name.
func checkName(n string) error {
	if len(n) > MaxNameLength {
		return fmt.Errorf("name: %d bytes, more than %d: %w", len(n), MaxNameLength, ErrBadRequest)
	}
	if n != strings.TrimSpace(n) || !utf8.ValidString(n) || strings.IndexFunc(n, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("name %.40q: not printable text without leading or trailing space: %w", n, ErrBadRequest)
	}
	return nil
}
