package leaderboard

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// State is the mutable part of a task: whether the host closed it.
type State struct {
	Closed time.Time // zero while open
}

type stateRecord struct {
	V      int       `json:"v"`
	Closed time.Time `json:"closed,omitzero"`
}

func getState(txn *badger.Txn, task string) (State, error) {
	v, found, err := get(txn, key{table: tableState, task: task}.encode())
	if err != nil || !found {
		return State{}, err
	}
	var r stateRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return State{}, fmt.Errorf("task %q: state: %w: %w", task, ErrCorrupt, err)
	}
	return State{Closed: r.Closed}, nil
}

// TaskState returns the task's state.
func (s *Store) TaskState(task string) (State, error) {
	if err := checkID("task", task); err != nil {
		return State{}, err
	}
	var st State
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		var err error
		st, err = getState(txn, task)
		return err
	})
	return st, err
}

// CloseTask freezes the task at time at: CreateSubmission and Select refuse
// it from then on. Closing a closed task returns ErrClosed.
func (s *Store) CloseTask(task string, at time.Time) error {
	if err := checkID("task", task); err != nil {
		return err
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
			return fmt.Errorf("task %q: %w at %s", task, ErrClosed, st.Closed.UTC().Format(time.RFC3339))
		}
		v, err := json.Marshal(stateRecord{V: recordVersion, Closed: at.UTC()})
		if err != nil {
			return err
		}
		return txn.Set(key{table: tableState, task: task}.encode(), v)
	})
}
