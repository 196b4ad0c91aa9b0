package leaderboard

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Quota is what CreateSubmission checks, in the transaction that inserts
// the submission, so that concurrent submitters can never exceed it.
type Quota struct {
	// Now dates the check; its UTC day is the day Daily counts.
	Now time.Time
	// Daily is the most charged submissions an entrant may make per UTC
	// day; 0 is unlimited.
	Daily int
	// Total is the most charged submissions an entrant may make in all;
	// 0 is unlimited.
	Total int
	// Since, when set, makes Total count only the charged submissions of
	// the UTC days from Since's on (a phase's own total).
	Since time.Time
}

// QuotaError is the refusal of a submission over a limit. It wraps
// ErrQuotaExceeded.
type QuotaError struct {
	Entrant string
	Limit   string    // "daily" or "total"
	Max     int       // the limit
	Next    time.Time // when the next slot opens; zero for the total limit
}

func (e *QuotaError) Error() string {
	if e.Limit == "total" {
		return fmt.Sprintf("%q has made all %d submissions the task allows", e.Entrant, e.Max)
	}
	return fmt.Sprintf("%q has made %d submissions today (UTC), the daily limit; the next slot opens at %s",
		e.Entrant, e.Max, e.Next.UTC().Format(time.RFC3339))
}

func (e *QuotaError) Unwrap() error { return ErrQuotaExceeded }

// DuplicateError reports that the entrant already submitted the same
// module; Existing is that earlier submission. It wraps ErrDuplicate.
type DuplicateError struct{ Existing Submission }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("module %s was already submitted as %s", e.Existing.ModuleSHA256, e.Existing.ID)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// day returns the start of t's UTC day.
func day(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

func addQuota(txn *badger.Txn, task, entrant string, created time.Time, delta int64) error {
	k := key{table: tableQuota, task: task, participant: entrant, created: day(created).UnixNano()}.encode()
	n, err := getCount(txn, k)
	if err != nil {
		return err
	}
	if delta < 0 && n < uint64(-delta) {
		return fmt.Errorf("task %q: quota of %q: %w: would go below zero", task, entrant, ErrCorrupt)
	}
	n = uint64(int64(n) + delta)
	if n == 0 {
		return txn.Delete(k)
	}
	return txn.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

// usage returns the entrant's charged submissions on the UTC day of now and
// in all.
func usage(txn *badger.Txn, task, entrant string, now, since time.Time) (today, total int, err error) {
	d := day(now).UnixNano()
	from := int64(math.MinInt64)
	if !since.IsZero() {
		from = day(since).UnixNano()
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskParticipantPrefix(tableQuota, task, entrant), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			return 0, 0, fmt.Errorf("task %q: quota index: %w", task, err)
		}
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return 0, 0, err
		}
		n, err := getCountValue(it.Item().Key(), v)
		if err != nil {
			return 0, 0, err
		}
		if k.created >= from {
			total += int(n)
		}
		if k.created == d {
			today = int(n)
		}
	}
	return today, total, nil
}

func checkQuota(txn *badger.Txn, task, entrant string, q Quota, adding, addingToday int) error {
	today, total, err := usage(txn, task, entrant, q.Now, q.Since)
	if err != nil {
		return err
	}
	if q.Total > 0 && total+adding > q.Total {
		return &QuotaError{Entrant: entrant, Limit: "total", Max: q.Total}
	}
	if q.Daily > 0 && today+addingToday > q.Daily {
		return &QuotaError{Entrant: entrant, Limit: "daily", Max: q.Daily, Next: day(q.Now).Add(24 * time.Hour)}
	}
	return nil
}

// CreateSubmission inserts a new submission, charging it to its entrant's
// quota in the same transaction: the entrant is the participant's team if
// they are in one. It refuses, with nothing written:
//   - a task that is closed (ErrClosed);
//   - a module the entrant already submitted (a *DuplicateError carrying the
//     earlier submission), unless that one failed by the host's fault;
//   - a submission over the quota (a *QuotaError).
//
// Baselines are never refused for quota or duplicates. It returns the
// submission as stored (with Entrant set).
func (s *Store) CreateSubmission(sub Submission, q Quota) (Submission, error) {
	if err := sub.validate(); err != nil {
		return sub, err
	}
	var stored Submission
	err := s.update(func(txn *badger.Txn) error {
		task, err := getTask(txn, sub.Task)
		if err != nil {
			return err
		}
		st, err := getState(txn, sub.Task)
		if err != nil {
			return err
		}
		if !st.Closed.IsZero() {
			return fmt.Errorf("task %q: %w at %s", sub.Task, ErrClosed, st.Closed.UTC().Format(time.RFC3339))
		}
		if _, err := getSubmission(txn, sub.ID); err == nil {
			return fmt.Errorf("submission %q: %w", sub.ID, ErrExists)
		} else if !isNotFound(err) {
			return err
		}
		sub := sub
		sub.Entrant = ""
		if !sub.Baseline {
			if sub.Entrant, err = teamOf(txn, sub.Task, sub.Participant); err != nil {
				return err
			}
			entrant := sub.entrant()
			if sub.ModuleSHA256 != "" {
				v, found, err := get(txn, key{table: tableDedupe, task: sub.Task, participant: entrant, id: sub.moduleKeyID()}.encode())
				if err != nil {
					return err
				}
				if found {
					prev, err := getSubmission(txn, string(v))
					if err != nil {
						return err
					}
					return &DuplicateError{Existing: *prev}
				}
			}
			if err := checkQuota(txn, sub.Task, entrant, q, 1, 1); err != nil {
				return err
			}
		}
		stored, err = s.put(txn, task, nil, sub)
		return err
	})
	if err != nil {
		return sub, fmt.Errorf("create submission %q: %w", sub.ID, err)
	}
	return stored, nil
}
