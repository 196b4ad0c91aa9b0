package leaderboard

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkPutSubmission measures a synced, indexed insert of a scored
// submission into a task with 100 participants.
func BenchmarkPutSubmission(b *testing.B) {
	s, _ := openStore(b)
	task := mustCreateTask(b, s, "bench", true)
	i := 0
	for b.Loop() {
		mustPut(b, s, Submission{ID: fmt.Sprintf("s%09d", i), Task: task.ID,
			Participant: fmt.Sprintf("p%03d", i%100), Created: t0.Add(time.Duration(i) * time.Millisecond),
			Status: Scored, Public: f64(float64(i%997) / 997), Private: f64(float64(i%991) / 991)})
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkLeaderboard measures reading a 1000-participant leaderboard
// (3 scored submissions each).
func BenchmarkLeaderboard(b *testing.B) {
	const participants, perParticipant = 1000, 3
	// Set-up writes need no fsync; the reads are what is measured.
	s, err := open(b.TempDir(), false)
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer s.Close()
	task := mustCreateTask(b, s, "bench", true)
	for i := range participants * perParticipant {
		mustPut(b, s, Submission{ID: fmt.Sprintf("s%09d", i), Task: task.ID,
			Participant: fmt.Sprintf("p%04d", i%participants), Created: t0.Add(time.Duration(i) * time.Millisecond),
			Status: Scored, Public: f64(float64(i%997) / 997)})
	}
	for b.Loop() {
		entries, err := s.Leaderboard(task.ID, false)
		if err != nil {
			b.Fatal(err)
		}
		if len(entries) != participants {
			b.Fatalf("got %d entries, want %d", len(entries), participants)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*participants), "ns/entry")
	b.ReportMetric(participants, "entries/op")
}

// BenchmarkLeaderboard100k measures reading the boards of a task holding
// 1e5 scored submissions (1000 participants × 100): the public board (one
// prefix scan of the rank index) and the final private board (Kaggle's
// selection rule: per participant, a scan of their two best public
// submissions and two reads).
func BenchmarkLeaderboard100k(b *testing.B) {
	const participants, perParticipant = 1000, 100
	s, err := open(b.TempDir(), false)
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer s.Close()
	task := mustCreateTask(b, s, "bench", true)
	for i := range participants * perParticipant {
		mustPut(b, s, Submission{ID: fmt.Sprintf("s%09d", i), Task: task.ID,
			Participant: fmt.Sprintf("p%04d", i%participants), Created: t0.Add(time.Duration(i) * time.Millisecond),
			Status: Scored, Public: f64(float64(i%997) / 997), Private: f64(float64(i%991) / 991)})
	}
	for _, bc := range []struct {
		name string
		read func() (int, error)
	}{
		{"public", func() (int, error) { e, err := s.Leaderboard(task.ID, false); return len(e), err }},
		{"final", func() (int, error) { e, err := s.FinalLeaderboard(task.ID, 2); return len(e), err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				n, err := bc.read()
				if err != nil || n != participants {
					b.Fatalf("got %d rows, %v; want %d", n, err, participants)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/read")
			b.ReportMetric(participants*perParticipant, "submissions")
		})
	}
}
