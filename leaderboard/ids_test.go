package leaderboard

import (
	"errors"
	"slices"
	"testing"
)

func TestSubmissionIDs(t *testing.T) {
	s, _ := openStore(t)
	task := mustCreateTask(t, s, "ids", true)
	for i, id := range []string{"abc1", "abc2", "abd3", "b"} {
		p := sub(id, "ada", i, Scored, f64(0.5), nil)
		p.Task = task.ID
		mustPut(t, s, p)
	}
	tests := []struct {
		name   string
		prefix string
		limit  int
		want   []string
	}{
		{"All", "", 0, []string{"abc1", "abc2", "abd3", "b"}},
		{"Prefix", "abc", 0, []string{"abc1", "abc2"}},
		{"Exact", "abd3", 0, []string{"abd3"}},
		{"Limit", "ab", 2, []string{"abc1", "abc2"}},
		{"None", "c", 0, []string{}},
		{"LongerThanAny", "abc1x", 0, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SubmissionIDs(tc.prefix, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("SubmissionIDs(%q, %d): got %q, want %q", tc.prefix, tc.limit, got, tc.want)
			}
		})
	}
	t.Run("ErrInvalidKey", func(t *testing.T) {
		if _, err := s.SubmissionIDs("a\x00", 0); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("got %v, want ErrInvalidKey", err)
		}
	})
}
