package leaderboard

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the base time of test submissions.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, dir
}

func f64(v float64) *float64 { return &v }

func mustCreateTask(t testing.TB, s *Store, id string, higher bool) Task {
	t.Helper()
	task := Task{ID: id, Title: "Task " + id, Type: "binary", Metric: "auc",
		HigherIsBetter: higher, Created: t0, Spec: []byte(`{"id":"` + id + `"}`)}
	if err := s.CreateTask(task); err != nil {
		t.Fatalf("CreateTask(%q): %v", id, err)
	}
	return task
}

func mustPut(t testing.TB, s *Store, sub Submission) {
	t.Helper()
	if err := s.PutSubmission(sub); err != nil {
		t.Fatalf("PutSubmission(%+v): %v", sub, err)
	}
}

// bruteLeaderboard recomputes a leaderboard from the submissions alone, the
// slow obvious way, as the oracle for the index.
func bruteLeaderboard(subs []Submission, higher, private bool) []Entry {
	counts := map[string]int{}
	best := map[string]Submission{}
	scoreOf := func(s Submission) *float64 {
		if s.Status != Scored {
			return nil
		}
		if private {
			return s.Private
		}
		return s.Public
	}
	// before reports whether a ranks above b.
	before := func(a, b Submission) bool {
		sa, sb := *scoreOf(a), *scoreOf(b)
		if sa != sb {
			return (sa > sb) == higher
		}
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.ID < b.ID
	}
	for _, s := range subs {
		if s.Status == Scored || s.Status == Failed {
			counts[s.Participant]++
		}
		if scoreOf(s) == nil {
			continue
		}
		if cur, ok := best[s.Participant]; !ok || before(s, cur) {
			best[s.Participant] = s
		}
	}
	rows := make([]Submission, 0, len(best))
	for _, s := range best {
		rows = append(rows, s)
	}
	slices.SortFunc(rows, func(a, b Submission) int {
		if before(a, b) {
			return -1
		}
		return 1
	})
	entries := []Entry{}
	for i, s := range rows {
		entries = append(entries, Entry{Rank: i + 1, Participant: s.Participant, SubmissionID: s.ID,
			Score: *scoreOf(s), Submitted: s.Created.UTC(), Submissions: counts[s.Participant]})
	}
	return entries
}

func formatEntries(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %d %s %s %g %s n=%d", e.Rank, e.Participant, e.SubmissionID, e.Score,
			e.Submitted.Format(time.RFC3339Nano), e.Submissions)
	}
	if len(es) == 0 {
		b.WriteString(" (empty)")
	}
	return b.String()
}

func entriesEqual(a, b []Entry) bool {
	return slices.EqualFunc(a, b, func(x, y Entry) bool {
		return x.Rank == y.Rank && x.Participant == y.Participant && x.SubmissionID == y.SubmissionID &&
			x.Score == y.Score && x.Submitted.Equal(y.Submitted) &&
			x.Submissions == y.Submissions
	})
}

// checkConsistent compares both boards of task with the brute-force oracle.
func checkConsistent(t testing.TB, s *Store, task Task) {
	t.Helper()
	subs, err := s.Submissions(task.ID)
	if err != nil {
		t.Fatalf("Submissions(%q): %v", task.ID, err)
	}
	for _, private := range []bool{false, true} {
		got, err := s.Leaderboard(task.ID, private)
		if err != nil {
			t.Fatalf("Leaderboard(%q, %v): %v", task.ID, private, err)
		}
		want := bruteLeaderboard(subs, task.HigherIsBetter, private)
		if !entriesEqual(got, want) {
			t.Errorf("Leaderboard(%q, private=%v): got%s\nwant (brute force)%s", task.ID, private,
				formatEntries(got), formatEntries(want))
		}
	}
}
