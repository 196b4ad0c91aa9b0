package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestRelativeDataDir: a relative data dir (the CLI's default is
// ./verdict-data) is resolved once, when the engine opens. The sandbox's
// children run in "/" and the working directory may change after Open, so
// before that the compilation cache went to /verdict-data/cache (for anyone
// but root: permission denied, and every evaluation failed).
func TestRelativeDataDir(t *testing.T) {
	ctx := context.Background()
	data, err := filepath.Abs("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "task.yaml")
	text := fmt.Sprintf("id: rel\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nsplit: {seed: relative-data-dir-test}\n", data)
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	home, elsewhere := t.TempDir(), t.TempDir()
	t.Chdir(home)
	e, err := engine.Open(ctx, engine.Config{DataDir: "verdict-data"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	t.Chdir(elsewhere)

	if _, err := e.CreateTask(ctx, spec); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	sub, err := e.Submit(ctx, engine.SubmitRequest{Task: "rel", Participant: "bob", Module: exampleModule(t, "bob")})
	if err != nil || sub.Failed() {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}
	for _, dir := range []string{"cache/wazero", "modules", "datasets"} {
		entries, err := os.ReadDir(filepath.Join(home, "verdict-data", dir))
		if err != nil || len(entries) == 0 {
			t.Errorf("%s under the data dir: %d entries, %v; want the task's files there", dir, len(entries), err)
		}
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("the working directory after Open got %d entries (%s…), want none", len(entries), entries[0].Name())
	}
	if _, err := os.Stat("/verdict-data/cache"); err == nil {
		t.Errorf("a cache was written at /verdict-data/cache")
	}
}
