package leaderboard

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
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
	Participant  string // who submitted
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

	// Entrant is the team the submission counts for ("" when it counts for
	// Participant alone). The store sets it: from the participant's team
	// when the submission is created, and when teams merge.
	Entrant string
	// Baseline marks a host's reference submission: stored and scored, never
	// ranked, never charged to a quota.
	Baseline bool
	// HostError marks a failure caused by the host, not the model: it is
	// not charged to the entrant's quota and does not block resubmitting
	// the same module.
	HostError bool
	// Shown is the public score the leaderboard shows when the task's
	// Ladder is on (Task.LadderStep > 0); nil otherwise, when the shown
	// score is Public. The store sets it when the submission is scored.
	Shown *float64
	// Updated is when this version of the submission was written (the
	// engine's clock); it dates the leaderboard's history. Zero: Created.
	Updated time.Time
	// Phase is the phase of its task the submission was made in (""
	// for a task without phases), set at creation and kept by every
	// update. It ranks the submission on that phase's board as well as
	// the task's (PhaseLeaderboard), under the phase's Ladder step, and
	// claims its module once per phase.
	Phase string
}

// moduleKeyID is the id of sub's key in table 0x09: its module, and the
// phase it was made in, if any (a module is submitted once per phase).
func (sub *Submission) moduleKeyID() string {
	if sub.Phase == "" {
		return sub.ModuleSHA256
	}
	return sub.ModuleSHA256 + "@" + sub.Phase
}

// entrant is the identity the submission is ranked and charged under.
func (sub *Submission) entrant() string {
	if sub.Entrant != "" {
		return sub.Entrant
	}
	return sub.Participant
}

// at is when this version of the submission was written.
func (sub *Submission) at() time.Time {
	if !sub.Updated.IsZero() {
		return sub.Updated
	}
	return sub.Created
}

// score returns the submission's score on board bd if it is ranked there:
// only Scored submissions are, and never baselines. On the public board it
// is the shown score (the Ladder's, when on).
func (sub *Submission) score(bd board) *float64 {
	if sub == nil || sub.Status != Scored || sub.Baseline {
		return nil
	}
	if bd == boardPrivate {
		return sub.Private
	}
	if sub.Shown != nil {
		return sub.Shown
	}
	return sub.Public
}

// charged reports whether the submission counts against its entrant's
// quota.
func (sub *Submission) charged() bool {
	return sub != nil && !sub.Baseline && !sub.HostError
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
	for _, id := range []struct{ kind, s string }{{"entrant", sub.Entrant}, {"module sha256", sub.ModuleSHA256}, {"phase", sub.Phase}} {
		if id.s == "" {
			continue
		}
		if err := checkID(id.kind, id.s); err != nil {
			return fmt.Errorf("submission %q: %w", sub.ID, err)
		}
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("submission %q: %w: %s", sub.ID, ErrInvalidSubmission, fmt.Sprintf(format, args...))
	}
	if !sub.Status.valid() {
		return invalid("unknown status %q", sub.Status)
	}
	for _, tm := range []struct {
		name string
		t    time.Time
		zero bool
	}{{"created", sub.Created, false}, {"updated", sub.Updated, true}} {
		if tm.zero && tm.t.IsZero() {
			continue
		}
		if tm.t.IsZero() || tm.t.Before(minCreated) || tm.t.After(maxCreated) {
			return invalid("%s %v outside %v to %v", tm.name, tm.t, minCreated.UTC(), maxCreated.UTC())
		}
	}
	if sub.Status == Scored && sub.Public == nil {
		return invalid("scored without a public score")
	}
	if sub.HostError && sub.Status != Failed {
		return invalid("host error on a %s submission", sub.Status)
	}
	for _, sc := range []struct {
		name string
		v    *float64
	}{{"public", sub.Public}, {"private", sub.Private}, {"shown", sub.Shown}} {
		if sc.v != nil && (math.IsNaN(*sc.v) || math.IsInf(*sc.v, 0)) {
			return invalid("%s score %v is not finite", sc.name, *sc.v)
		}
	}
	return nil
}

// PutSubmission inserts sub or replaces the stored submission with its ID
// (a status transition). The task must exist, and an update may not change
// Task, Participant or Created; Entrant and Baseline are the store's and
// are kept from the stored version. Whatever the change, the entrant's best
// entries on both boards are brought up to date in the same transaction,
// which is synced before PutSubmission returns.
//
// PutSubmission never checks a quota or the task's schedule: create
// submissions with CreateSubmission for that.
func (s *Store) PutSubmission(sub Submission) error {
	_, err := s.Put(sub)
	return err
}

// Put is PutSubmission returning the submission as stored: with the
// store's Entrant, Baseline and Shown.
func (s *Store) Put(sub Submission) (Submission, error) {
	if err := sub.validate(); err != nil {
		return sub, err
	}
	var stored Submission
	err := s.update(func(txn *badger.Txn) error {
		task, err := getTask(txn, sub.Task)
		if err != nil {
			return err
		}
		old, err := getSubmission(txn, sub.ID)
		switch {
		case err == nil:
		case isNotFound(err):
			old = nil
			if sub.Entrant, err = teamOf(txn, sub.Task, sub.Participant); err != nil {
				return err
			}
		default:
			return err
		}
		stored, err = s.put(txn, task, old, sub)
		return err
	})
	if err != nil {
		return sub, fmt.Errorf("put submission %q: %w", sub.ID, err)
	}
	return stored, nil
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

// Unfinished returns every submission, of any task, that is received,
// queued or running: after a crash, the ones to run again.
func (s *Store) Unfinished() ([]Submission, error) {
	subs := []Submission{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tableUnfinished}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return fmt.Errorf("unfinished index: %w", err)
			}
			sub, err := getSubmission(txn, k.id)
			if err != nil {
				return err
			}
			subs = append(subs, *sub)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(subs, func(a, b Submission) int { return a.Created.Compare(b.Created) })
	return subs, nil
}

// scan collects the submissions whose ids end the keys under prefix.
func (s *Store) scan(prefix []byte) ([]Submission, error) {
	subs := []Submission{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return err
			}
			sub, err := getSubmission(txn, k.id)
			if err != nil {
				return err
			}
			subs = append(subs, *sub)
		}
		return nil
	})
	return subs, err
}

// Baselines returns the task's baselines in submission order.
func (s *Store) Baselines(task string) ([]Submission, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	return s.scan(taskTablePrefix(tableBaseline, task))
}

// EntrantSubmissions returns the submissions counting for entrant (a
// participant or a team), in submission order.
func (s *Store) EntrantSubmissions(task, entrant string) ([]Submission, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	if err := checkID("entrant", entrant); err != nil {
		return nil, err
	}
	return s.scan(taskParticipantPrefix(tableEntrant, task, entrant))
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

// SubmissionIDs returns up to limit ids of submissions, of any task, that
// start with prefix, in id order; limit <= 0 means no limit. It reads keys
// only: resolving a short id costs one prefix seek.
func (s *Store) SubmissionIDs(prefix string, limit int) ([]string, error) {
	if strings.IndexByte(prefix, 0) >= 0 {
		return nil, fmt.Errorf("submission prefix %q: %w: contains NUL", prefix, ErrInvalidKey)
	}
	out := []string{}
	err := s.db.View(func(txn *badger.Txn) error {
		p := append([]byte{tableSubmission}, prefix...)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		for it.Rewind(); it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return fmt.Errorf("submission prefix %q: %w", prefix, err)
			}
			out = append(out, k.id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
