package main

import "testing"

func TestStatusLine(t *testing.T) {
	tests := []struct {
		name        string
		status      string
		done, total int
		want        string
	}{
		{"Queued", "queued", 0, 0, "submission s1: queued"},
		{"RunningUnknownRows", "running", 0, 0, "submission s1: running"},
		{"RunningStart", "running", 0, 100000, "submission s1: running: 0 / 100,000 rows (0%)"},
		{"Running", "running", 40960, 100000, "submission s1: running: 40,960 / 100,000 rows (40%)"},
		{"RunningDone", "running", 1234567, 1234567, "submission s1: running: 1,234,567 / 1,234,567 rows (100%), scoring"},
		{"ScoredIgnoresRows", "scored", 5, 5, "submission s1: scored"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusLine("submission s1", tc.status, tc.done, tc.total); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGroupDigits(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {40960, "40,960"},
		{100000, "100,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"},
	}
	for _, tc := range tests {
		if got := groupDigits(tc.n); got != tc.want {
			t.Errorf("groupDigits(%d): got %q, want %q", tc.n, got, tc.want)
		}
	}
}
