package leaderboard

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// put writes sub (replacing old, nil for an insert) and every index it
// affects, and returns what was written. Each index table has its own
// helper, an indexer; put calls them in turn, in this order, in the
// caller's transaction.
func (s *Store) put(txn *badger.Txn, task Task, old *Submission, sub Submission) (Submission, error) {
	if err := inherit(old, &sub); err != nil {
		return sub, err
	}
	entrant := sub.entrant()
	shown, err := shownScore(txn, task, entrant, old, &sub)
	if err != nil {
		return sub, err
	}
	sub.Shown = shown
	for _, index := range []indexer{
		indexOrder, indexBaseline, indexEntrant, indexUnfinished,
		indexQuota, indexModule, s.indexScores, indexCount,
	} {
		if err := index(txn, task, entrant, old, &sub); err != nil {
			return sub, err
		}
	}
	val, err := encodeSubmission(sub)
	if err != nil {
		return sub, fmt.Errorf("encode submission %q: %w", sub.ID, err)
	}
	return sub, txn.Set(key{table: tableSubmission, id: sub.ID}.encode(), val)
}

// inherit checks that sub may replace old (nil for an insert) and gives it
// the fields the store owns: an update keeps the stored Entrant and
// Baseline, and a baseline counts for no team.
func inherit(old, sub *Submission) error {
	if old != nil {
		if old.Task != sub.Task || old.Participant != sub.Participant || !old.Created.Equal(sub.Created) {
			return fmt.Errorf("%w: task, participant and created of a stored submission cannot change",
				ErrInvalidSubmission)
		}
		sub.Entrant, sub.Baseline, sub.Phase = old.Entrant, old.Baseline, old.Phase
		if old.HostError && !sub.HostError {
			// Refunded, and its module may have been submitted again.
			return fmt.Errorf("%w: a host failure is final (it was refunded)", ErrInvalidSubmission)
		}
	}
	if sub.Baseline {
		sub.Entrant = ""
	}
	return nil
}

// shownScore returns sub's shown public score under the Ladder (nil when
// the Ladder is off or sub is not ranked). It is decided once, when the
// submission is first scored, from the entrant's shown best so far (table
// 0x0e), and kept by every later put.
func shownScore(txn *badger.Txn, task Task, entrant string, old, sub *Submission) (*float64, error) {
	if task.ladderStep(sub.Phase) <= 0 || sub.Status != Scored || sub.Baseline {
		return nil, nil
	}
	if old != nil && old.Status == Scored && old.Shown != nil {
		return old.Shown, nil
	}
	shown, err := ladder(txn, task, sub.Phase, entrant, *sub.Public)
	if err != nil {
		return nil, err
	}
	return &shown, nil
}

// An indexer brings one index table up to date for a put of sub over old
// (nil for an insert). entrant is sub's entrant; a put never changes it,
// nor the task, participant, creation time or id, so old and sub share
// every key built from those alone.
type indexer func(txn *badger.Txn, task Task, entrant string, old, sub *Submission) error

// indexOrder keeps table 0x03, every submission in submission order: one
// key, the same for old and sub.
func indexOrder(txn *badger.Txn, _ Task, _ string, _, sub *Submission) error {
	return txn.Set(key{table: tableOrder, task: sub.Task, created: sub.Created.UnixNano(), id: sub.ID}.encode(), nil)
}

// indexBaseline keeps table 0x11, the task's baselines: one key for a
// baseline, none for an entrant's submission (a put never changes which).
func indexBaseline(txn *badger.Txn, _ Task, _ string, _, sub *Submission) error {
	if !sub.Baseline {
		return nil
	}
	return txn.Set(key{table: tableBaseline, task: sub.Task, created: sub.Created.UnixNano(), id: sub.ID}.encode(), nil)
}

// indexEntrant keeps table 0x0c, each entrant's submissions: one key for
// an entrant's submission, none for a baseline. Moving a submission to a
// team deletes the old key (merge), not put.
func indexEntrant(txn *badger.Txn, _ Task, entrant string, _, sub *Submission) error {
	if sub.Baseline {
		return nil
	}
	return txn.Set(key{table: tableEntrant, task: sub.Task, participant: entrant,
		created: sub.Created.UnixNano(), id: sub.ID}.encode(), nil)
}

// indexUnfinished keeps table 0x0b, the submissions to run again after a
// crash: set while sub is received, queued or running, deleted once it is
// scored or failed.
func indexUnfinished(txn *badger.Txn, _ Task, _ string, _, sub *Submission) error {
	uk := key{table: tableUnfinished, id: sub.ID}.encode()
	if sub.Status == Scored || sub.Status == Failed {
		return txn.Delete(uk)
	}
	return txn.Set(uk, []byte(sub.Task))
}

// indexQuota keeps table 0x0a, each entrant's charged submissions per UTC
// day: counts sub when it becomes charged and takes it off when it stops
// being (a host failure refunds the quota).
func indexQuota(txn *badger.Txn, _ Task, entrant string, old, sub *Submission) error {
	was, is := old.charged(), sub.charged()
	if was == is {
		return nil
	}
	delta := int64(1)
	if was {
		delta = -1
	}
	return addQuota(txn, sub.Task, entrant, sub.Created, delta)
}

// indexModule keeps table 0x09, one submission per entrant and module: it
// claims sub's module when sub becomes charged and the module is free, and
// frees it when sub, its holder, stops being charged (a host failure frees
// the module for a retry).
func indexModule(txn *badger.Txn, _ Task, entrant string, old, sub *Submission) error {
	was, is := old.charged(), sub.charged()
	if was == is || sub.ModuleSHA256 == "" {
		return nil
	}
	dk := key{table: tableDedupe, task: sub.Task, participant: entrant, id: sub.moduleKeyID()}.encode()
	v, found, err := get(txn, dk)
	if err != nil {
		return err
	}
	switch {
	case is && !found:
		return txn.Set(dk, []byte(sub.ID))
	case !is && found && string(v) == sub.ID:
		return txn.Delete(dk)
	}
	return nil
}

// indexScores keeps table 0x04, each entrant's ranked submissions, on the
// public board then the private one, and for a submission made in a phase
// their twin 0x22 on the phase's boards; see indexScore.
func (s *Store) indexScores(txn *badger.Txn, task Task, entrant string, old, sub *Submission) error {
	for _, phase := range boardsOf(sub) {
		for _, bd := range []board{boardPublic, boardPrivate} {
			if err := s.indexScore(txn, task, phase, entrant, bd, old, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// boardsOf returns the boards sub is ranked on, by phase: the task's
// (""), and its phase's when it was made in one.
func boardsOf(sub *Submission) []string {
	if sub.Phase == "" {
		return []string{""}
	}
	return []string{"", sub.Phase}
}

// indexScore replaces old's score key on board bd with sub's (either may
// have none: see Submission.score) and, when there was or is one, lets
// refreshBest move the entrant's best and rank keys (tables 0x05 and 0x06)
// and record the change in the history (0x0d), caused by sub and dated at
// its write.
func (s *Store) indexScore(txn *badger.Txn, task Task, phase, entrant string, bd board, old, sub *Submission) error {
	before, after := old.score(bd), sub.score(bd)
	if before == nil && after == nil {
		return nil
	}
	sk := key{table: tableScore, task: sub.Task, phase: phase, participant: entrant,
		board: bd, higher: task.HigherIsBetter, created: sub.Created.UnixNano(), id: sub.ID}
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
	return s.refreshBest(txn, task, phase, entrant, bd, sub.ID, sub.at())
}

// indexCount keeps table 0x07, each entrant's count of scored and failed
// submissions; baselines have none. The count key is read and written by
// every put for this entrant, even when the count is unchanged: that makes
// any two concurrent puts for one entrant conflict, so refreshBest never
// works from a stale view of the entrant's scores.
func indexCount(txn *badger.Txn, _ Task, entrant string, old, sub *Submission) error {
	if sub.Baseline {
		return nil
	}
	ck := key{table: tableCount, task: sub.Task, participant: entrant}.encode()
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
	return txn.Set(ck, binary.BigEndian.AppendUint64(nil, n))
}
