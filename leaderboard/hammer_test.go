package leaderboard

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestConcurrentPutSubmission has many goroutines move submissions of a few
// participants through their statuses at once, so that transactions for the
// same participant collide, then checks both boards against a brute-force
// recomputation from Submissions.
func TestConcurrentPutSubmission(t *testing.T) {
	const (
		workers      = 8
		perWorker    = 12
		participants = 4
	)
	s, _ := openStore(t)
	for _, higher := range []bool{true, false} {
		task := mustCreateTask(t, s, fmt.Sprintf("hammer-%v", higher), higher)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for i := range perWorker {
					sub := Submission{
						ID:          fmt.Sprintf("%s/w%d-%03d", task.ID, w, i),
						Task:        task.ID,
						Participant: fmt.Sprintf("p%d", rng.IntN(participants)),
						// Coarse times and scores so ties happen.
						Created: t0.Add(time.Duration(rng.IntN(5)) * time.Second),
						Status:  Running,
					}
					if err := s.PutSubmission(sub); err != nil {
						errs <- err
						return
					}
					switch rng.IntN(4) {
					case 0:
						sub.Status, sub.ErrorKind = Failed, "guest"
					case 1:
						sub.Status, sub.Public = Scored, f64(float64(rng.IntN(10))/10)
					default:
						sub.Status = Scored
						sub.Public, sub.Private = f64(float64(rng.IntN(10))/10), f64(float64(rng.IntN(10))/10)
					}
					if err := s.PutSubmission(sub); err != nil {
						errs <- err
						return
					}
					if rng.IntN(6) == 0 { // occasionally rescore or re-queue
						sub.Status, sub.Public, sub.Private = Queued, nil, nil
						if err := s.PutSubmission(sub); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("PutSubmission: %v", err)
		}
		subs, err := s.Submissions(task.ID)
		if err != nil {
			t.Fatalf("Submissions: %v", err)
		}
		if len(subs) != workers*perWorker {
			t.Errorf("Submissions: got %d, want %d", len(subs), workers*perWorker)
		}
		checkConsistent(t, s, task)
	}
}
