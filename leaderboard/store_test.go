package leaderboard

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestErrors(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "iris", true)
	stored := Submission{ID: uuid.NewString(), Task: task.ID, Participant: "ada", Created: t0, Status: Running}
	mustPut(t, s, stored)
	valid := func(edit func(*Submission)) Submission {
		sub := Submission{ID: uuid.NewString(), Task: task.ID, Participant: "bob", Created: t0,
			Status: Scored, Public: f64(0.5)}
		edit(&sub)
		return sub
	}
	changed := func(edit func(*Submission)) Submission {
		sub := stored
		edit(&sub)
		return sub
	}

	tests := []struct {
		name    string
		call    func() error
		want    error
		wantMsg string // exact message, when set
	}{
		{"ErrNotFound/Task", func() error { _, err := s.Task("nope"); return err },
			ErrNotFound, `task "nope": leaderboard: not found`},
		{"ErrNotFound/Submission", func() error { _, err := s.Submission("nope"); return err },
			ErrNotFound, `submission "nope": leaderboard: not found`},
		{"ErrNotFound/Submissions", func() error { _, err := s.Submissions("nope"); return err },
			ErrNotFound, `task "nope": leaderboard: not found`},
		{"ErrNotFound/Leaderboard", func() error { _, err := s.Leaderboard("nope", false); return err },
			ErrNotFound, `task "nope": leaderboard: not found`},
		{"ErrNotFound/PutSubmission unknown task",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.ID, s.Task = "x", "nope" })) },
			ErrNotFound, `put submission "x": task "nope": leaderboard: not found`},
		{"ErrExists/CreateTask", func() error { return s.CreateTask(Task{ID: "iris"}) },
			ErrExists, `task "iris": leaderboard: already exists`},
		{"ErrInvalidKey/empty task id", func() error { return s.CreateTask(Task{}) },
			ErrInvalidKey, `task "": leaderboard: invalid key: empty`},
		{"ErrInvalidKey/NUL in task id", func() error { _, err := s.Task("a\x00b"); return err },
			ErrInvalidKey, `task "a\x00b": leaderboard: invalid key: contains NUL`},
		{"ErrInvalidKey/long participant",
			func() error {
				return s.PutSubmission(valid(func(s *Submission) { s.Participant = strings.Repeat("p", MaxIDLength+1) }))
			},
			ErrInvalidKey, ""},
		{"ErrInvalidKey/invalid UTF-8 submission id",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.ID = "\xff" })) },
			ErrInvalidKey, `submission "\xff": leaderboard: invalid key: not valid UTF-8`},
		{"ErrInvalidKey/empty leaderboard task", func() error { _, err := s.Leaderboard("", true); return err },
			ErrInvalidKey, ""},
		{"ErrInvalidSubmission/unknown status",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.ID, s.Status = "x", "done" })) },
			ErrInvalidSubmission, `submission "x": leaderboard: invalid submission: unknown status "done"`},
		{"ErrInvalidSubmission/scored without public score",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.Public = nil })) },
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/NaN score",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.Public = f64(math.NaN()) })) },
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/infinite private score",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.Private = f64(math.Inf(-1)) })) },
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/zero created",
			func() error { return s.PutSubmission(valid(func(s *Submission) { s.Created = time.Time{} })) },
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/created beyond 2262",
			func() error {
				return s.PutSubmission(valid(func(s *Submission) { s.Created = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }))
			},
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/participant changed",
			func() error { return s.PutSubmission(changed(func(s *Submission) { s.Participant = "mallory" })) },
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/created changed",
			func() error { return s.PutSubmission(changed(func(s *Submission) { s.Created = t0.Add(time.Hour) })) },
			ErrInvalidSubmission, ""},
		{"ErrInvalidSubmission/task changed",
			func() error {
				mustCreateTask(t, s, "other", false)
				return s.PutSubmission(changed(func(s *Submission) { s.Task = "other" }))
			},
			ErrInvalidSubmission, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			if tc.wantMsg != "" && err.Error() != tc.wantMsg {
				t.Errorf("got message %q, want %q", err.Error(), tc.wantMsg)
			}
		})
	}

	// None of the refused writes may have left a trace.
	got, err := s.Submission(stored.ID)
	if err != nil {
		t.Fatalf("Submission: %v", err)
	}
	if !reflect.DeepEqual(got, stored) {
		t.Errorf("stored submission: got %+v, want %+v", got, stored)
	}
	subs, err := s.Submissions(task.ID)
	if err != nil {
		t.Fatalf("Submissions: %v", err)
	}
	if len(subs) != 1 {
		t.Errorf("Submissions: got %d, want 1", len(subs))
	}
}

func TestRoundTrip(t *testing.T) {
	s, _ := openStore(t)
	// Created in a non-UTC zone; the store keeps the instant and the offset.
	zone := time.FixedZone("UTC+2", 2*60*60)
	tasks := []Task{
		{ID: "zeta", Title: "Zeta", Type: "regression", Metric: "rmse", Created: t0.In(zone),
			Spec: []byte(`{"metric":"rmse","limits":{"timeout":"5s"}}`)},
		{ID: "alpha", Title: "Alpha ☃", Type: "multiclass", Metric: "accuracy", HigherIsBetter: true,
			Created: t0.Add(time.Nanosecond)},
		{ID: "mid", Type: "ranking", Metric: "ndcg", HigherIsBetter: true, Created: t0},
	}
	for _, task := range tasks {
		if err := s.CreateTask(task); err != nil {
			t.Fatalf("CreateTask(%q): %v", task.ID, err)
		}
	}
	gotTasks, err := s.Tasks()
	if err != nil {
		t.Fatalf("Tasks: %v", err)
	}
	var gotIDs []string
	for _, task := range gotTasks {
		gotIDs = append(gotIDs, task.ID)
	}
	if want := []string{"alpha", "mid", "zeta"}; !reflect.DeepEqual(gotIDs, want) {
		t.Errorf("Tasks ids: got %q, want %q", gotIDs, want)
	}
	for _, want := range tasks {
		got, err := s.Task(want.ID)
		if err != nil {
			t.Fatalf("Task(%q): %v", want.ID, err)
		}
		if !got.Created.Equal(want.Created) || got.Created.Format(time.RFC3339Nano) != want.Created.Format(time.RFC3339Nano) {
			t.Errorf("Task(%q).Created: got %v, want %v", want.ID, got.Created, want.Created)
		}
		got.Created, want.Created = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Task(%q): got %+v, want %+v", want.ID, got, want)
		}
	}

	// Submission order is Created then ID, whatever the insertion order.
	subs := []Submission{
		{ID: "c", Task: "alpha", Participant: "ada", Created: t0.Add(2 * time.Nanosecond), Status: Received},
		{ID: "b", Task: "alpha", Participant: "bob", Created: t0.Add(time.Nanosecond), Status: Failed,
			ErrorKind: "guest", ErrorMessage: "verdict_predict returned 3", Elapsed: 42 * time.Millisecond},
		{ID: "a", Task: "alpha", Participant: "ada", Created: t0.Add(time.Nanosecond), Status: Scored,
			ModuleSHA256: strings.Repeat("0f", 32), Public: f64(0.1 + 0.2), Private: f64(1.0 / 3),
			Elapsed: time.Second, Detail: []byte(`{"public_ci":{"low":0.1}}`)},
		{ID: "d", Task: "alpha", Participant: "cy", Created: t0.Add(-time.Hour), Status: Scored, Public: f64(math.Copysign(0, -1))},
	}
	for _, sub := range subs {
		mustPut(t, s, sub)
	}
	got, err := s.Submissions("alpha")
	if err != nil {
		t.Fatalf("Submissions: %v", err)
	}
	want := []Submission{subs[3], subs[2], subs[1], subs[0]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Submissions:\ngot  %+v\nwant %+v", got, want)
	}
	if *got[1].Public != 0.1+0.2 || *got[1].Private != 1.0/3 {
		t.Errorf("scores: got %v %v, want exact float64 round trip", *got[1].Public, *got[1].Private)
	}
	if empty, err := s.Submissions("mid"); err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("Submissions(mid): got %v, %v, want an empty non-nil slice", empty, err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	task := mustCreateTask(t, s, "iris", true)
	for i := range 20 {
		mustPut(t, s, Submission{ID: uuid.NewString(), Task: task.ID,
			Participant: []string{"ada", "bob", "cy"}[i%3], Created: t0.Add(time.Duration(i) * time.Minute),
			Status: []Status{Scored, Scored, Failed, Running}[i%4],
			Public: f64(float64(i%7) / 7), Private: f64(float64(i%5) / 5)})
	}
	wantTasks, _ := s.Tasks()
	wantSubs, _ := s.Submissions(task.ID)
	wantPub, _ := s.Leaderboard(task.ID, false)
	wantPriv, _ := s.Leaderboard(task.ID, true)
	if len(wantPub) != 3 {
		t.Fatalf("public leaderboard before reopen: got %d rows, want 3", len(wantPub))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	gotTasks, _ := s.Tasks()
	gotSubs, _ := s.Submissions(task.ID)
	gotPub, _ := s.Leaderboard(task.ID, false)
	gotPriv, err := s.Leaderboard(task.ID, true)
	if err != nil {
		t.Fatalf("Leaderboard after reopen: %v", err)
	}
	if !reflect.DeepEqual(gotTasks, wantTasks) {
		t.Errorf("Tasks after reopen: got %+v, want %+v", gotTasks, wantTasks)
	}
	if !reflect.DeepEqual(gotSubs, wantSubs) {
		t.Errorf("Submissions after reopen: got %d %+v, want %d %+v", len(gotSubs), gotSubs, len(wantSubs), wantSubs)
	}
	if !entriesEqual(gotPub, wantPub) || !entriesEqual(gotPriv, wantPriv) {
		t.Errorf("leaderboards after reopen: got%s%s\nwant%s%s", formatEntries(gotPub), formatEntries(gotPriv),
			formatEntries(wantPub), formatEntries(wantPriv))
	}
	checkConsistent(t, s, task)
}

// TestOpenWaitsForLock opens a store directory another Store holds (a
// flock conflicts within one process too): Open waits for it to be let go
// of, and gives up with ErrLocked when it is not.
func TestOpenWaitsForLock(t *testing.T) {
	defer func(w time.Duration) { lockWait = w }(lockWait)
	dir := t.TempDir()
	first, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrLocked", func(t *testing.T) {
		lockWait = 100 * time.Millisecond
		_, err := Open(dir)
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another process has it open") {
			t.Fatalf("got %v, want ErrLocked", err)
		}
	})
	t.Run("LetGo", func(t *testing.T) {
		lockWait = time.Minute // far more than Close takes
		time.AfterFunc(50*time.Millisecond, func() { first.Close() })
		second, err := Open(dir)
		if err != nil {
			t.Fatalf("got %v, want the store once the first Store closes", err)
		}
		second.Close()
	})
}
