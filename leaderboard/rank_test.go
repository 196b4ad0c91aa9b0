package leaderboard

import (
	"math"
	"strings"
	"testing"
	"time"
)

// sub builds a test submission: id is also used as its ID, seconds offsets
// Created from t0.
func sub(id, participant string, seconds int, status Status, public, private *float64) Submission {
	return Submission{ID: id, Participant: participant, ModuleSHA256: strings.Repeat("ab", 32),
		Created: t0.Add(time.Duration(seconds) * time.Second), Status: status,
		Public: public, Private: private, Elapsed: 1500 * time.Millisecond}
}

func entry(rank int, participant, id string, score float64, seconds, n int) Entry {
	return Entry{Rank: rank, Participant: participant, SubmissionID: id, Score: score,
		Submitted: t0.Add(time.Duration(seconds) * time.Second), Submissions: n}
}

func TestLeaderboardRanking(t *testing.T) {
	tests := []struct {
		name        string
		higher      bool
		puts        []Submission // applied in order; a repeated id is an update
		wantPublic  []Entry
		wantPrivate []Entry
	}{
		{
			name: "lower is better",
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.5), nil),
				sub("s2", "bob", 2, Scored, f64(0.3), nil),
				sub("s3", "cy", 3, Scored, f64(0.9), nil),
			},
			wantPublic: []Entry{
				entry(1, "bob", "s2", 0.3, 2, 1),
				entry(2, "ada", "s1", 0.5, 1, 1),
				entry(3, "cy", "s3", 0.9, 3, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name:   "higher is better",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.5), nil),
				sub("s2", "bob", 2, Scored, f64(0.3), nil),
				sub("s3", "cy", 3, Scored, f64(0.9), nil),
			},
			wantPublic: []Entry{
				entry(1, "cy", "s3", 0.9, 3, 1),
				entry(2, "ada", "s1", 0.5, 1, 1),
				entry(3, "bob", "s2", 0.3, 2, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name:   "tie broken by earlier created",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 5, Scored, f64(0.5), nil),
				sub("s2", "bob", 4, Scored, f64(0.5), nil),
			},
			wantPublic: []Entry{
				entry(1, "bob", "s2", 0.5, 4, 1),
				entry(2, "ada", "s1", 0.5, 5, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name: "tie at the same instant broken by id",
			puts: []Submission{
				sub("s2", "ada", 1, Scored, f64(0.5), nil),
				sub("s1", "bob", 1, Scored, f64(0.5), nil),
			},
			wantPublic: []Entry{
				entry(1, "bob", "s1", 0.5, 1, 1),
				entry(2, "ada", "s2", 0.5, 1, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name:   "participant improves",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.5), nil),
				sub("s2", "bob", 2, Scored, f64(0.7), nil),
				sub("s3", "ada", 3, Scored, f64(0.8), nil),
			},
			wantPublic: []Entry{
				entry(1, "ada", "s3", 0.8, 3, 2),
				entry(2, "bob", "s2", 0.7, 2, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name:   "participant worsens",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.8), nil),
				sub("s2", "bob", 2, Scored, f64(0.7), nil),
				sub("s3", "ada", 3, Scored, f64(0.5), nil),
			},
			wantPublic: []Entry{
				entry(1, "ada", "s1", 0.8, 1, 2),
				entry(2, "bob", "s2", 0.7, 2, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name: "participant repeats best score, earlier kept",
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.25), nil),
				sub("s2", "ada", 2, Scored, f64(0.25), nil),
			},
			wantPublic:  []Entry{entry(1, "ada", "s1", 0.25, 1, 2)},
			wantPrivate: []Entry{},
		},
		{
			name:   "failed and in-flight submissions not ranked",
			higher: true,
			puts: []Submission{
				{ID: "s1", Participant: "ada", Created: t0.Add(time.Second), Status: Failed,
					Public: f64(0.99), ErrorKind: "timeout", ErrorMessage: "sandbox: timeout"},
				sub("s2", "bob", 2, Scored, f64(0.4), nil),
				sub("s3", "bob", 3, Failed, nil, nil),
				sub("s4", "bob", 4, Running, f64(0.9), nil),
				sub("s5", "cy", 5, Queued, nil, nil),
			},
			wantPublic:  []Entry{entry(1, "bob", "s2", 0.4, 2, 2)},
			wantPrivate: []Entry{},
		},
		{
			name:   "status transitions to scored",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Received, nil, nil),
				sub("s1", "ada", 1, Queued, nil, nil),
				sub("s1", "ada", 1, Running, nil, nil),
				sub("s1", "ada", 1, Scored, f64(0.6), f64(0.55)),
			},
			wantPublic:  []Entry{entry(1, "ada", "s1", 0.6, 1, 1)},
			wantPrivate: []Entry{entry(1, "ada", "s1", 0.55, 1, 1)},
		},
		{
			name:   "private board",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.9), f64(0.1)),
				sub("s2", "bob", 2, Scored, f64(0.5), f64(0.7)),
				sub("s3", "cy", 3, Scored, f64(0.8), nil),
			},
			wantPublic: []Entry{
				entry(1, "ada", "s1", 0.9, 1, 1),
				entry(2, "cy", "s3", 0.8, 3, 1),
				entry(3, "bob", "s2", 0.5, 2, 1),
			},
			wantPrivate: []Entry{
				entry(1, "bob", "s2", 0.7, 2, 1),
				entry(2, "ada", "s1", 0.1, 1, 1),
			},
		},
		{
			name:   "private best from another submission than public best",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.9), f64(0.2)),
				sub("s2", "ada", 2, Scored, f64(0.5), f64(0.6)),
			},
			wantPublic:  []Entry{entry(1, "ada", "s1", 0.9, 1, 2)},
			wantPrivate: []Entry{entry(1, "ada", "s2", 0.6, 2, 2)},
		},
		{
			name:   "rescore to failed falls back to next best",
			higher: true,
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(0.9), f64(0.9)),
				sub("s2", "ada", 2, Scored, f64(0.5), f64(0.4)),
				sub("s3", "bob", 3, Scored, f64(0.7), nil),
				sub("s1", "ada", 1, Failed, nil, nil),
			},
			wantPublic: []Entry{
				entry(1, "bob", "s3", 0.7, 3, 1),
				entry(2, "ada", "s2", 0.5, 2, 2),
			},
			wantPrivate: []Entry{entry(1, "ada", "s2", 0.4, 2, 2)},
		},
		{
			name: "rescore changes the score in place",
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(3), nil),
				sub("s2", "bob", 2, Scored, f64(2), nil),
				sub("s1", "ada", 1, Scored, f64(1), nil),
			},
			wantPublic: []Entry{
				entry(1, "ada", "s1", 1, 1, 1),
				entry(2, "bob", "s2", 2, 2, 1),
			},
			wantPrivate: []Entry{},
		},
		{
			name: "re-queued submission leaves the board and the count",
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(1), f64(1)),
				sub("s1", "ada", 1, Queued, nil, nil),
			},
			wantPublic:  []Entry{},
			wantPrivate: []Entry{},
		},
		{
			name: "negative scores and signed zeros",
			puts: []Submission{
				sub("s1", "ada", 1, Scored, f64(2), nil),
				sub("s2", "bob", 2, Scored, f64(math.Copysign(0, -1)), nil),
				sub("s3", "cy", 3, Scored, f64(-1.5), nil),
				sub("s4", "dee", 4, Scored, f64(0), nil),
				sub("s5", "eve", 5, Scored, f64(-math.MaxFloat64), nil),
				sub("s6", "fay", 6, Scored, f64(math.SmallestNonzeroFloat64), nil),
			},
			wantPublic: []Entry{
				entry(1, "eve", "s5", -math.MaxFloat64, 5, 1),
				entry(2, "cy", "s3", -1.5, 3, 1),
				entry(3, "bob", "s2", 0, 2, 1), // -0 ties with 0; bob was earlier
				entry(4, "dee", "s4", 0, 4, 1),
				entry(5, "fay", "s6", math.SmallestNonzeroFloat64, 6, 1),
				entry(6, "ada", "s1", 2, 1, 1),
			},
			wantPrivate: []Entry{},
		},
	}
	s, _ := openStore(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := mustCreateTask(t, s, "task-"+string(rune('a'+i)), tc.higher)
			for _, p := range tc.puts {
				p.ID = task.ID + "/" + p.ID // ids are global, tasks share the store
				p.Task = task.ID
				mustPut(t, s, p)
			}
			for _, w := range [][]Entry{tc.wantPublic, tc.wantPrivate} {
				for i := range w {
					w[i].SubmissionID = task.ID + "/" + w[i].SubmissionID
				}
			}
			for _, b := range []struct {
				private bool
				want    []Entry
			}{{false, tc.wantPublic}, {true, tc.wantPrivate}} {
				got, err := s.Leaderboard(task.ID, b.private)
				if err != nil {
					t.Fatalf("Leaderboard(private=%v): %v", b.private, err)
				}
				if !entriesEqual(got, b.want) {
					t.Errorf("Leaderboard(private=%v): got%s\nwant%s", b.private, formatEntries(got), formatEntries(b.want))
				}
				for _, e := range got {
					if math.Signbit(e.Score) && e.Score == 0 {
						t.Errorf("entry %s: got score -0, want +0", e.SubmissionID)
					}
				}
			}
			checkConsistent(t, s, task)
		})
	}
}
