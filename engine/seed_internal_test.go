package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/verdictlab/verdict/leaderboard"
)

// TestStoredTaskKeepsSplit: a task stored under the old default seed (the
// task id, written in the record) or with no seed recorded at all keeps its
// split across a restart: the new default applies to new tasks only.
func TestStoredTaskKeepsSplit(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	cache := filepath.Join(t.TempDir(), "cache")
	e, err := Open(ctx, Config{DataDir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	// What the old default wrote: the seed is the id.
	path := filepath.Join(t.TempDir(), "task.yaml")
	spec := fmt.Sprintf("id: bc-old\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nsplit: {seed: bc-old}\n", data)
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	old, err := e.CreateTask(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// A record with no seed at all, from before the stored split and the
	// dataset file's digest were recorded.
	legacy := *old
	legacy.Spec.ID, legacy.Spec.Split.Seed, legacy.Warnings = "bc-legacy", "", nil
	legacy.DatasetFileSHA256, legacy.SplitSHA256 = "", ""
	raw, err := json.Marshal(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateTask(leaderboard.Task{ID: "bc-legacy", Type: "binary", Metric: "roc_auc",
		HigherIsBetter: true, Created: old.Created, Spec: raw}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if e, err = Open(ctx, Config{DataDir: dir, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	for _, id := range []string{"bc-old", "bc-legacy"} {
		lt, err := e.load(id)
		if err != nil {
			t.Fatal(err)
		}
		want := newSplit(id, lt.data.IDs, DefaultPublicFraction)
		if !slices.Equal(lt.split.public, want.public) || !slices.Equal(lt.split.private, want.private) {
			t.Errorf("%s: the split changed: got %d public rows %v, want the task id's %d %v", id,
				len(lt.split.public), lt.split.public, len(want.public), want.public)
		}
	}
}
