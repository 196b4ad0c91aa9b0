package leaderboard

import (
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// FinalEntry is a row of the final (private) leaderboard.
type FinalEntry struct {
	Entry
	// Selected lists the submissions the entry was chosen among, and
	// Explicit says whether the entrant selected them (false: their n best
	// public ones stood in).
	Selected []string
	Explicit bool
}

// FinalLeaderboard ranks each entrant by the best private score among their
// final selections or, when they selected none, among their n best public
// submissions (Kaggle's rule). Entrants whose candidates have no private
// score are left out. Equal scores go to the earlier submission.
func (s *Store) FinalLeaderboard(task string, n int) ([]FinalEntry, error) {
	return s.PhaseFinalLeaderboard(task, "", n)
}

// PhaseFinalLeaderboard is FinalLeaderboard on one phase's board (phase
// "": the task's): it ranks the entrants of the phase, each by their
// selections made in the phase or, when they selected none there, by
// their n best public submissions of the phase.
func (s *Store) PhaseFinalLeaderboard(task, phase string, n int) ([]FinalEntry, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	if phase != "" {
		if err := checkID("phase", phase); err != nil {
			return nil, err
		}
	}
	out := []FinalEntry{}
	err := s.db.View(func(txn *badger.Txn) error {
		t, err := getTask(txn, task)
		if err != nil {
			return err
		}
		counts, err := participantCounts(txn, task)
		if err != nil {
			return err
		}
		prefix := bestPrefix(task, phase, boardPublic)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		var entrants []string
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				it.Close()
				return fmt.Errorf("task %q: best index: %w", task, err)
			}
			entrants = append(entrants, k.participant)
		}
		it.Close()
		for _, ent := range entrants {
			ids, err := selections(txn, task, ent)
			if err != nil {
				return err
			}
			if phase != "" {
				if ids, err = madeIn(txn, ids, phase); err != nil {
					return err
				}
			}
			explicit := len(ids) > 0
			if !explicit {
				sit := txn.NewIterator(badger.IteratorOptions{Prefix: scorePrefix(task, phase, ent, boardPublic)})
				for sit.Rewind(); sit.Valid() && len(ids) < n; sit.Next() {
					k, err := decodeKey(sit.Item().KeyCopy(nil))
					if err != nil {
						sit.Close()
						return fmt.Errorf("task %q: score index: %w", task, err)
					}
					ids = append(ids, k.id)
				}
				sit.Close()
			}
			var best *Submission
			for _, id := range ids {
				sub, err := getSubmission(txn, id)
				if err != nil {
					return err
				}
				if sub.Status != Scored || sub.Private == nil {
					continue
				}
				if best == nil || before(t.HigherIsBetter, sub, best) {
					best = sub
				}
			}
			if best == nil {
				continue
			}
			sc := *best.Private
			if sc == 0 {
				sc = 0
			}
			out = append(out, FinalEntry{
				Entry: Entry{Participant: ent, SubmissionID: best.ID, Score: sc,
					Submitted: best.Created.UTC(), Submissions: counts[ent]},
				Selected: ids, Explicit: explicit,
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.rankFinal(task, out)
}

// rankFinal sorts final entries best first and numbers them.
func (s *Store) rankFinal(task string, out []FinalEntry) error {
	t, err := s.Task(task)
	if err != nil {
		return err
	}
	slices.SortStableFunc(out, func(a, b FinalEntry) int {
		x := Submission{ID: a.SubmissionID, Created: a.Submitted, Private: &a.Score}
		y := Submission{ID: b.SubmissionID, Created: b.Submitted, Private: &b.Score}
		if before(t.HigherIsBetter, &x, &y) {
			return -1
		}
		if before(t.HigherIsBetter, &y, &x) {
			return 1
		}
		return 0
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return nil
}

// before reports whether a's private score ranks above b's.
func before(higher bool, a, b *Submission) bool {
	sa, sb := *a.Private, *b.Private
	if sa != sb {
		return (sa > sb) == higher
	}
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.ID < b.ID
}

// madeIn keeps the submissions of ids made in phase.
func madeIn(txn *badger.Txn, ids []string, phase string) ([]string, error) {
	var out []string
	for _, id := range ids {
		sub, err := getSubmission(txn, id)
		if err != nil {
			return nil, err
		}
		if sub.Phase == phase {
			out = append(out, id)
		}
	}
	return out, nil
}
