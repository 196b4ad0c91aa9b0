package leaderboard

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Entry is one row of a leaderboard: a participant's best submission.
type Entry struct {
	Rank         int // 1-based; distinct even for equal scores
	Participant  string
	SubmissionID string
	Score        float64
	Submitted    time.Time // Created of the submission, in UTC
	Submissions  int       // that participant's scored+failed count on the task
}

// Leaderboard returns the ranking of task, best first: one row per
// participant with their best public score, or with private set their best
// private score (participants with no private score are left out). Equal
// scores are ordered by the earlier submission (Created, then ID). It reads
// only the rank index, never the submissions.
func (s *Store) Leaderboard(task string, private bool) ([]Entry, error) {
	return s.PhaseLeaderboard(task, "", private)
}

// PhaseLeaderboard is Leaderboard on one phase's board: the submissions
// made in phase (Submission.Phase), ranked as Leaderboard ranks the
// task's (under the phase's Ladder, Task.PhaseLadderSteps). phase ""
// is the task's board, every submission. A phase nobody submitted in
// has an empty board. Submissions counts on the task, every phase.
func (s *Store) PhaseLeaderboard(task, phase string, private bool) ([]Entry, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	if phase != "" {
		if err := checkID("phase", phase); err != nil {
			return nil, err
		}
	}
	bd := boardPublic
	if private {
		bd = boardPrivate
	}
	entries := []Entry{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		counts, err := participantCounts(txn, task)
		if err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: rankPrefix(task, phase, bd), PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k, err := decodeKey(item.KeyCopy(nil))
			if err != nil {
				return fmt.Errorf("task %q: rank index: %w", task, err)
			}
			participant, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("task %q: rank index: %w", task, err)
			}
			entries = append(entries, Entry{
				Rank:         len(entries) + 1,
				Participant:  string(participant),
				SubmissionID: k.id,
				Score:        k.score,
				Submitted:    time.Unix(0, k.created).UTC(),
				Submissions:  counts[string(participant)],
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// participantCounts reads every participant's scored+failed count on task.
func participantCounts(txn *badger.Txn, task string) (map[string]int, error) {
	counts := map[string]int{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: countPrefix(task), PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k, err := decodeKey(item.KeyCopy(nil))
		if err != nil {
			return nil, fmt.Errorf("task %q: count index: %w", task, err)
		}
		var n uint64
		err = item.Value(func(v []byte) error {
			var err error
			n, err = getCountValue(item.Key(), v)
			return err
		})
		if err != nil {
			return nil, err
		}
		counts[k.participant] = int(n)
	}
	return counts, nil
}

// refreshBest makes the rank index agree with the entrant's scored
// submissions on board bd: their best is the first key under their score
// prefix (table 0x04); if it differs from the one recorded in table 0x05,
// the old rank key is deleted, the new one written, and the change kept in
// the history (table 0x0d), dated at and caused by submission cause.
//
// On a phase's board (phase set) it keeps that board's tables (0x22 to
// 0x24) and records no history: the history is the task's board's.
func (s *Store) refreshBest(txn *badger.Txn, task Task, phase, participant string, bd board, cause string, at time.Time) error {
	var want []byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: scorePrefix(task.ID, phase, participant, bd)})
	it.Rewind()
	if it.Valid() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			it.Close()
			return fmt.Errorf("task %q: score index: %w", task.ID, err)
		}
		want = key{table: tableRank, task: task.ID, phase: phase, board: bd, higher: task.HigherIsBetter,
			score: k.score, created: k.created, id: k.id}.encode()
	}
	it.Close()

	bk := key{table: tableBest, task: task.ID, phase: phase, board: bd, participant: participant}.encode()
	cur, found, err := get(txn, bk)
	if err != nil {
		return err
	}
	if bytes.Equal(cur, want) {
		return nil
	}
	if found {
		if k, err := decodeKey(cur); err != nil || k.table != tableRank || k.task != task.ID || k.phase != phase || k.board != bd {
			return fmt.Errorf("task %q: best of participant %q: %w: points at key %x",
				task.ID, participant, ErrCorrupt, cur)
		}
		if err := txn.Delete(cur); err != nil {
			return err
		}
	}
	if phase == "" {
		if err := s.recordChange(txn, task.ID, participant, bd, want, cause, at); err != nil {
			return err
		}
	}
	if want == nil {
		return txn.Delete(bk)
	}
	if err := txn.Set(want, []byte(participant)); err != nil {
		return err
	}
	return txn.Set(bk, want)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
