package leaderboard

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// create is CreateSubmission of a received submission at t0+seconds.
func create(s *Store, task, id, participant, sha string, seconds int, q Quota) (Submission, error) {
	at := t0.Add(time.Duration(seconds) * time.Second)
	if q.Now.IsZero() {
		q.Now = at
	}
	return s.CreateSubmission(Submission{ID: id, Task: task, Participant: participant,
		ModuleSHA256: sha, Created: at, Status: Received}, q)
}

func score(t testing.TB, s *Store, id string, public, private float64) Submission {
	t.Helper()
	sub, err := s.Submission(id)
	if err != nil {
		t.Fatal(err)
	}
	sub.Status, sub.Public, sub.Private = Scored, &public, &private
	got, err := s.Put(sub)
	if err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
	return got
}

func TestCreateSubmissionQuota(t *testing.T) {
	day := 24 * 60 * 60
	tests := []struct {
		name    string
		quota   Quota
		times   []int  // seconds after t0 of each attempt, by the same participant
		hostErr []bool // fail the i-th accepted one by the host's fault after creating it
		want    []string
	}{
		{"Unlimited", Quota{}, []int{0, 1, 2}, nil, []string{"ok", "ok", "ok"}},
		{"ErrQuotaExceeded/daily", Quota{Daily: 2}, []int{0, 1, 2}, nil, []string{"ok", "ok", "daily"}},
		{"DailyResetsAtUTCMidnight", Quota{Daily: 1}, []int{0, 1, day - 12*3600, day - 12*3600 + 1}, nil, []string{"ok", "daily", "ok", "daily"}},
		{"ErrQuotaExceeded/total", Quota{Total: 2}, []int{0, day, 2 * day}, nil, []string{"ok", "ok", "total"}},
		{"HostFailureRefunds", Quota{Daily: 1}, []int{0, 1, 2}, []bool{true, false}, []string{"ok", "ok", "daily"}},
	}
	s, _ := openStore(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := mustCreateTask(t, s, fmt.Sprintf("quota-%d", i), true)
			accepted := 0
			for n, sec := range tc.times {
				id := fmt.Sprintf("%s/%d", task.ID, n)
				sub, err := create(s, task.ID, id, "ada", fmt.Sprintf("sha%d", n), sec, tc.quota)
				var qe *QuotaError
				switch {
				case err == nil:
					if tc.want[n] != "ok" {
						t.Fatalf("attempt %d: accepted, want %s refusal", n, tc.want[n])
					}
					if accepted < len(tc.hostErr) && tc.hostErr[accepted] {
						sub.Status, sub.HostError, sub.ErrorKind = Failed, true, "host"
						mustPut(t, s, sub)
					}
					accepted++
				case errors.As(err, &qe) && errors.Is(err, ErrQuotaExceeded):
					if qe.Limit != tc.want[n] {
						t.Fatalf("attempt %d: got %s refusal, want %s", n, qe.Limit, tc.want[n])
					}
					at := t0.Add(time.Duration(sec) * time.Second)
					if qe.Limit == "daily" {
						next := at.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
						if !qe.Next.Equal(next) || !strings.Contains(err.Error(), next.Format(time.RFC3339)) {
							t.Errorf("next slot: got %v (%v), want %v", qe.Next, err, next)
						}
					}
					if _, err := s.Submission(id); !errors.Is(err, ErrNotFound) {
						t.Errorf("refused submission was stored: %v", err)
					}
				default:
					t.Fatalf("attempt %d: %v", n, err)
				}
			}
		})
	}
}

func TestCreateSubmissionDuplicate(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "dup", true)
	first, err := create(s, task.ID, "s1", "ada", "aaaa", 0, Quota{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = create(s, task.ID, "s2", "ada", "aaaa", 1, Quota{})
	var de *DuplicateError
	if !errors.As(err, &de) || !errors.Is(err, ErrDuplicate) || de.Existing.ID != "s1" {
		t.Fatalf("same module again: got %v, want a DuplicateError for s1", err)
	}
	if _, err := create(s, task.ID, "s3", "bob", "aaaa", 2, Quota{}); err != nil {
		t.Errorf("same module by another participant: %v", err)
	}
	first.Status, first.HostError, first.ErrorKind = Failed, true, "host"
	mustPut(t, s, first)
	if _, err := create(s, task.ID, "s4", "ada", "aaaa", 3, Quota{}); err != nil {
		t.Errorf("same module after a host failure: got %v, want it accepted", err)
	}
}

// TestCreateSubmissionConcurrentQuota: concurrent submitters of one
// participant never exceed the daily limit.
func TestCreateSubmissionConcurrentQuota(t *testing.T) {
	const workers, each, limit = 8, 5, 7
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "race", true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := create(s, task.ID, fmt.Sprintf("w%d-%d", w, i), "ada", fmt.Sprintf("m%d-%d", w, i), 0, Quota{Daily: limit})
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ErrQuotaExceeded):
					refused++
				default:
					t.Errorf("create: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != limit || refused != workers*each-limit {
		t.Errorf("got %d accepted, %d refused; want %d, %d", ok, refused, limit, workers*each-limit)
	}
}

func TestCloseTask(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "closing", true)
	if _, err := create(s, task.ID, "s1", "ada", "a", 0, Quota{}); err != nil {
		t.Fatal(err)
	}
	score(t, s, "s1", 0.5, 0.5)
	if err := s.CloseTask(task.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st, err := s.TaskState(task.ID)
	if err != nil || !st.Closed.Equal(t0.Add(time.Hour)) {
		t.Errorf("TaskState: got %+v, %v", st, err)
	}
	for name, err := range map[string]error{
		"CreateSubmission": func() error { _, err := create(s, task.ID, "s2", "ada", "b", 1, Quota{}); return err }(),
		"Select":           s.Select(task.ID, "ada", []string{"s1"}, 2),
		"CloseTask":        s.CloseTask(task.ID, t0),
		"JoinTeam":         func() error { _, err := s.JoinTeam(task.ID, "team/x", []string{"ada"}, TeamLimits{}, t0); return err }(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after close: got %v, want ErrClosed", name, err)
		}
	}
}

func TestLadder(t *testing.T) {
	tests := []struct {
		name   string
		higher bool
		step   float64
		scores []float64
		want   []float64 // shown
	}{
		{"higher is better", true, 0.01, []float64{0.5, 0.505, 0.52, 0.519, 0.5301, 0.4}, []float64{0.5, 0.5, 0.52, 0.52, 0.53, 0.53}},
		{"lower is better", false, 0.1, []float64{2.04, 1.97, 1.9, 3, 1.6}, []float64{2, 2, 2, 2, 1.6}},
		{"rounds to the step", true, 0.25, []float64{0.3, 0.9}, []float64{0.25, 1}},
	}
	s, _ := openStore(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := Task{ID: fmt.Sprintf("ladder-%d", i), Metric: "m", HigherIsBetter: tc.higher, Created: t0, LadderStep: tc.step}
			if err := s.CreateTask(task); err != nil {
				t.Fatal(err)
			}
			for n, sc := range tc.scores {
				id := fmt.Sprintf("%s/%d", task.ID, n)
				if _, err := create(s, task.ID, id, "ada", id, n, Quota{}); err != nil {
					t.Fatal(err)
				}
				got := score(t, s, id, sc, sc)
				if got.Shown == nil || !near(*got.Shown, tc.want[n]) {
					t.Fatalf("score %d (%v): got shown %v, want %v", n, sc, got.Shown, tc.want[n])
				}
			}
			board, err := s.Leaderboard(task.ID, false)
			if err != nil || len(board) != 1 || !near(board[0].Score, tc.want[len(tc.want)-1]) {
				t.Errorf("board: got %+v, %v; want ada at %v", board, err, tc.want[len(tc.want)-1])
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func TestFinalLeaderboard(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "final", true)
	// id, participant, public, private
	for i, r := range []struct {
		id, who       string
		public, priva float64
	}{
		{"a1", "ada", 0.9, 0.6}, {"a2", "ada", 0.8, 0.95}, {"a3", "ada", 0.7, 0.99},
		{"b1", "bob", 0.85, 0.9}, {"b2", "bob", 0.5, 0.1},
	} {
		if _, err := create(s, task.ID, r.id, r.who, r.id, i, Quota{}); err != nil {
			t.Fatal(err)
		}
		score(t, s, r.id, r.public, r.priva)
	}
	check := func(name string, n int, want []string) {
		t.Helper()
		got, err := s.FinalLeaderboard(task.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, e := range got {
			rows = append(rows, fmt.Sprintf("%d %s %s", e.Rank, e.Participant, e.SubmissionID))
		}
		if !slices.Equal(rows, want) {
			t.Errorf("%s: got %q, want %q", name, rows, want)
		}
	}
	// Defaults: the n best public. n=1: ada a1 (0.6), bob b1 (0.9).
	check("best public, n=1", 1, []string{"1 bob b1", "2 ada a1"})
	check("best public, n=2", 2, []string{"1 ada a2", "2 bob b1"})
	if err := s.Select(task.ID, "ada", []string{"a3"}, 2); err != nil {
		t.Fatal(err)
	}
	check("ada selected a3", 1, []string{"1 ada a3", "2 bob b1"})
	if err := s.Select(task.ID, "bob", []string{"b2"}, 2); err != nil {
		t.Fatal(err)
	}
	check("bob selected b2", 1, []string{"1 ada a3", "2 bob b2"})
	if err := s.Select(task.ID, "ada", nil, 2); err != nil {
		t.Fatal(err)
	}
	check("ada cleared", 1, []string{"1 ada a1", "2 bob b2"})
	for name, ids := range map[string][]string{"too many": {"a1", "a2", "a3"}, "not hers": {"b1"}, "missing": {"zz"}} {
		if err := s.Select(task.ID, "ada", ids, 2); err == nil {
			t.Errorf("Select %s: got nil error", name)
		}
	}
}

func TestTeams(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "teams", true)
	q := Quota{Now: t0, Daily: 3}
	for i, who := range []string{"ada", "ada", "bob", "cy", "cy"} {
		id := fmt.Sprintf("s%d", i)
		if _, err := create(s, task.ID, id, who, id, i, q); err != nil {
			t.Fatal(err)
		}
		score(t, s, id, float64(i)/10, float64(i)/10)
	}
	lim := TeamLimits{MaxSize: 2, Quota: q}
	tm, err := s.JoinTeam(task.ID, "team/ab", []string{"ada", "bob"}, lim, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("JoinTeam: %v", err)
	}
	if !slices.Equal(tm.Members, []string{"ada", "bob"}) {
		t.Errorf("members: got %v", tm.Members)
	}
	board, err := s.Leaderboard(task.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(board) != 2 || board[0].Participant != "cy" || board[1].Participant != "team/ab" || board[1].Submissions != 3 || board[1].SubmissionID != "s2" {
		t.Errorf("board after join: got%s", formatEntries(board))
	}
	checkConsistentTeams(t, s, task)
	// The team has used 3 of its 3 daily slots: a member is refused.
	if _, err := create(s, task.ID, "s9", "bob", "new", 10, Quota{Now: t0, Daily: 3}); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("team over its daily limit: got %v, want ErrQuotaExceeded", err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"ErrExists/already in a team", func() error { _, err := s.JoinTeam(task.ID, "team/x", []string{"ada"}, lim, t0); return err }(), ErrExists},
		{"ErrTeam/too big", func() error { _, err := s.JoinTeam(task.ID, "team/ab", []string{"dee"}, lim, t0); return err }(), ErrTeam},
		{"ErrQuotaExceeded/merge over the daily limit", func() error {
			if _, err := s.JoinTeam(task.ID, "team/c", []string{"cy"}, lim, t0); err != nil {
				return err
			}
			_, err := s.MergeTeams(task.ID, "team/c", "team/ab", TeamLimits{MaxSize: 4, Quota: q}, t0)
			return err
		}(), ErrQuotaExceeded},
		{"ErrNotFound/merge an unknown team", func() error { _, err := s.MergeTeams(task.ID, "team/zz", "team/ab", lim, t0); return err }(), ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("got %v, want %v", tc.err, tc.want)
			}
		})
	}
	tm, err = s.MergeTeams(task.ID, "team/c", "team/ab", TeamLimits{MaxSize: 4, Quota: Quota{Now: t0, Daily: 5}}, t0)
	if err != nil || len(tm.Members) != 3 {
		t.Fatalf("merge within the limits: got %+v, %v", tm, err)
	}
	board, _ = s.Leaderboard(task.ID, false)
	if len(board) != 1 || board[0].Participant != "team/ab" || board[0].Submissions != 5 || board[0].SubmissionID != "s4" {
		t.Errorf("board after merge: got%s", formatEntries(board))
	}
	checkConsistentTeams(t, s, task)
	teams, err := s.Teams(task.ID)
	if err != nil || len(teams) != 1 {
		t.Errorf("Teams: got %+v, %v; want the merged team only", teams, err)
	}
}

// checkConsistentTeams compares the boards with a brute-force oracle that
// ranks by entrant.
func checkConsistentTeams(t *testing.T, s *Store, task Task) {
	t.Helper()
	subs, err := s.Submissions(task.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range subs {
		subs[i].Participant = subs[i].entrant()
	}
	for _, private := range []bool{false, true} {
		got, err := s.Leaderboard(task.ID, private)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteLeaderboard(subs, task.HigherIsBetter, private); !entriesEqual(got, want) {
			t.Errorf("private=%v: got%s\nwant%s", private, formatEntries(got), formatEntries(want))
		}
	}
}

func TestHistoryAndUnfinished(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "hist", true)
	for i, r := range []struct {
		who string
		sc  float64
	}{{"ada", 0.5}, {"bob", 0.7}, {"ada", 0.9}, {"ada", 0.6}} {
		id := fmt.Sprintf("s%d", i)
		if _, err := create(s, task.ID, id, r.who, id, i, Quota{}); err != nil {
			t.Fatal(err)
		}
		score(t, s, id, r.sc, r.sc)
	}
	if _, err := create(s, task.ID, "s9", "cy", "s9", 9, Quota{}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.History(task.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if !ev.Private {
			got = append(got, fmt.Sprintf("%s %s %g", ev.Entrant, ev.Submission, ev.Score))
		}
	}
	want := []string{"ada s0 0.5", "bob s1 0.7", "ada s2 0.9"} // s3 changed nothing
	if !slices.Equal(got, want) {
		t.Errorf("public history: got %q, want %q", got, want)
	}
	un, err := s.Unfinished()
	if err != nil || len(un) != 1 || un[0].ID != "s9" {
		t.Errorf("Unfinished: got %+v, %v; want s9 only", un, err)
	}
}

func TestBaselines(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "base", true)
	b, err := s.CreateSubmission(Submission{ID: "b1", Task: task.ID, Participant: "host", ModuleSHA256: "x",
		Created: t0, Status: Received, Baseline: true}, Quota{Now: t0, Total: 1})
	if err != nil {
		t.Fatal(err)
	}
	score(t, s, b.ID, 0.99, 0.99)
	if _, err := create(s, task.ID, "s1", "host", "x", 1, Quota{Total: 1}); err != nil {
		t.Errorf("a participant named like the baseline's submitter: got %v, want accepted (baselines are not charged)", err)
	}
	board, _ := s.Leaderboard(task.ID, false)
	if len(board) != 0 {
		t.Errorf("baselines are ranked: %s", formatEntries(board))
	}
	bs, err := s.Baselines(task.ID)
	if err != nil || len(bs) != 1 || !bs[0].Baseline || *bs[0].Public != 0.99 {
		t.Errorf("Baselines: got %+v, %v", bs, err)
	}
}

// TestQuotaModel applies random creations, scorings, host failures and
// team joins, and after each checks the stored quota counts and both boards
// against a brute-force recount of the submissions.
func TestQuotaModel(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "model", false)
	rng := newRand(3)
	people := []string{"ada", "bob", "cy", "dee", "eve", "fay"}
	var ids []string
	for step := range 300 {
		switch op := rng.IntN(10); {
		case op < 5: // create
			who := people[rng.IntN(len(people))]
			id := fmt.Sprintf("s%03d", step)
			_, err := create(s, task.ID, id, who, fmt.Sprintf("m%d", rng.IntN(40)), rng.IntN(4)*86400+step,
				Quota{Daily: 4, Total: 12})
			if err == nil {
				ids = append(ids, id)
			} else if !errors.Is(err, ErrQuotaExceeded) && !errors.Is(err, ErrDuplicate) {
				t.Fatalf("step %d: create: %v", step, err)
			}
		case op < 8 && len(ids) > 0: // score or fail
			sub, err := s.Submission(ids[rng.IntN(len(ids))])
			if err != nil {
				t.Fatal(err)
			}
			if sub.HostError {
				sub.Status, sub.HostError = Scored, false
				sub.Public = f64(1)
				if err := s.PutSubmission(sub); !errors.Is(err, ErrInvalidSubmission) {
					t.Fatalf("step %d: revive a host failure: got %v, want ErrInvalidSubmission", step, err)
				}
				continue
			}
			if rng.IntN(3) == 0 {
				sub.Status, sub.HostError, sub.ErrorKind = Failed, true, "host"
			} else {
				sub.Status, sub.HostError, sub.ErrorKind = Scored, false, ""
				sub.Public, sub.Private = f64(float64(rng.IntN(20))), f64(float64(rng.IntN(20)))
			}
			mustPut(t, s, sub)
		default: // a team
			a, b := people[rng.IntN(len(people))], people[rng.IntN(len(people))]
			_, err := s.JoinTeam(task.ID, "team/"+a, []string{b}, TeamLimits{MaxSize: 3, Quota: Quota{Now: t0, Daily: 4, Total: 12}}, t0)
			if err != nil && !errors.Is(err, ErrExists) && !errors.Is(err, ErrTeam) && !errors.Is(err, ErrQuotaExceeded) {
				t.Fatalf("step %d: join: %v", step, err)
			}
		}
		checkQuotaCounts(t, s, task.ID, step)
	}
	checkConsistentTeams(t, s, task)
}

func checkQuotaCounts(t *testing.T, s *Store, task string, step int) {
	t.Helper()
	subs, err := s.Submissions(task)
	if err != nil {
		t.Fatal(err)
	}
	type dayKey struct {
		entrant string
		day     int64
	}
	// Quota counts are exactly the charged submissions per entrant and day.
	// (A module may be charged twice to a team: once by each member before
	// they merged.)
	want := map[dayKey]int{}
	for _, sub := range subs {
		if sub.charged() {
			want[dayKey{sub.entrant(), day(sub.Created).UnixNano()}]++
		}
	}
	got := map[dayKey]int{}
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(tableQuota, task)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := decodeKey(it.Item().KeyCopy(nil))
			if err != nil {
				return err
			}
			v, _ := it.Item().ValueCopy(nil)
			n, err := getCountValue(k.encode(), v)
			if err != nil {
				return err
			}
			got[dayKey{k.participant, k.created}] = int(n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("step %d: quota counts: got %v, want %v", step, got, want)
	}
}
