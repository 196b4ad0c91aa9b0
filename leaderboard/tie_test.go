package leaderboard

import (
	"fmt"
	"slices"
	"testing"
)

// TestFinalLeaderboardTies: on the final board, equal private scores go to
// the earlier submission, between entrants and among one entrant's
// candidates, whatever the ids, the public scores, the order of the
// candidates or the direction of the metric. The later entrant has the
// smaller name, the smaller id and the better public score, so neither
// name, id nor public order can pass for the rule; zoe's candidates come in
// either order (by public score, or by id when she selects them).
func TestFinalLeaderboardTies(t *testing.T) {
	tests := []struct {
		name        string
		higher      bool
		early       string // id of zoe's earlier submission; her later one is "m-zoe-late"
		earlyBetter bool   // her earlier one has the better public score
		selected    bool   // zoe selects both instead of the default (her best public)
	}{
		{"HigherIsBetter", true, "z-zoe-early", false, false},
		{"LowerIsBetter", false, "z-zoe-early", false, false},
		{"EarlyBetterPublic", true, "z-zoe-early", true, false},
		{"Selected/EarlyIDLast", true, "z-zoe-early", false, true},
		{"Selected/EarlyIDFirst", false, "b-zoe-early", false, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openStore(t)
			task := mustCreateTask(t, s, fmt.Sprintf("ties-%d", i), tc.higher)
			// public returns a public score that ranks k steps better.
			public := func(k int) float64 {
				if tc.higher {
					return 0.5 + 0.1*float64(k)
				}
				return 0.5 - 0.1*float64(k)
			}
			earlyPub, latePub := public(0), public(1)
			if tc.earlyBetter {
				earlyPub, latePub = latePub, earlyPub
			}
			for j, r := range []struct {
				id, who string
				public  float64
			}{
				{tc.early, "zoe", earlyPub},
				{"m-zoe-late", "zoe", latePub},
				{"a-abe-latest", "abe", public(2)},
			} {
				if _, err := create(s, task.ID, r.id, r.who, r.id, j, Quota{}); err != nil {
					t.Fatal(err)
				}
				score(t, s, r.id, r.public, 0.75) // every private score equal
			}
			if tc.selected {
				if err := s.Select(task.ID, "zoe", []string{tc.early, "m-zoe-late"}, 2); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.FinalLeaderboard(task.ID, 2)
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, e := range got {
				rows = append(rows, fmt.Sprintf("%d %s %s", e.Rank, e.Participant, e.SubmissionID))
			}
			// zoe's earlier submission stands for her, and ranks above
			// abe's later one.
			if want := []string{"1 zoe " + tc.early, "2 abe a-abe-latest"}; !slices.Equal(rows, want) {
				t.Errorf("got %q, want %q", rows, want)
			}
		})
	}
}
