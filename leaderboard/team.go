package leaderboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TeamLimits is what JoinTeam and MergeTeams check in their transaction.
type TeamLimits struct {
	MaxSize int   // most members; 0 is unlimited
	Quota   Quota // the merged team must stay within it
}

// Team is a named set of participants that shares one entrant: its quota,
// its submissions and its leaderboard row.
type Team struct {
	Entrant string   // the key its submissions count under
	Members []string // sorted
}

type teamRecord struct {
	V       int      `json:"v"`
	Members []string `json:"members"`
}

func getTeam(txn *badger.Txn, task, entrant string) (*Team, error) {
	v, found, err := get(txn, key{table: tableTeam, task: task, participant: entrant}.encode())
	if err != nil || !found {
		return nil, err
	}
	var r teamRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("task %q: team %q: %w: %w", task, entrant, ErrCorrupt, err)
	}
	return &Team{Entrant: entrant, Members: r.Members}, nil
}

func putTeam(txn *badger.Txn, task string, t *Team) error {
	slices.Sort(t.Members)
	v, err := json.Marshal(teamRecord{V: recordVersion, Members: t.Members})
	if err != nil {
		return err
	}
	return txn.Set(key{table: tableTeam, task: task, participant: t.Entrant}.encode(), v)
}

// JoinTeam adds participants to the team with entrant key team, creating
// it if needed. Each participant's own submissions move to the team (a
// merge), in one transaction that refuses, with nothing written, a
// participant already in a team (ErrExists), a closed task (ErrClosed), a
// team over lim.MaxSize (ErrTeam) and a merged team over its quota (a
// *QuotaError).
func (s *Store) JoinTeam(task, team string, participants []string, lim TeamLimits, at time.Time) (Team, error) {
	for _, id := range append([]string{task, team}, participants...) {
		if err := checkID("id", id); err != nil {
			return Team{}, err
		}
	}
	var out Team
	err := s.update(func(txn *badger.Txn) error {
		t, err := s.openTeamTxn(txn, task)
		if err != nil {
			return err
		}
		tm, err := getTeam(txn, task, team)
		if err != nil {
			return err
		}
		if tm == nil {
			tm = &Team{Entrant: team}
		}
		var moving []string
		for _, p := range participants {
			cur, err := teamOf(txn, task, p)
			if err != nil {
				return err
			}
			if cur != "" {
				return fmt.Errorf("participant %q: %w: already in team %q", p, ErrExists, cur)
			}
			tm.Members = append(tm.Members, p)
			moving = append(moving, p)
		}
		out, err = s.merge(txn, t, tm, moving, lim, at)
		return err
	})
	if err != nil {
		return Team{}, fmt.Errorf("task %q: team %q: %w", task, team, err)
	}
	return out, nil
}

// MergeTeams moves every member and submission of team from into team
// into, under the same checks as JoinTeam, and deletes from.
func (s *Store) MergeTeams(task, from, into string, lim TeamLimits, at time.Time) (Team, error) {
	for _, id := range []string{task, from, into} {
		if err := checkID("id", id); err != nil {
			return Team{}, err
		}
	}
	if from == into {
		return Team{}, fmt.Errorf("merge team %q into itself: %w", from, ErrTeam)
	}
	var out Team
	err := s.update(func(txn *badger.Txn) error {
		t, err := s.openTeamTxn(txn, task)
		if err != nil {
			return err
		}
		src, err := getTeam(txn, task, from)
		if err != nil {
			return err
		}
		dst, err := getTeam(txn, task, into)
		if err != nil {
			return err
		}
		for name, tm := range map[string]*Team{from: src, into: dst} {
			if tm == nil {
				return fmt.Errorf("team %q: %w", name, ErrNotFound)
			}
		}
		dst.Members = append(dst.Members, src.Members...)
		if err := txn.Delete(key{table: tableTeam, task: task, participant: from}.encode()); err != nil {
			return err
		}
		out, err = s.merge(txn, t, dst, []string{from}, lim, at)
		return err
	})
	if err != nil {
		return Team{}, fmt.Errorf("task %q: merge team %q into %q: %w", task, from, into, err)
	}
	return out, nil
}

func (s *Store) openTeamTxn(txn *badger.Txn, task string) (Task, error) {
	t, err := getTask(txn, task)
	if err != nil {
		return t, err
	}
	st, err := getState(txn, task)
	if err != nil {
		return t, err
	}
	if !st.Closed.IsZero() {
		return t, fmt.Errorf("task %q: %w", task, ErrClosed)
	}
	return t, nil
}

// merge makes tm's members point at it, moves the submissions, quota,
// modules and Ladder state of each entrant in from to tm, checks the
// limits and writes tm.
func (s *Store) merge(txn *badger.Txn, task Task, tm *Team, from []string, lim TeamLimits, at time.Time) (Team, error) {
	if lim.MaxSize > 0 && len(tm.Members) > lim.MaxSize {
		return Team{}, fmt.Errorf("%w: %d members, at most %d", ErrTeam, len(tm.Members), lim.MaxSize)
	}
	for _, m := range tm.Members {
		if err := txn.Set(key{table: tableMember, task: task.ID, participant: m}.encode(), []byte(tm.Entrant)); err != nil {
			return Team{}, err
		}
	}
	for _, src := range from {
		// Move each submission: re-put it under the team.
		var ids []string
		it := txn.NewIterator(badger.IteratorOptions{Prefix: taskParticipantPrefix(tableEntrant, task.ID, src)})
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				it.Close()
				return Team{}, err
			}
			ids = append(ids, k.id)
			if err := txn.Delete(it.Item().KeyCopy(nil)); err != nil {
				it.Close()
				return Team{}, err
			}
		}
		it.Close()
		for _, id := range ids {
			old, err := getSubmission(txn, id)
			if err != nil {
				return Team{}, err
			}
			if err := s.unindex(txn, task, old, at); err != nil {
				return Team{}, err
			}
			moved := *old
			moved.Entrant, moved.Updated = tm.Entrant, at
			if _, err := s.put(txn, task, nil, moved); err != nil {
				return Team{}, err
			}
		}
		// Selections and the Ladder state of the source go; the team's stay.
		for _, table := range []byte{tableSelected, tableLadder} {
			if err := deletePrefix(txn, taskParticipantPrefix(table, task.ID, src)); err != nil {
				return Team{}, err
			}
		}
		if err := deletePhaseLadders(txn, task.ID, src); err != nil {
			return Team{}, err
		}
		if err := txn.Delete(key{table: tableCount, task: task.ID, participant: src}.encode()); err != nil {
			return Team{}, err
		}
	}
	if err := checkQuota(txn, task.ID, tm.Entrant, lim.Quota, 0, 0); err != nil {
		return Team{}, err
	}
	if err := putTeam(txn, task.ID, tm); err != nil {
		return Team{}, err
	}
	return *tm, nil
}

// unindex takes old off every index of its entrant (boards, count, quota,
// module), as if it had never been made; the caller re-puts it.
func (s *Store) unindex(txn *badger.Txn, task Task, old *Submission, at time.Time) error {
	entrant := old.entrant()
	created := old.Created.UnixNano()
	for _, phase := range boardsOf(old) {
		for _, bd := range []board{boardPublic, boardPrivate} {
			sc := old.score(bd)
			if sc == nil {
				continue
			}
			sk := key{table: tableScore, task: task.ID, phase: phase, participant: entrant, board: bd,
				higher: task.HigherIsBetter, score: *sc, created: created, id: old.ID}
			if err := txn.Delete(sk.encode()); err != nil {
				return err
			}
			if err := s.refreshBest(txn, task, phase, entrant, bd, old.ID, at); err != nil {
				return err
			}
		}
	}
	if old.charged() {
		if err := addQuota(txn, task.ID, entrant, old.Created, -1); err != nil {
			return err
		}
		if old.ModuleSHA256 != "" {
			dk := key{table: tableDedupe, task: task.ID, participant: entrant, id: old.moduleKeyID()}.encode()
			if v, found, err := get(txn, dk); err != nil {
				return err
			} else if found && string(v) == old.ID {
				if err := txn.Delete(dk); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func deletePrefix(txn *badger.Txn, prefix []byte) error {
	var keys [][]byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	it.Close()
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Teams returns the task's teams, by entrant key.
func (s *Store) Teams(task string) ([]Team, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	teams := []Team{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(tableTeam, task)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return err
			}
			tm, err := getTeam(txn, task, k.participant)
			if err != nil {
				return err
			}
			teams = append(teams, *tm)
		}
		return nil
	})
	return teams, err
}

// TeamOf returns the entrant key of participant's team on task, or "".
func (s *Store) TeamOf(task, participant string) (string, error) {
	var team string
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		team, err = teamOf(txn, task, participant)
		return err
	})
	return team, err
}

// teamOf returns the team entrant of participant on task, or "".
func teamOf(txn *badger.Txn, task, participant string) (string, error) {
	v, found, err := get(txn, key{table: tableMember, task: task, participant: participant}.encode())
	if err != nil || !found {
		return "", err
	}
	return string(v), nil
}
