package leaderboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Admission is a participant admitted to an invite-only task, kept in
// table 0x20: by the host, or by redeeming an invitation (Invitation
// names its code's hash).
type Admission struct {
	Participant string
	Time        time.Time
	By          string // how: "host", "invitation", ...
	Invitation  string // the hash of the redeemed code, or the id of the presented credential
}

type admissionRecord struct {
	V          int       `json:"v"`
	Time       time.Time `json:"time"`
	By         string    `json:"by"`
	Invitation string    `json:"invitation,omitempty"`
}

// Invitation is a single-use invitation code, kept in table 0x21 by the
// hex SHA-256 of the code: the store never holds a code itself.
type Invitation struct {
	Hash       string
	Created    time.Time
	Expires    time.Time // zero: never
	RedeemedBy string    // the participant it is bound to; "" while unused
	Redeemed   time.Time
}

type invitationRecord struct {
	V          int       `json:"v"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires,omitzero"`
	RedeemedBy string    `json:"redeemed_by,omitempty"`
	Redeemed   time.Time `json:"redeemed,omitzero"`
}

// Admit records the admissions to task in one transaction, with audit
// (if not nil) beside them. A participant already admitted keeps their
// first admission.
func (s *Store) Admit(task string, as []Admission, audit *AuditEntry) error {
	if err := checkID("task", task); err != nil {
		return err
	}
	for _, a := range as {
		if err := checkID("participant", a.Participant); err != nil {
			return err
		}
	}
	return s.update(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		for _, a := range as {
			if err := putAdmission(txn, task, a); err != nil {
				return err
			}
		}
		return s.auditIn(txn, task, audit)
	})
}

func putAdmission(txn *badger.Txn, task string, a Admission) error {
	k := key{table: tableAdmission, task: task, participant: a.Participant}.encode()
	if _, found, err := get(txn, k); err != nil || found {
		return err
	}
	v, err := json.Marshal(admissionRecord{V: recordVersion, Time: a.Time.UTC(), By: a.By, Invitation: a.Invitation})
	if err != nil {
		return err
	}
	return txn.Set(k, v)
}

// auditIn appends audit, if not nil, to task's trail in txn.
func (s *Store) auditIn(txn *badger.Txn, task string, audit *AuditEntry) error {
	if audit == nil {
		return nil
	}
	a := *audit
	a.Task = task
	return s.appendAudit(txn, a)
}

// RevokeAdmissions removes the admissions of participants to task, with
// audit (if not nil) beside it, and returns those that were admitted.
func (s *Store) RevokeAdmissions(task string, participants []string, audit *AuditEntry) ([]string, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	for _, p := range participants {
		if err := checkID("participant", p); err != nil {
			return nil, err
		}
	}
	var removed []string
	err := s.update(func(txn *badger.Txn) error {
		removed = nil
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		for _, p := range participants {
			k := key{table: tableAdmission, task: task, participant: p}.encode()
			_, found, err := get(txn, k)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			if err := txn.Delete(k); err != nil {
				return err
			}
			removed = append(removed, p)
		}
		return s.auditIn(txn, task, audit)
	})
	return removed, err
}

// Admitted reports whether participant is admitted to task.
func (s *Store) Admitted(task, participant string) (bool, error) {
	if err := checkID("task", task); err != nil {
		return false, err
	}
	if err := checkID("participant", participant); err != nil {
		return false, nil // nobody of that name can have been admitted
	}
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		_, found, err = get(txn, key{table: tableAdmission, task: task, participant: participant}.encode())
		return err
	})
	return found, err
}

// Admissions lists the participants admitted to task, by id.
func (s *Store) Admissions(task string) ([]Admission, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	out := []Admission{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		return scanTable(txn, tableAdmission, task, func(k key, v []byte) error {
			var r admissionRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("task %q: admission of %q: %w: %w", task, k.participant, ErrCorrupt, err)
			}
			out = append(out, Admission{Participant: k.participant, Time: r.Time, By: r.By, Invitation: r.Invitation})
			return nil
		})
	})
	return out, err
}

// scanTable calls fn with each key and value of table under task.
func scanTable(txn *badger.Txn, table byte, task string, fn func(k key, v []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(table, task), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			return err
		}
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// CreateInvitations records new invitations of task, with audit (if not
// nil) beside them. A hash already recorded is ErrExists, nothing written.
func (s *Store) CreateInvitations(task string, invs []Invitation, audit *AuditEntry) error {
	if err := checkID("task", task); err != nil {
		return err
	}
	for _, in := range invs {
		if err := checkID("invitation", in.Hash); err != nil {
			return err
		}
	}
	return s.update(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		for _, in := range invs {
			k := key{table: tableInvitation, task: task, participant: in.Hash}.encode()
			if _, found, err := get(txn, k); err != nil {
				return err
			} else if found {
				return fmt.Errorf("task %q: invitation %.8s…: %w", task, in.Hash, ErrExists)
			}
			if err := putInvitation(txn, task, in); err != nil {
				return err
			}
		}
		return s.auditIn(txn, task, audit)
	})
}

func putInvitation(txn *badger.Txn, task string, in Invitation) error {
	v, err := json.Marshal(invitationRecord{V: recordVersion, Created: in.Created.UTC(), Expires: in.Expires.UTC(),
		RedeemedBy: in.RedeemedBy, Redeemed: in.Redeemed.UTC()})
	if err != nil {
		return err
	}
	return txn.Set(key{table: tableInvitation, task: task, participant: in.Hash}.encode(), v)
}

func getInvitation(txn *badger.Txn, task, hash string) (Invitation, error) {
	v, found, err := get(txn, key{table: tableInvitation, task: task, participant: hash}.encode())
	if err != nil {
		return Invitation{}, err
	}
	if !found {
		return Invitation{}, fmt.Errorf("task %q: invitation: %w", task, ErrNotFound)
	}
	return decodeInvitation(task, hash, v)
}

func decodeInvitation(task, hash string, v []byte) (Invitation, error) {
	var r invitationRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return Invitation{}, fmt.Errorf("task %q: invitation %.8s…: %w: %w", task, hash, ErrCorrupt, err)
	}
	return Invitation{Hash: hash, Created: r.Created, Expires: r.Expires, RedeemedBy: r.RedeemedBy, Redeemed: r.Redeemed}, nil
}

// RedeemInvitation binds the invitation of task with this hash to
// participant at now and admits them, with audit (if not nil) beside it,
// all in one transaction: of concurrent redemptions of one code exactly
// one commits (Badger's conflict detection; the others retry and find it
// redeemed). It returns the invitation as it is after the call, and
// refuses an unknown hash (ErrNotFound), one past its expiry
// (ErrExpired) and one bound to another participant (ErrRedeemed). A
// participant redeeming their own code again is admitted again, no error.
func (s *Store) RedeemInvitation(task, hash, participant string, now time.Time, audit *AuditEntry) (Invitation, error) {
	for _, id := range [][2]string{{"task", task}, {"invitation", hash}, {"participant", participant}} {
		if err := checkID(id[0], id[1]); err != nil {
			return Invitation{}, err
		}
	}
	var in Invitation
	err := s.update(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		var err error
		if in, err = getInvitation(txn, task, hash); err != nil {
			return err
		}
		switch {
		case in.RedeemedBy == participant:
			return nil
		case in.RedeemedBy != "":
			return fmt.Errorf("task %q: invitation: %w", task, ErrRedeemed)
		case !in.Expires.IsZero() && !now.Before(in.Expires):
			return fmt.Errorf("task %q: invitation expired at %s: %w", task, in.Expires.Format(time.RFC3339), ErrExpired)
		}
		in.RedeemedBy, in.Redeemed = participant, now.UTC()
		if err := putInvitation(txn, task, in); err != nil {
			return err
		}
		if err := putAdmission(txn, task, Admission{Participant: participant, Time: now, By: "invitation", Invitation: hash}); err != nil {
			return err
		}
		return s.auditIn(txn, task, audit)
	})
	if err != nil && !errors.Is(err, ErrRedeemed) && !errors.Is(err, ErrExpired) {
		return Invitation{}, err
	}
	return in, err
}

// Invitations lists task's invitations, by hash.
func (s *Store) Invitations(task string) ([]Invitation, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	out := []Invitation{}
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := getTask(txn, task); err != nil {
			return err
		}
		return scanTable(txn, tableInvitation, task, func(k key, v []byte) error {
			in, err := decodeInvitation(task, k.participant, v)
			if err == nil {
				out = append(out, in)
			}
			return err
		})
	})
	return out, err
}
