package leaderboard

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Quota is what CreateSubmission checks, in the transaction that inserts
// the submission, so that concurrent submitters can never exceed it.
type Quota struct {
	// Now dates the check; its UTC day is the day Daily counts.
	Now time.Time
	// Daily is the most charged submissions an entrant may make per UTC
	// day; 0 is unlimited.
	Daily int
	// Total is the most charged submissions an entrant may make in all;
	// 0 is unlimited.
	Total int
}

// QuotaError is the refusal of a submission over a limit. It wraps
// ErrQuotaExceeded.
type QuotaError struct {
	Entrant string
	Limit   string    // "daily" or "total"
	Max     int       // the limit
	Next    time.Time // when the next slot opens; zero for the total limit
}

func (e *QuotaError) Error() string {
	if e.Limit == "total" {
		return fmt.Sprintf("%q has made all %d submissions the task allows", e.Entrant, e.Max)
	}
	return fmt.Sprintf("%q has made %d submissions today (UTC), the daily limit; the next slot opens at %s",
		e.Entrant, e.Max, e.Next.UTC().Format(time.RFC3339))
}

func (e *QuotaError) Unwrap() error { return ErrQuotaExceeded }

// DuplicateError reports that the entrant already submitted the same
// module; Existing is that earlier submission. It wraps ErrDuplicate.
type DuplicateError struct{ Existing Submission }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("module %s was already submitted as %s", e.Existing.ModuleSHA256, e.Existing.ID)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// day returns the start of t's UTC day.
func day(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

func addQuota(txn *badger.Txn, task, entrant string, created time.Time, delta int64) error {
	k := key{table: tableQuota, task: task, participant: entrant, created: day(created).UnixNano()}.encode()
	n, err := getCount(txn, k)
	if err != nil {
		return err
	}
	if delta < 0 && n < uint64(-delta) {
		return fmt.Errorf("task %q: quota of %q: %w: would go below zero", task, entrant, ErrCorrupt)
	}
	n = uint64(int64(n) + delta)
	if n == 0 {
		return txn.Delete(k)
	}
	return txn.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

// usage returns the entrant's charged submissions on the UTC day of now and
// in all.
func usage(txn *badger.Txn, task, entrant string, now time.Time) (today, total int, err error) {
	d := day(now).UnixNano()
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskParticipantPrefix(tableQuota, task, entrant), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			return 0, 0, fmt.Errorf("task %q: quota index: %w", task, err)
		}
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return 0, 0, err
		}
		n, err := getCountValue(it.Item().Key(), v)
		if err != nil {
			return 0, 0, err
		}
		total += int(n)
		if k.created == d {
			today = int(n)
		}
	}
	return today, total, nil
}

func checkQuota(txn *badger.Txn, task, entrant string, q Quota, adding, addingToday int) error {
	today, total, err := usage(txn, task, entrant, q.Now)
	if err != nil {
		return err
	}
	if q.Total > 0 && total+adding > q.Total {
		return &QuotaError{Entrant: entrant, Limit: "total", Max: q.Total}
	}
	if q.Daily > 0 && today+addingToday > q.Daily {
		return &QuotaError{Entrant: entrant, Limit: "daily", Max: q.Daily, Next: day(q.Now).Add(24 * time.Hour)}
	}
	return nil
}

// teamOf returns the team entrant of participant on task, or "".
func teamOf(txn *badger.Txn, task, participant string) (string, error) {
	v, found, err := get(txn, key{table: tableMember, task: task, participant: participant}.encode())
	if err != nil || !found {
		return "", err
	}
	return string(v), nil
}

// CreateSubmission inserts a new submission, charging it to its entrant's
// quota in the same transaction: the entrant is the participant's team if
// they are in one. It refuses, with nothing written:
//   - a task that is closed (ErrClosed);
//   - a module the entrant already submitted (a *DuplicateError carrying the
//     earlier submission), unless that one failed by the host's fault;
//   - a submission over the quota (a *QuotaError).
//
// Baselines are never refused for quota or duplicates. It returns the
// submission as stored (with Entrant set).
func (s *Store) CreateSubmission(sub Submission, q Quota) (Submission, error) {
	if err := sub.validate(); err != nil {
		return sub, err
	}
	var stored Submission
	err := s.update(func(txn *badger.Txn) error {
		task, err := getTask(txn, sub.Task)
		if err != nil {
			return err
		}
		st, err := getState(txn, sub.Task)
		if err != nil {
			return err
		}
		if !st.Closed.IsZero() {
			return fmt.Errorf("task %q: %w at %s", sub.Task, ErrClosed, st.Closed.UTC().Format(time.RFC3339))
		}
		if _, err := getSubmission(txn, sub.ID); err == nil {
			return fmt.Errorf("submission %q: %w", sub.ID, ErrExists)
		} else if !isNotFound(err) {
			return err
		}
		sub := sub
		sub.Entrant = ""
		if !sub.Baseline {
			if sub.Entrant, err = teamOf(txn, sub.Task, sub.Participant); err != nil {
				return err
			}
			entrant := sub.entrant()
			if sub.ModuleSHA256 != "" {
				v, found, err := get(txn, key{table: tableDedupe, task: sub.Task, participant: entrant, id: sub.ModuleSHA256}.encode())
				if err != nil {
					return err
				}
				if found {
					prev, err := getSubmission(txn, string(v))
					if err != nil {
						return err
					}
					return &DuplicateError{Existing: *prev}
				}
			}
			if err := checkQuota(txn, sub.Task, entrant, q, 1, 1); err != nil {
				return err
			}
		}
		stored, err = s.put(txn, task, nil, sub)
		return err
	})
	if err != nil {
		return sub, fmt.Errorf("create submission %q: %w", sub.ID, err)
	}
	return stored, nil
}

// ladder returns the shown public score of a new score of entrant, and
// records it as the entrant's shown best when it moves. This is the Ladder
// of Blum and Hardt (2015): the shown best R starts at the worst possible
// value; a new score s replaces it, rounded to the nearest multiple of the
// step η, only when it beats R by more than η; otherwise R is shown again.
func ladder(txn *badger.Txn, task Task, entrant string, score float64) (float64, error) {
	k := key{table: tableLadder, task: task.ID, participant: entrant}.encode()
	v, found, err := get(txn, k)
	if err != nil {
		return 0, err
	}
	step := task.LadderStep
	if found {
		if len(v) != 8 {
			return 0, fmt.Errorf("task %q: ladder of %q: %w", task.ID, entrant, ErrCorrupt)
		}
		r := math.Float64frombits(binary.BigEndian.Uint64(v))
		better := score > r+step
		if !task.HigherIsBetter {
			better = score < r-step
		}
		if !better {
			return r, nil
		}
	}
	r := math.Round(score/step) * step
	if math.IsInf(r, 0) || math.IsNaN(r) {
		r = score
	}
	if r == 0 {
		r = 0 // no -0 in keys
	}
	return r, txn.Set(k, binary.BigEndian.AppendUint64(nil, math.Float64bits(r)))
}

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
	if err := checkID("task", task); err != nil {
		return nil, err
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
		prefix := append(taskTablePrefix(tableBest, task), byte(boardPublic))
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
			explicit := len(ids) > 0
			if !explicit {
				sit := txn.NewIterator(badger.IteratorOptions{Prefix: scorePrefix(task, ent, boardPublic)})
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

// Unfinished returns every submission, of any task, that is received,
// queued or running: after a crash, the ones to run again.
func (s *Store) Unfinished() ([]Submission, error) {
	subs := []Submission{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tableUnfinished}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return fmt.Errorf("unfinished index: %w", err)
			}
			sub, err := getSubmission(txn, k.id)
			if err != nil {
				return err
			}
			subs = append(subs, *sub)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(subs, func(a, b Submission) int { return a.Created.Compare(b.Created) })
	return subs, nil
}

// scan collects the submissions whose ids end the keys under prefix.
func (s *Store) scan(prefix []byte) ([]Submission, error) {
	subs := []Submission{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return err
			}
			sub, err := getSubmission(txn, k.id)
			if err != nil {
				return err
			}
			subs = append(subs, *sub)
		}
		return nil
	})
	return subs, err
}

// Baselines returns the task's baselines in submission order.
func (s *Store) Baselines(task string) ([]Submission, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	return s.scan(taskTablePrefix(tableBaseline, task))
}

// EntrantSubmissions returns the submissions counting for entrant (a
// participant or a team), in submission order.
func (s *Store) EntrantSubmissions(task, entrant string) ([]Submission, error) {
	if err := checkID("task", task); err != nil {
		return nil, err
	}
	if err := checkID("entrant", entrant); err != nil {
		return nil, err
	}
	return s.scan(taskParticipantPrefix(tableEntrant, task, entrant))
}

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
	for _, bd := range []board{boardPublic, boardPrivate} {
		sc := old.score(bd)
		if sc == nil {
			continue
		}
		sk := key{table: tableScore, task: task.ID, participant: entrant, board: bd,
			higher: task.HigherIsBetter, score: *sc, created: created, id: old.ID}
		if err := txn.Delete(sk.encode()); err != nil {
			return err
		}
		if err := s.refreshBest(txn, task, entrant, bd, old.ID, at); err != nil {
			return err
		}
	}
	if old.charged() {
		if err := addQuota(txn, task.ID, entrant, old.Created, -1); err != nil {
			return err
		}
		if old.ModuleSHA256 != "" {
			dk := key{table: tableDedupe, task: task.ID, participant: entrant, id: old.ModuleSHA256}.encode()
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
