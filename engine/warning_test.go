package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestCreateTaskWarnsBeatsBaseline: beats_baseline needs a baseline, which
// a new task never has: CreateTask says so to the host, before anybody
// fails the gate at close; a task without the gate gets no such warning.
func TestCreateTaskWarnsBeatsBaseline(t *testing.T) {
	e, _ := contest(t, "", engine.Config{})
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, gates string
		want        bool
	}{{"Gated", "gates: {beats_baseline: {alpha: 0.01}}\n", true}, {"Ungated", "gates: {min_score: 10}\n", false}} {
		t.Run(tc.name, func(t *testing.T) {
			spec := fmt.Sprintf("id: %s\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\n%s", strings.ToLower(tc.name), data, tc.gates)
			path := filepath.Join(t.TempDir(), "task.yaml")
			if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
				t.Fatal(err)
			}
			task, err := e.CreateTask(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(strings.Join(task.Warnings, "\n"), "gates.beats_baseline: the task has no baseline yet")
			if got != tc.want {
				t.Errorf("got warnings %q, want the beats_baseline warning: %v", task.Warnings, tc.want)
			}
		})
	}
}
