package leaderboard_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/verdictlab/verdict/leaderboard"
)

func Example() {
	dir, err := os.MkdirTemp("", "leaderboard-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := leaderboard.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = store.CreateTask(leaderboard.Task{ID: "iris", Type: "multiclass", Metric: "accuracy",
		HigherIsBetter: true, Created: now})
	if err != nil {
		log.Fatal(err)
	}
	for i, run := range []struct {
		participant string
		public      float64
	}{{"ada", 0.91}, {"bob", 0.95}, {"ada", 0.97}, {"bob", 0.90}} {
		sub := leaderboard.Submission{ID: fmt.Sprintf("sub-%d", i), Task: "iris",
			Participant: run.participant, Created: now.Add(time.Duration(i) * time.Minute),
			Status: leaderboard.Running}
		if err := store.PutSubmission(sub); err != nil {
			log.Fatal(err)
		}
		sub.Status, sub.Public = leaderboard.Scored, &run.public
		if err := store.PutSubmission(sub); err != nil {
			log.Fatal(err)
		}
	}
	board, err := store.Leaderboard("iris", false)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range board {
		fmt.Printf("%d %s %.2f %s (%d submissions)\n", e.Rank, e.Participant, e.Score, e.SubmissionID, e.Submissions)
	}
	_, err = store.Task("mnist")
	fmt.Println(err)
	// Output:
	// 1 ada 0.97 sub-2 (2 submissions)
	// 2 bob 0.95 sub-1 (2 submissions)
	// task "mnist": leaderboard: not found
}
