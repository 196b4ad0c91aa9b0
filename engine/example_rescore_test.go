package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// A host re-runs every submission of a task: with the dataset unchanged,
// Verify finds every stored score and interval reproduced bit for bit,
// and a Rescore changes nothing.
func ExampleEngine_Verify() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "verdict-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: cacheDir})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close(ctx)
	data, _ := filepath.Abs("testdata/contest.csv")
	spec := filepath.Join(dir, "task.yaml")
	os.WriteFile(spec, []byte(fmt.Sprintf("id: example\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: example-seed-of-16-bytes}\n", data)), 0o600)
	if _, err := e.CreateTask(ctx, spec); err != nil {
		log.Fatal(err)
	}
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "example", Participant: "ada", Module: sandboxtest.Wasm(sandboxtest.Linear)}); err != nil {
		log.Fatal(err)
	}

	vr, err := e.Verify(ctx, "example", engine.VerifyOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("verify: %d checked, %d reproduced, ok %v\n", vr.Checked, vr.Matched, vr.OK())
	rep, err := e.Rescore(ctx, "example", engine.RescoreOptions{Submissions: []string{engine.SelectAll}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("rescore: %d re-run, %d scores and %d ranks changed\n", rep.Rescored, len(rep.Changes), len(rep.Ranks))
	// Output:
	// verify: 1 checked, 1 reproduced, ok true
	// rescore: 1 re-run, 0 scores and 0 ranks changed
}
