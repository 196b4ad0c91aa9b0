package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestDiagnosticsRules checks who sees which part of a submission's
// pictures: never another's, never the private part before close, and
// under the Ladder not even the public part.
func TestDiagnosticsRules(t *testing.T) {
	bob := engine.Viewer{Participant: "bob"}
	t.Run("best", func(t *testing.T) {
		e, _ := contest(t, "", engine.Config{})
		sub := mustSubmit(t, e, "bob", linear)
		for _, v := range []engine.Viewer{{}, {Participant: "alice"}} {
			if _, err := e.Diagnostics(sub.ID, v); !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("viewer %+v: got %v, want ErrNotFound", v, err)
			}
		}
		d, err := e.Diagnostics(sub.ID, bob)
		if err != nil {
			t.Fatal(err)
		}
		if d.Public == nil || d.Public.Scatter == nil || d.Private != nil || !strings.Contains(d.Note, "private part") {
			t.Fatalf("open, bob: got %+v, want the public scatter only, and a note", d)
		}
		task, _ := e.Task("contest")
		if got := sum(d.Public.Scatter.Counts); got != task.PublicRows || d.Public.Rows != task.PublicRows {
			t.Errorf("got %d rows binned (%d), want the %d public rows", got, d.Public.Rows, task.PublicRows)
		}
		h, err := e.Diagnostics(sub.ID, engine.Host)
		if err != nil || h.Private == nil || sum(h.Private.Scatter.Counts) != task.PrivateRows {
			t.Fatalf("host: got %+v, %v, want both parts", h, err)
		}
		if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
			t.Fatal(err)
		}
		if d, err = e.Diagnostics(sub.ID, bob); err != nil || d.Private == nil || d.Note != "" {
			t.Errorf("closed, bob: got %+v, %v, want both parts", d, err)
		}
	})
	t.Run("ladder", func(t *testing.T) {
		e, _ := contest(t, "leaderboard: {mode: ladder, step: 0.5}\n", engine.Config{})
		sub := mustSubmit(t, e, "bob", linear)
		d, err := e.Diagnostics(sub.ID, bob)
		if err != nil || d.Public != nil || d.Private != nil || !strings.Contains(d.Note, "Ladder") {
			t.Errorf("ladder, bob: got %+v, %v, want nothing but the note", d, err)
		}
		if h, err := e.Diagnostics(sub.ID, engine.Host); err != nil || h.Public == nil {
			t.Errorf("ladder, host: got %+v, %v, want the public part", h, err)
		}
	})
	t.Run("failed", func(t *testing.T) {
		e, _ := contest(t, "", engine.Config{})
		sub, err := submit(t, e, "bob", sandboxtest.Wasm(sandboxtest.Trap))
		if err != nil || !sub.Failed() {
			t.Fatalf("got %+v, %v, want a failed submission", sub, err)
		}
		if d, err := e.Diagnostics(sub.ID, bob); err != nil || d.Public != nil || !strings.Contains(d.Note, "failed") {
			t.Errorf("got %+v, %v, want a note and nothing to draw", d, err)
		}
	})
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
