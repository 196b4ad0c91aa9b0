package leaderboard

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Select replaces the entrant's final selections with ids (at most max;
// none clears them). Every id must be a scored submission of the entrant.
// It refuses a closed task with ErrClosed.
func (s *Store) Select(task, entrant string, ids []string, max int) error {
	if err := checkID("task", task); err != nil {
		return err
	}
	if len(ids) > max {
		return fmt.Errorf("select: %w: %d submissions, at most %d may be selected", ErrInvalidSubmission, len(ids), max)
	}
	return s.update(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		st, err := getState(txn, task)
		if err != nil {
			return err
		}
		if !st.Closed.IsZero() {
			return fmt.Errorf("task %q: %w", task, ErrClosed)
		}
		for _, id := range ids {
			sub, err := getSubmission(txn, id)
			if err != nil {
				return err
			}
			if sub.Task != task || sub.entrant() != entrant || sub.Baseline {
				return fmt.Errorf("select %q: %w: not a submission of %q to task %q", id, ErrInvalidSubmission, entrant, task)
			}
			if sub.Status != Scored {
				return fmt.Errorf("select %q: %w: %s, only scored submissions can be selected", id, ErrInvalidSubmission, sub.Status)
			}
		}
		old, err := selections(txn, task, entrant)
		if err != nil {
			return err
		}
		for _, id := range old {
			if err := txn.Delete(key{table: tableSelected, task: task, participant: entrant, id: id}.encode()); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if err := txn.Set(key{table: tableSelected, task: task, participant: entrant, id: id}.encode(), nil); err != nil {
				return err
			}
		}
		// Conflict with any concurrent put for this entrant.
		ck := key{table: tableCount, task: task, participant: entrant}.encode()
		n, err := getCount(txn, ck)
		if err != nil {
			return err
		}
		return txn.Set(ck, binary.BigEndian.AppendUint64(nil, n))
	})
}

func selections(txn *badger.Txn, task, entrant string) ([]string, error) {
	var ids []string
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskParticipantPrefix(tableSelected, task, entrant)})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			return nil, fmt.Errorf("task %q: selections: %w", task, err)
		}
		ids = append(ids, k.id)
	}
	return ids, nil
}

// Selections returns the entrant's explicit final selections, by id.
func (s *Store) Selections(task, entrant string) ([]string, error) {
	var ids []string
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		ids, err = selections(txn, task, entrant)
		return err
	})
	return ids, err
}
