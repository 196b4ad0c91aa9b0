package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"NotFound", fmt.Errorf("credential %q: %w", "abc", engine.ErrNotFound), `credential "abc" not found`},
		{"NotFoundTwice", fmt.Errorf("submission %q: %w: %w", "x", leaderboard.ErrNotFound, engine.ErrNotFound), `submission "x" not found`},
		{"KindOnly", fmt.Errorf("2 submissions selected, the task allows 1: %w", engine.ErrBadRequest), "2 submissions selected, the task allows 1"},
		{"Metric", fmt.Errorf("score: roc_auc: labels must be 0 or 1: %w", metric.ErrInvalidInput), "score: roc_auc: labels must be 0 or 1"},
		{"Meaningful", fmt.Errorf("task %q: %w", "t", engine.ErrClosed), `task "t": task closed`},
		{"Repeated", fmt.Errorf("task %q: %w: %w", "t", leaderboard.ErrClosed, engine.ErrClosed), `task "t": task closed`},
		{"Bare", engine.ErrBadRequest, "bad request"},
		{"Plain", errors.New("disk full"), "disk full"},
		{"Quota", &engine.QuotaError{Participant: "ada", Limit: "total", Max: 3}, `participant "ada" has made all 3 submissions the task allows: submission limit reached`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.Message(tc.err); got != tc.want {
				t.Errorf("Message(%q): got %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// TestFailureMessage: a failed submission's message is a sentence too:
// no sentinel's package prefix.
func TestFailureMessage(t *testing.T) {
	e, _ := contest(t, "", engine.Config{})
	sub, err := submit(t, e, "ada", sandboxtest.Wasm(sandboxtest.Trap))
	if err != nil || !sub.Failed() {
		t.Fatalf("Submit(trap): %+v, %v", sub, err)
	}
	for _, internal := range []string{"sandbox:", "engine:", "metric:"} {
		if strings.Contains(sub.Error.Message, internal) {
			t.Errorf("message %q shows the internal %q", sub.Error.Message, internal)
		}
	}
	if !strings.Contains(sub.Error.Message, "trap") {
		t.Errorf("message %q does not say the model trapped", sub.Error.Message)
	}
}
