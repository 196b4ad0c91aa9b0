package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdictlab/verdict/datasets"
)

// TestLoad opens a task's dataset from many goroutines at once: one read,
// shared by all; an unknown task is not remembered; a closed engine loads
// nothing.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, "id: contest\ntype: regression\nmetric: rmse\ndata: {test: %q}\n", data), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, spec); err != nil {
		t.Fatal(err)
	}

	const n = 8
	got := make([]*loadedTask, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			lt, err := e.load("contest")
			if err != nil {
				t.Errorf("load %d: %v", i, err)
			}
			got[i] = lt
		})
	}
	wg.Wait()
	for i, lt := range got {
		if lt == nil || lt != got[0] {
			t.Fatalf("load %d: got %p, want the one loaded task %p", i, lt, got[0])
		}
	}
	if len(got[0].cols) == 0 || got[0].task.Spec.ID != "contest" {
		t.Errorf("loaded task: %d columns, id %q", len(got[0].cols), got[0].task.Spec.ID)
	}

	if _, err := e.load("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("load unknown task: got %v, want ErrNotFound", err)
	}
	e.mu.Lock()
	_, kept := e.loaded["nope"]
	e.mu.Unlock()
	if kept {
		t.Error("a failed load was kept: the next caller would never retry")
	}

	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.load("contest"); !errors.Is(err, ErrEngineClosed) {
		t.Errorf("load after Close: got %v, want ErrEngineClosed", err)
	}
}

// TestDatasetBounds: Config's dataset bounds reach task creation (a
// dataset over one is refused with datasets.ErrTooLarge), a task of
// exactly the bound is created, and negative bounds are refused by
// Validate.
func TestDatasetBounds(t *testing.T) {
	ctx := context.Background()
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	d, err := datasets.Load(data, datasets.Schema{ID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	rows, feats := d.Rows(), len(d.FeatureNames)-1 // the label is a feature here
	d.Release()
	spec := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, "id: contest\ntype: regression\nmetric: rmse\ndata: {test: %q}\n", data), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
		refused bool
	}{
		{"rows at the bound", Config{MaxDatasetRows: rows}, false},
		{"ErrTooManyRows", Config{MaxDatasetRows: rows - 1}, true},
		{"ErrTooManyCells", Config{MaxDatasetCells: int64(rows*feats) - 1}, true},
		{"ErrTooManyBytes", Config{MaxDatasetBytes: 10}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.DataDir = filepath.Join(t.TempDir(), "data")
			e, err := Open(ctx, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			_, err = e.CreateTask(ctx, spec)
			if got := errors.Is(err, datasets.ErrTooLarge); got != tc.refused || (!tc.refused && err != nil) {
				t.Errorf("got %v, want ErrTooLarge %v", err, tc.refused)
			}
		})
	}
	if err := (Config{DataDir: "d", MaxDatasetRows: -1}).Validate(); err == nil {
		t.Error("Validate: got nil for MaxDatasetRows -1, want an error")
	}
}
