package leaderboard

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Event is one change of a leaderboard: at Time, Entrant's best on the
// public (or private) board became Submission with Score, or, when
// Submission is "", the entrant left the board.
type Event struct {
	Time       time.Time
	Private    bool
	Entrant    string
	Submission string
	Score      float64
	Cause      string // the submission whose write made the change
}

type eventRecord struct {
	V          int       `json:"v"`
	Entrant    string    `json:"entrant"`
	Submission string    `json:"submission,omitempty"`
	Score      float64   `json:"score,omitempty"`
	Cause      string    `json:"cause"`
	Time       time.Time `json:"time"`
}

func (s *Store) recordChange(txn *badger.Txn, task, entrant string, bd board, rankKey []byte, cause string, at time.Time) error {
	n, err := s.seq.Next()
	if err != nil {
		return fmt.Errorf("history sequence: %w", err)
	}
	r := eventRecord{V: recordVersion, Entrant: entrant, Cause: cause, Time: at.UTC()}
	if rankKey != nil {
		k, err := decodeKey(rankKey)
		if err != nil {
			return err
		}
		r.Submission, r.Score = k.id, k.score
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	hk := key{table: tableHistory, task: task, created: at.UnixNano(), id: fmt.Sprintf("%016x", n), board: bd}
	return txn.Set(hk.encode(), v)
}

// History returns every change of the task's leaderboards in the order
// they happened.
func (s *Store) History(task string) ([]Event, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	events := []Event{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(tableHistory, task), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return fmt.Errorf("task %q: history: %w", task, err)
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			var r eventRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("task %q: history: %w: %w", task, ErrCorrupt, err)
			}
			events = append(events, Event{Time: r.Time, Private: k.board == boardPrivate, Entrant: r.Entrant,
				Submission: r.Submission, Score: r.Score, Cause: r.Cause})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}
