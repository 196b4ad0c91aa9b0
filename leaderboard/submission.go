package leaderboard

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Status is where a submission is in the engine's pipeline.
type Status string

// Statuses in pipeline order. Scored and Failed are terminal for the engine,
// but the store accepts any transition (a re-run may move a failed
// submission back to Queued, a rescore may change a score) and keeps the
// rankings consistent with whatever it was last told.
const (
	Received Status = "received"
	Queued   Status = "queued"
	Running  Status = "running"
	Scored   Status = "scored"
	Failed   Status = "failed"
)

func (st Status) valid() bool {
	switch st {
	case Received, Queued, Running, Scored, Failed:
		return true
	}
	return false
}

// counted reports whether a submission in this status counts towards a
// participant's Entry.Submissions.
func (st Status) counted() bool { return st == Scored || st == Failed }

// Submission is one participant's model run against one task.
type Submission struct {
	ID           string // uuid (github.com/google/uuid) string
	Task         string
	Participant  string
	ModuleSHA256 string
	Created      time.Time
	Status       Status
	Public       *float64 // nil until scored
	Private      *float64 // nil until scored or when the task has no private part
	ErrorKind    string   // when Failed
	ErrorMessage string
	Elapsed      time.Duration
	// Detail is opaque JSON owned by the engine (confidence intervals,
	// measurements); stored and returned as is, never interpreted here.
	Detail []byte
}

// score returns the submission's score on board bd if it is ranked there:
// only Scored submissions are.
func (sub *Submission) score(bd board) *float64 {
	if sub == nil || sub.Status != Scored {
		return nil
	}
	if bd == boardPrivate {
		return sub.Private
	}
	return sub.Public
}

// Unix nanoseconds cover 1677-09-21 to 2262-04-11.
var (
	minCreated = time.Unix(0, math.MinInt64)
	maxCreated = time.Unix(0, math.MaxInt64)
)

func (sub *Submission) validate() error {
	for _, id := range []struct{ kind, s string }{
		{"submission", sub.ID}, {"task", sub.Task}, {"participant", sub.Participant},
	} {
		if err := checkID(id.kind, id.s); err != nil {
			if id.kind == "submission" {
				return err
			}
			return fmt.Errorf("submission %q: %w", sub.ID, err)
		}
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("submission %q: %w: %s", sub.ID, ErrInvalidSubmission, fmt.Sprintf(format, args...))
	}
	if !sub.Status.valid() {
		return invalid("unknown status %q", sub.Status)
	}
	if sub.Created.IsZero() || sub.Created.Before(minCreated) || sub.Created.After(maxCreated) {
		return invalid("created %v outside %v to %v", sub.Created, minCreated.UTC(), maxCreated.UTC())
	}
	if sub.Status == Scored && sub.Public == nil {
		return invalid("scored without a public score")
	}
	for _, sc := range []struct {
		name string
		v    *float64
	}{{"public", sub.Public}, {"private", sub.Private}} {
		if sc.v != nil && (math.IsNaN(*sc.v) || math.IsInf(*sc.v, 0)) {
			return invalid("%s score %v is not finite", sc.name, *sc.v)
		}
	}
	return nil
}

// PutSubmission inserts sub or replaces the stored submission with its ID
// (a status transition). The task must exist, and an update may not change
// Task, Participant or Created. Whatever the change, the participant's best
// entries on both boards are brought up to date in the same transaction,
// which is synced before PutSubmission returns.
func (s *Store) PutSubmission(sub Submission) error {
	if err := sub.validate(); err != nil {
		return err
	}
	val, err := encodeSubmission(sub)
	if err != nil {
		return fmt.Errorf("encode submission %q: %w", sub.ID, err)
	}
	err = s.update(func(txn *badger.Txn) error {
		task, err := getTask(txn, sub.Task)
		if err != nil {
			return err
		}
		old, err := getSubmission(txn, sub.ID)
		switch {
		case err == nil:
			if old.Task != sub.Task || old.Participant != sub.Participant || !old.Created.Equal(sub.Created) {
				return fmt.Errorf("%w: task, participant and created of a stored submission cannot change",
					ErrInvalidSubmission)
			}
		case isNotFound(err):
			old = nil
		default:
			return err
		}

		created := sub.Created.UnixNano()
		if err := txn.Set(key{table: tableOrder, task: sub.Task, created: created, id: sub.ID}.encode(), nil); err != nil {
			return err
		}
		for _, bd := range []board{boardPublic, boardPrivate} {
			before, after := old.score(bd), sub.score(bd)
			if before == nil && after == nil {
				continue
			}
			sk := key{table: tableScore, task: sub.Task, participant: sub.Participant,
				board: bd, higher: task.HigherIsBetter, created: created, id: sub.ID}
			if before != nil {
				sk.score = *before
				if err := txn.Delete(sk.encode()); err != nil {
					return err
				}
			}
			if after != nil {
				sk.score = *after
				if err := txn.Set(sk.encode(), nil); err != nil {
					return err
				}
			}
			if err := refreshBest(txn, task, sub.Participant, bd); err != nil {
				return err
			}
		}

		// The count key is read and written by every put for this
		// participant, even when the count is unchanged: that makes any two
		// concurrent puts for one participant conflict, so refreshBest never
		// works from a stale view of the participant's scores.
		ck := key{table: tableCount, task: sub.Task, participant: sub.Participant}.encode()
		n, err := getCount(txn, ck)
		if err != nil {
			return err
		}
		if old != nil && old.Status.counted() {
			n--
		}
		if sub.Status.counted() {
			n++
		}
		if err := txn.Set(ck, binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return err
		}
		return txn.Set(key{table: tableSubmission, id: sub.ID}.encode(), val)
	})
	if err != nil {
		return fmt.Errorf("put submission %q: %w", sub.ID, err)
	}
	return nil
}

// Submission returns the submission with the given id, or an error wrapping
// ErrNotFound.
func (s *Store) Submission(id string) (Submission, error) {
	if err := checkID("submission", id); err != nil {
		return Submission{}, err
	}
	var sub *Submission
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		sub, err = getSubmission(txn, id)
		return err
	})
	if err != nil {
		return Submission{}, err
	}
	return *sub, nil
}

// Submissions returns every submission to task in submission order: by
// Created, then by ID. It returns ErrNotFound if the task does not exist.
func (s *Store) Submissions(task string) ([]Submission, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	subs := []Submission{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: orderPrefix(task)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return fmt.Errorf("task %q: order index: %w", task, err)
			}
			sub, err := getSubmission(txn, k.id)
			if err != nil {
				return fmt.Errorf("task %q: order index: %w", task, err)
			}
			subs = append(subs, *sub)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return subs, nil
}

func getSubmission(txn *badger.Txn, id string) (*Submission, error) {
	v, found, err := get(txn, key{table: tableSubmission, id: id}.encode())
	if err != nil {
		return nil, fmt.Errorf("submission %q: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("submission %q: %w", id, ErrNotFound)
	}
	sub, err := decodeSubmission(v)
	if err != nil {
		return nil, fmt.Errorf("decode submission %q: %w", id, err)
	}
	if sub.ID != id {
		return nil, fmt.Errorf("decode submission %q: %w: record holds id %q", id, ErrCorrupt, sub.ID)
	}
	return &sub, nil
}

func getCount(txn *badger.Txn, k []byte) (uint64, error) {
	v, found, err := get(txn, k)
	if err != nil || !found {
		return 0, err
	}
	return getCountValue(k, v)
}

func getCountValue(k, v []byte) (uint64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("count key %x: %w: %d-byte value", k, ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}
