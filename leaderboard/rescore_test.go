package leaderboard

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestRescore(t *testing.T) {
	s, _ := openStore(t)
	mustCreateTask(t, s, "iris", true)
	scored := func(id, who string, pub, priv float64) Submission {
		return Submission{ID: id, Task: "iris", Participant: who, Created: t0, Status: Scored,
			Public: f64(pub), Private: f64(priv), ModuleSHA256: id + "sha"}
	}
	mustPut(t, s, scored("s1", "ada", 0.9, 0.8))
	mustPut(t, s, scored("s2", "bob", 0.7, 0.6))

	r := Rescore{ID: "r1", Task: "iris", Started: t0.Add(time.Hour), Submissions: []string{"s1", "s2"}, Detail: []byte(`{"a":1}`)}
	if err := s.BeginRescore(r, []byte(`{"id":"iris","new":true}`)); err != nil {
		t.Fatalf("BeginRescore: %v", err)
	}
	if task, err := s.Task("iris"); err != nil || string(task.Spec) != `{"id":"iris","new":true}` {
		t.Fatalf("task spec after BeginRescore: %q, %v; want the new spec", task.Spec, err)
	}

	refusals := []struct {
		name string
		do   func() error
		want error
	}{
		{"ErrExistsUnfinished", func() error { return s.BeginRescore(Rescore{ID: "r2", Task: "iris", Started: t0}, nil) }, ErrExists},
		{"ErrNotFoundTask", func() error { return s.BeginRescore(Rescore{ID: "r2", Task: "nope", Started: t0}, nil) }, ErrNotFound},
		{"ErrNotFoundNotPlanned", func() error {
			mustPut(t, s, scored("s3", "cy", 0.5, 0.5))
			_, err := s.RescoreSubmission("iris", "r1", scored("s3", "cy", 0.1, 0.1))
			return err
		}, ErrNotFound},
		{"ErrNotFoundRescore", func() error {
			_, err := s.RescoreSubmission("iris", "r9", scored("s1", "ada", 0.1, 0.1))
			return err
		}, ErrNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}

	// s2 now beats s1 on both boards.
	if _, err := s.RescoreSubmission("iris", "r1", scored("s2", "bob", 0.95, 0.85)); err != nil {
		t.Fatalf("RescoreSubmission(s2): %v", err)
	}
	if _, err := s.RescoreSubmission("iris", "r1", scored("s2", "bob", 0.99, 0.99)); !errors.Is(err, ErrExists) {
		t.Errorf("second RescoreSubmission(s2): got %v, want ErrExists", err)
	}
	active, err := s.ActiveRescore("iris")
	if err != nil {
		t.Fatalf("ActiveRescore: %v", err)
	}
	if len(active.Done) != 1 || active.Done[0].Submission != "s2" || *active.Done[0].Before.Public != 0.7 || *active.Done[0].Before.Private != 0.6 {
		t.Fatalf("steps: got %+v, want s2 with its old scores 0.7 and 0.6", active.Done)
	}
	board, err := s.Leaderboard("iris", true)
	if err != nil || len(board) < 2 || board[0].Participant != "bob" {
		t.Fatalf("private board after the re-run: got %+v, %v; want bob first", board, err)
	}
	if err := s.FinishRescore("iris", "r1", t0.Add(2*time.Hour), []byte(`{"report":1}`),
		&AuditEntry{Time: t0.Add(2 * time.Hour), Action: "rescore", Actor: "host", Reason: "label fix", Summary: "re-ran 1"}); err != nil {
		t.Fatalf("FinishRescore: %v", err)
	}
	if _, err := s.ActiveRescore("iris"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ActiveRescore after finish: got %v, want ErrNotFound", err)
	}
	if _, err := s.RescoreSubmission("iris", "r1", scored("s1", "ada", 0.1, 0.1)); !errors.Is(err, ErrClosed) {
		t.Errorf("RescoreSubmission after finish: got %v, want ErrClosed", err)
	}
	all, err := s.Rescores("iris")
	if err != nil || len(all) != 1 || string(all[0].Detail) != `{"report":1}` || all[0].Finished.IsZero() || len(all[0].Done) != 1 {
		t.Fatalf("Rescores: got %+v, %v; want one finished rescore with its report and one step", all, err)
	}
	if err := s.BeginRescore(Rescore{ID: "r2", Task: "iris", Started: t0}, nil); err != nil {
		t.Errorf("BeginRescore after the first finished: %v", err)
	}
	if err := s.AppendAudit(AuditEntry{Task: "iris", Time: t0.Add(time.Hour), Action: "close", Actor: "host"}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	trail, err := s.AuditTrail("iris")
	if err != nil || len(trail) != 2 || trail[0].Action != "close" || trail[1].Action != "rescore" || trail[1].Reason != "label fix" {
		t.Errorf("AuditTrail: got %+v, %v; want the close then the rescore, by time", trail, err)
	}
	for _, tc := range []struct {
		name string
		a    AuditEntry
		want error
	}{
		{"ErrNotFound", AuditEntry{Task: "nope", Time: t0, Action: "close"}, ErrNotFound},
		{"ErrInvalidKey/no action", AuditEntry{Task: "iris", Time: t0}, ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.AppendAudit(tc.a); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestRescoreLadder: under the Ladder a rescore decides the entrant's
// shown scores again, in submission order.
func TestRescoreLadder(t *testing.T) {
	s, _ := openStore(t)
	task := Task{ID: "lad", Metric: "auc", HigherIsBetter: true, Created: t0, LadderStep: 0.1}
	if err := s.CreateTask(task); err != nil {
		t.Fatal(err)
	}
	sub := func(id string, pub float64, at time.Duration) Submission {
		return Submission{ID: id, Task: "lad", Participant: "ada", Created: t0.Add(at), Status: Scored, Public: f64(pub), ModuleSHA256: id}
	}
	mustPut(t, s, sub("s1", 0.5, 0))
	mustPut(t, s, sub("s2", 0.55, time.Minute)) // within the step: 0.5 shown again
	board, err := s.Leaderboard("lad", false)
	if err != nil || len(board) != 1 || board[0].SubmissionID != "s1" || board[0].Score != 0.5 {
		t.Fatalf("board before: got %+v, %v; want s1 shown at 0.5", board, err)
	}
	if err := s.BeginRescore(Rescore{ID: "r1", Task: "lad", Started: t0, Submissions: []string{"s1", "s2"}}, nil); err != nil {
		t.Fatal(err)
	}
	fixed := sub("s1", 0.3, 0)
	fixed.Updated = t0.Add(time.Hour)
	if _, err := s.RescoreSubmission("lad", "r1", fixed); err != nil {
		t.Fatalf("RescoreSubmission: %v", err)
	}
	// Replayed: s1 shows 0.3; s2's 0.55 beats it by more than the step,
	// so it shows, rounded to the step.
	board, err = s.Leaderboard("lad", false)
	if err != nil || len(board) != 1 || board[0].SubmissionID != "s2" || math.Abs(board[0].Score-0.6) > 1e-12 || board[0].Submissions != 2 {
		t.Fatalf("board after: got %+v, %v; want s2 shown at 0.6, 2 submissions", board, err)
	}
	got, err := s.Submission("s1")
	if err != nil || got.Shown == nil || math.Abs(*got.Shown-0.3) > 1e-12 {
		t.Errorf("s1 after: got %+v, %v; want shown 0.3", got, err)
	}
}
