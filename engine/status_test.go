package engine_test

import (
	"testing"

	"github.com/verdictlab/verdict/engine"
)

func TestStatusTerminal(t *testing.T) {
	tests := []struct {
		status engine.Status
		want   bool
	}{
		{engine.StatusReceived, false},
		{engine.StatusQueued, false},
		{engine.StatusRunning, false},
		{engine.StatusScored, true},
		{engine.StatusFailed, true},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(string(tc.status), func(t *testing.T) {
			if got := tc.status.Terminal(); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
