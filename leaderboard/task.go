package leaderboard

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Task is what the leaderboard needs to know about a task: its identity,
// its metric's direction, and the engine's validated spec, kept opaque.
type Task struct {
	ID, Title, Type, Metric string
	HigherIsBetter          bool
	Created                 time.Time
	Spec                    []byte // opaque JSON owned by the engine (the validated task spec)
	// LadderStep, when above 0, turns on the Ladder for the public board:
	// a submission's shown public score moves only when it beats its
	// entrant's shown best by more than LadderStep (see Submission.Shown).
	LadderStep float64
	// PhaseLadderSteps are the Ladder steps of the phases that set their
	// own (0: the Ladder off in that phase): a submission made in such a
	// phase is shown under its step, on its phase's board and the
	// task's. A phase not in it has LadderStep.
	PhaseLadderSteps map[string]float64
}

// ladderStep returns the Ladder step of submissions made in phase.
func (t Task) ladderStep(phase string) float64 {
	if st, ok := t.PhaseLadderSteps[phase]; ok && phase != "" {
		return st
	}
	return t.LadderStep
}

// CreateTask records t. Tasks are immutable: it returns ErrExists if t.ID is
// taken, and ErrInvalidKey if t.ID cannot be a key.
func (s *Store) CreateTask(t Task) error {
	if err := checkID("task", t.ID); err != nil {
		return err
	}
	val, err := encodeTask(t)
	if err != nil {
		return fmt.Errorf("encode task %q: %w", t.ID, err)
	}
	k := key{table: tableTask, task: t.ID}.encode()
	return s.update(func(txn *badger.Txn) error {
		_, found, err := get(txn, k)
		if err != nil {
			return fmt.Errorf("task %q: %w", t.ID, err)
		}
		if found {
			return fmt.Errorf("task %q: %w", t.ID, ErrExists)
		}
		return txn.Set(k, val)
	})
}

// Task returns the task with the given id, or an error wrapping ErrNotFound.
func (s *Store) Task(id string) (Task, error) {
	if err := checkID("task", id); err != nil {
		return Task{}, err
	}
	var t Task
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		t, err = getTask(txn, id)
		return err
	})
	return t, err
}

// Tasks returns every task, ordered by id.
func (s *Store) Tasks() ([]Task, error) {
	tasks := []Task{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: taskPrefix(), PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read task key %x: %w", item.Key(), err)
			}
			t, err := decodeTask(v)
			if err != nil {
				return fmt.Errorf("decode task key %x: %w", item.Key(), err)
			}
			tasks = append(tasks, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tasks, nil
}

func getTask(txn *badger.Txn, id string) (Task, error) {
	v, found, err := get(txn, key{table: tableTask, task: id}.encode())
	if err != nil {
		return Task{}, fmt.Errorf("task %q: %w", id, err)
	}
	if !found {
		return Task{}, fmt.Errorf("task %q: %w", id, ErrNotFound)
	}
	t, err := decodeTask(v)
	if err != nil {
		return Task{}, fmt.Errorf("decode task %q: %w", id, err)
	}
	if t.ID != id {
		return Task{}, fmt.Errorf("decode task %q: %w: record holds id %q", id, ErrCorrupt, t.ID)
	}
	return t, nil
}
