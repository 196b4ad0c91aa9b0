package leaderboard

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// AuditEntry is one action of a host that changed a task's outcome (a
// close, a promotion, a rescore, a credential's revocation), kept in table
// 0x1d in the order the actions were recorded. The store keeps them as
// they are given and never changes or deletes one.
type AuditEntry struct {
	Time   time.Time
	Task   string
	Action string // the engine's name for it: "close", "rescore", ...
	Actor  string // who acted
	Reason string // why, as the actor said
	// Summary is the engine's account of the action that anyone who may
	// see the task may read.
	Summary string
	// Detail is opaque JSON owned by the engine, for the host.
	Detail []byte
}

type auditRecord struct {
	V       int       `json:"v"`
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	Actor   string    `json:"actor"`
	Reason  string    `json:"reason,omitempty"`
	Summary string    `json:"summary"`
	Detail  []byte    `json:"detail,omitempty"`
}

// AppendAudit records a.
func (s *Store) AppendAudit(a AuditEntry) error {
	if err := checkID("task", a.Task); err != nil {
		return err
	}
	if a.Action == "" {
		return fmt.Errorf("task %q: audit entry without an action: %w", a.Task, ErrInvalidKey)
	}
	return s.update(func(txn *badger.Txn) error {
		if _, err := getTask(txn, a.Task); err != nil {
			return err
		}
		return s.appendAudit(txn, a)
	})
}

// appendAudit writes a in the caller's transaction.
func (s *Store) appendAudit(txn *badger.Txn, a AuditEntry) error {
	n, err := s.seq.Next()
	if err != nil {
		return fmt.Errorf("audit sequence: %w", err)
	}
	v, err := json.Marshal(auditRecord{V: recordVersion, Time: a.Time.UTC(), Action: a.Action, Actor: a.Actor,
		Reason: a.Reason, Summary: a.Summary, Detail: a.Detail})
	if err != nil {
		return err
	}
	return txn.Set(key{table: tableAudit, task: a.Task, created: a.Time.UnixNano(), id: fmt.Sprintf("%016x", n)}.encode(), v)
}

// AuditTrail returns the task's audit entries, oldest first.
func (s *Store) AuditTrail(task string) ([]AuditEntry, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	out := []AuditEntry{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(tableAudit, task), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			var r auditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("task %q: audit: %w: %w", task, ErrCorrupt, err)
			}
			out = append(out, AuditEntry{Time: r.Time, Task: task, Action: r.Action, Actor: r.Actor, Reason: r.Reason,
				Summary: r.Summary, Detail: r.Detail})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
