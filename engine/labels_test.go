package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestCreateTaskOneClass: a task whose metric has no meaningful value on
// the labels of a part that is scored (one class where roc_auc needs two,
// a class missing where roc_auc_ovr needs all) is refused at creation,
// naming the label column, the metric and the part; before, it was
// accepted and every submission then failed scoring.
func TestCreateTaskOneClass(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)

	const seed, fraction = "one-class-seed-0123456789", 0.5
	// data writes 40 rows whose label is label(public, i).
	data := func(label func(public bool, i int) int) string {
		var b strings.Builder
		b.WriteString("id,a,y\n")
		for i := range 40 {
			id := fmt.Sprintf("r%d", i)
			fmt.Fprintf(&b, "%s,%d,%d\n", id, i, label(engine.Public(seed, id, fraction), i))
		}
		return b.String()
	}
	tests := []struct {
		name, typ, metric, csv string
		want                   []string // "" : accepted
	}{
		{"AllOneClass", "binary", "roc_auc", data(func(bool, int) int { return 1 }),
			[]string{`label column "y"`, "roc_auc", "whole dataset", "class 1"}},
		{"PrivateOneClass", "binary", "roc_auc", data(func(pub bool, i int) int {
			if pub {
				return i % 2
			}
			return 0
		}), []string{`label column "y"`, "roc_auc", "private part", "class 0"}},
		{"PublicOneClass", "binary", "average_precision", data(func(pub bool, i int) int {
			if pub {
				return 0
			}
			return i % 2
		}), []string{`label column "y"`, "average_precision", "public part"}},
		{"PrivateOneClass/mcc", "multiclass", "mcc", data(func(pub bool, i int) int {
			if pub {
				return i % 3
			}
			return 2
		}), []string{"mcc", "private part", "class 2"}},
		{"PrivateMissingClass/roc_auc_ovr", "multiclass", "roc_auc_ovr", data(func(pub bool, i int) int {
			if pub {
				return i % 3
			}
			return i % 2
		}), []string{"roc_auc_ovr", "private part", "class 2 of 3"}},
		{"PrivateOneClass/accuracyAccepted", "binary", "accuracy", data(func(pub bool, i int) int {
			if pub {
				return i % 2
			}
			return 0
		}), nil},
	}
	for k, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			spec := fmt.Sprintf("id: one-class-%d\ntype: %s\nmetric: %s\ndata: {test: d.csv, label: y}\nsplit: {public_fraction: %v, seed: %q}\n",
				k, tc.typ, tc.metric, fraction, seed)
			path := filepath.Join(dir, "t.yaml")
			if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := e.CreateTask(ctx, path)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v, want the task created", err)
				}
				return
			}
			if !errors.Is(err, engine.ErrInvalidSpec) {
				t.Fatalf("got %v, want ErrInvalidSpec", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to mention %q", err, w)
				}
			}
		})
	}
}
