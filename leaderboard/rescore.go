package leaderboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Rescore is a host's re-run of a task's submissions (tables 0x1e and
// 0x1f): the plan, written once by BeginRescore, and a step per
// submission re-run, each written in the transaction that records the
// submission's new scores. A task has at most one unfinished rescore; a
// crash leaves it unfinished, and the steps say what is already done, so a
// resumed rescore never runs a submission twice.
type Rescore struct {
	ID       string // the engine's; ids sort in the order rescores began
	Task     string
	Started  time.Time
	Finished time.Time // zero while unfinished
	// Submissions are the ids to re-run, in order.
	Submissions []string
	// Detail is opaque JSON owned by the engine (its options, the boards
	// before, the report); stored and returned as is.
	Detail []byte
	// Done are the steps taken so far, in the order of Submissions; set
	// by reads.
	Done []RescoreStep
}

// RescoreStep is one submission re-run by a rescore.
type RescoreStep struct {
	Submission string
	Time       time.Time
	// Before is the submission as stored before the re-run: its old
	// scores stay here after the re-run replaces them.
	Before Submission
}

type rescoreRecord struct {
	V           int       `json:"v"`
	ID          string    `json:"id"`
	Task        string    `json:"task"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished,omitzero"`
	Submissions []string  `json:"submissions"`
	Detail      []byte    `json:"detail,omitempty"`
}

type rescoreStepRecord struct {
	V      int             `json:"v"`
	Time   time.Time       `json:"time"`
	Before json.RawMessage `json:"before"` // a submission record
}

// BeginRescore records r's plan. When spec is not nil it replaces the
// task's spec in the same transaction (the engine's record of a new
// dataset). It refuses, with ErrExists, a task that has an unfinished
// rescore, and a rescore id already used.
func (s *Store) BeginRescore(r Rescore, spec []byte) error {
	if err := checkID("task", r.Task); err != nil {
		return err
	}
	if err := checkID("rescore", r.ID); err != nil {
		return err
	}
	for _, id := range r.Submissions {
		if err := checkID("submission", id); err != nil {
			return fmt.Errorf("rescore %q: %w", r.ID, err)
		}
	}
	val, err := json.Marshal(rescoreRecord{V: recordVersion, ID: r.ID, Task: r.Task, Started: r.Started.UTC(),
		Submissions: r.Submissions, Detail: r.Detail})
	if err != nil {
		return fmt.Errorf("encode rescore %q: %w", r.ID, err)
	}
	return s.update(func(txn *badger.Txn) error {
		t, err := getTask(txn, r.Task)
		if err != nil {
			return err
		}
		active, err := activeRescore(txn, r.Task)
		if err != nil {
			return err
		}
		if active != nil {
			return fmt.Errorf("task %q: rescore %s began %s and is unfinished: %w", r.Task, active.ID,
				active.Started.Format(time.RFC3339), ErrExists)
		}
		k := key{table: tableRescore, task: r.Task, id: r.ID}.encode()
		if _, found, err := get(txn, k); err != nil {
			return err
		} else if found {
			return fmt.Errorf("task %q: rescore %q: %w", r.Task, r.ID, ErrExists)
		}
		if spec != nil {
			t.Spec = spec
			tv, err := encodeTask(t)
			if err != nil {
				return fmt.Errorf("encode task %q: %w", t.ID, err)
			}
			if err := txn.Set(key{table: tableTask, task: t.ID}.encode(), tv); err != nil {
				return err
			}
		}
		return txn.Set(k, val)
	})
}

// RescoreSubmission records sub, re-run by the task's unfinished rescore
// id, and the step that keeps the submission as it was, in one
// transaction: either both or neither are written. It refuses a
// submission the rescore does not plan, and, with ErrExists, one it
// already re-ran (its steps are the resume point). Like Put, it keeps the
// entrant's rankings up to date and returns the submission as stored; it
// never charges a quota. Under the Ladder, a new public score makes the
// entrant's shown scores decided again, in submission order, from the
// scores now stored (a Put keeps a shown score once decided).
func (s *Store) RescoreSubmission(task, id string, sub Submission) (Submission, error) {
	if err := sub.validate(); err != nil {
		return sub, err
	}
	if sub.Task != task {
		return sub, fmt.Errorf("rescore %q: submission %q is of task %q, not %q: %w", id, sub.ID, sub.Task, task, ErrInvalidSubmission)
	}
	var stored Submission
	err := s.update(func(txn *badger.Txn) error {
		t, err := getTask(txn, task)
		if err != nil {
			return err
		}
		r, err := getRescore(txn, task, id)
		if err != nil {
			return err
		}
		if !r.Finished.IsZero() {
			return fmt.Errorf("rescore %q finished at %s: %w", id, r.Finished.Format(time.RFC3339), ErrClosed)
		}
		if !slices.Contains(r.Submissions, sub.ID) {
			return fmt.Errorf("rescore %q: submission %q is not in its plan: %w", id, sub.ID, ErrNotFound)
		}
		sk := key{table: tableRescoreRun, task: task, participant: id, id: sub.ID}.encode()
		if _, found, err := get(txn, sk); err != nil {
			return err
		} else if found {
			return fmt.Errorf("rescore %q: submission %q already re-run: %w", id, sub.ID, ErrExists)
		}
		old, err := getSubmission(txn, sub.ID)
		if err != nil {
			return err
		}
		before, err := encodeSubmission(*old)
		if err != nil {
			return err
		}
		step, err := json.Marshal(rescoreStepRecord{V: recordVersion, Time: sub.at().UTC(), Before: before})
		if err != nil {
			return err
		}
		if stored, err = s.put(txn, t, old, sub); err != nil {
			return err
		}
		if t.LadderStep > 0 && !sub.Baseline && !sameScore(old.Public, sub.Public) {
			if err := s.replayLadder(txn, t, stored.entrant(), sub.at()); err != nil {
				return err
			}
			if stored, err = getSubmissionValue(txn, sub.ID); err != nil {
				return err
			}
		}
		return txn.Set(sk, step)
	})
	if err != nil {
		return sub, fmt.Errorf("rescore submission %q: %w", sub.ID, err)
	}
	return stored, nil
}

// replayLadder decides again the shown score of each of entrant's
// submissions, in submission order, from a fresh Ladder: what the Ladder
// would have shown had the scores always been the ones now stored. Each
// submission is taken off every index and put again, as a team merge does.
func (s *Store) replayLadder(txn *badger.Txn, task Task, entrant string, at time.Time) error {
	var subs []Submission
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskParticipantPrefix(tableEntrant, task.ID, entrant)})
	for it.Rewind(); it.Valid(); it.Next() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			it.Close()
			return err
		}
		sub, err := getSubmission(txn, k.id)
		if err != nil {
			it.Close()
			return err
		}
		subs = append(subs, *sub)
	}
	it.Close()
	for i := range subs {
		if err := s.unindex(txn, task, &subs[i], at); err != nil {
			return err
		}
	}
	for _, table := range []byte{tableLadder, tableCount} {
		if err := txn.Delete(key{table: table, task: task.ID, participant: entrant}.encode()); err != nil {
			return err
		}
	}
	if err := deletePhaseLadders(txn, task.ID, entrant); err != nil {
		return err
	}
	for _, sub := range subs {
		sub.Shown, sub.Updated = nil, at
		if _, err := s.put(txn, task, nil, sub); err != nil {
			return err
		}
	}
	return nil
}

func getSubmissionValue(txn *badger.Txn, id string) (Submission, error) {
	sub, err := getSubmission(txn, id)
	if err != nil {
		return Submission{}, err
	}
	return *sub, nil
}

func sameScore(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// FinishRescore marks the task's rescore id finished at at, with the
// engine's detail (its report) replacing the plan's, and records audit,
// if not nil, in the same transaction.
func (s *Store) FinishRescore(task, id string, at time.Time, detail []byte, audit *AuditEntry) error {
	return s.update(func(txn *badger.Txn) error {
		r, err := getRescore(txn, task, id)
		if err != nil {
			return err
		}
		if !r.Finished.IsZero() {
			return nil
		}
		val, err := json.Marshal(rescoreRecord{V: recordVersion, ID: r.ID, Task: r.Task, Started: r.Started,
			Finished: at.UTC(), Submissions: r.Submissions, Detail: detail})
		if err != nil {
			return err
		}
		if audit != nil {
			audit.Task = task
			if err := s.appendAudit(txn, *audit); err != nil {
				return err
			}
		}
		return txn.Set(key{table: tableRescore, task: task, id: id}.encode(), val)
	})
}

// ActiveRescore returns the task's unfinished rescore with its steps, or
// an error wrapping ErrNotFound when there is none.
func (s *Store) ActiveRescore(task string) (Rescore, error) {
	if err := checkID("task", task); err != nil {
		return Rescore{}, err
	}
	var out Rescore
	err := s.db.View(func(txn *badger.Txn) error {
		r, err := activeRescore(txn, task)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("task %q: unfinished rescore: %w", task, ErrNotFound)
		}
		out, err = withSteps(txn, *r)
		return err
	})
	return out, err
}

// Rescores returns every rescore of the task, with its steps, in the
// order they began.
func (s *Store) Rescores(task string) ([]Rescore, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	out := []Rescore{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		rs, err := rescores(txn, task)
		if err != nil {
			return err
		}
		for _, r := range rs {
			r, err := withSteps(txn, r)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func rescores(txn *badger.Txn, task string) ([]Rescore, error) {
	var out []Rescore
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(tableRescore, task), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		r, err := decodeRescore(v)
		if err != nil {
			return nil, fmt.Errorf("task %q: rescore: %w", task, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func activeRescore(txn *badger.Txn, task string) (*Rescore, error) {
	rs, err := rescores(txn, task)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].Finished.IsZero() {
			return &rs[i], nil
		}
	}
	return nil, nil
}

func getRescore(txn *badger.Txn, task, id string) (Rescore, error) {
	if err := checkID("rescore", id); err != nil {
		return Rescore{}, err
	}
	v, found, err := get(txn, key{table: tableRescore, task: task, id: id}.encode())
	if err != nil {
		return Rescore{}, err
	}
	if !found {
		return Rescore{}, fmt.Errorf("task %q: rescore %q: %w", task, id, ErrNotFound)
	}
	return decodeRescore(v)
}

func decodeRescore(v []byte) (Rescore, error) {
	var rec rescoreRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return Rescore{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if rec.V != recordVersion {
		return Rescore{}, fmt.Errorf("%w: record version %d, want %d", ErrCorrupt, rec.V, recordVersion)
	}
	return Rescore{ID: rec.ID, Task: rec.Task, Started: rec.Started, Finished: rec.Finished,
		Submissions: rec.Submissions, Detail: rec.Detail}, nil
}

// withSteps reads r's steps, in the order of r.Submissions.
func withSteps(txn *badger.Txn, r Rescore) (Rescore, error) {
	r.Done = nil
	for _, id := range r.Submissions {
		v, found, err := get(txn, key{table: tableRescoreRun, task: r.Task, participant: r.ID, id: id}.encode())
		if err != nil {
			return r, err
		}
		if !found {
			continue
		}
		var rec rescoreStepRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return r, fmt.Errorf("rescore %q: step %q: %w: %w", r.ID, id, ErrCorrupt, err)
		}
		before, err := decodeSubmission(rec.Before)
		if err != nil {
			return r, fmt.Errorf("rescore %q: step %q: %w", r.ID, id, err)
		}
		r.Done = append(r.Done, RescoreStep{Submission: id, Time: rec.Time, Before: before})
	}
	return r, nil
}
