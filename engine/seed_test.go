package engine_test

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// bcIDs returns the row ids of the shipped breast-cancer test set.
func bcIDs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs[1:] {
		ids = append(ids, r[0]) // the id column comes first
	}
	return ids
}

// TestSplitSeed: a spec without split.seed gets a random secret at
// creation (not the public task id), stored with the task and never in its
// public face; a guessable seed draws a warning for the host.
func TestSplitSeed(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Close(ctx) }()
	data, err := filepath.Abs("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	ids := bcIDs(t)
	tests := []struct {
		name, id, seed string
		warn           string // a warning must contain it; "" no warning
	}{
		{"NoSeed", "bc-no-seed", "", "random secret"},
		{"NoSeedAgain", "bc-no-seed-2", "", "random secret"},
		{"SeedIsID", "bc-seed-is-id", "bc-seed-is-id", "is the task id"},
		{"ShortSeed", "bc-short", "fifteen bytes!!", "15 bytes, shorter than 16"},
		{"LongSeed", "bc-long", "sixteen bytes!!!", ""},
	}
	seeds := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			split := "split: {public_fraction: 0.3}"
			if tc.seed != "" {
				split = fmt.Sprintf("split: {public_fraction: 0.3, seed: %q}", tc.seed)
			}
			path := filepath.Join(t.TempDir(), "task.yaml")
			spec := fmt.Sprintf("id: %s\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\n%s\n", tc.id, data, split)
			if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
				t.Fatal(err)
			}
			task, err := e.CreateTask(ctx, path)
			if err != nil {
				t.Fatalf("CreateTask: %v", err)
			}
			warnings := strings.Join(task.Warnings, "\n")
			if tc.warn == "" && len(task.Warnings) > 0 || !strings.Contains(warnings, tc.warn) {
				t.Errorf("warnings: got %q, want one containing %q", task.Warnings, tc.warn)
			}
			stored, err := e.Task(tc.id)
			if err != nil {
				t.Fatal(err)
			}
			seed := stored.Spec.Split.Seed
			if len(stored.Warnings) > 0 {
				t.Errorf("stored task carries the creation's warnings %q", stored.Warnings)
			}
			if tc.seed != "" {
				if seed != tc.seed {
					t.Errorf("stored seed: got %q, want the spec's %q", seed, tc.seed)
				}
			} else {
				if seed == tc.id {
					t.Fatalf("stored seed: got the public task id %q, want a random secret", seed)
				}
				if b, err := hex.DecodeString(seed); err != nil || len(b) != engine.SeedBytes {
					t.Errorf("stored seed: got %q, want %d random bytes in hex", seed, engine.SeedBytes)
				}
				for other, s := range seeds {
					if s == seed {
						t.Errorf("tasks %s and %s got the same seed %q", other, tc.id, seed)
					}
				}
				seeds[tc.id] = seed
			}
			public := 0
			for _, id := range ids {
				if engine.Public(seed, id, 0.3) {
					public++
				}
			}
			if task.PublicRows != public {
				t.Errorf("public rows: got %d, want %d as the stored seed splits them", task.PublicRows, public)
			}
			view, err := json.Marshal(stored.Info())
			if err != nil {
				t.Fatal(err)
			}
			if seed != tc.id && strings.Contains(string(view), seed) {
				t.Errorf("the task's public face carries the seed: %s", view)
			}
		})
	}
}
