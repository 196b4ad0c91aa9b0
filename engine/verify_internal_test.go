package engine

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestVerifyMismatch tampers with a stored score by one bit (the next
// float64) and an interval, and checks that Verify names both.
func TestVerifyMismatch(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(spec, []byte(fmt.Sprintf("id: ver\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n", data)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, spec); err != nil {
		t.Fatal(err)
	}
	sub, err := e.Submit(ctx, SubmitRequest{Task: "ver", Participant: "ada", Module: sandboxtest.Wasm(sandboxtest.Linear)})
	if err != nil || sub.Failed() {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}
	rep, err := e.Verify(ctx, "ver", VerifyOptions{})
	if err != nil || !rep.OK() || rep.Checked != 1 {
		t.Fatalf("Verify before tampering: got %+v, %v; want 1 checked, no mismatch", rep, err)
	}

	stored := *sub.Scores.Public
	tampered := math.Nextafter(stored, math.Inf(1))
	sub.Scores.Public = &tampered
	sub.Scores.PrivateCI.Resamples++
	ls, err := toStore(sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Put(ls); err != nil {
		t.Fatal(err)
	}
	rep, err = e.Verify(ctx, "ver", VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.OK() || rep.Matched != 0 || len(rep.Mismatches) != 2 {
		t.Fatalf("Verify after tampering: got %+v; want the public score and the private interval", rep)
	}
	m := rep.Mismatches[0]
	if m.Field != "public" || m.Got != bits(&stored) || m.Stored != bits(&tampered) || !strings.Contains(m.Stored, "0x") {
		t.Errorf("mismatch: got %+v; want public, stored %s, got %s", m, bits(&tampered), bits(&stored))
	}
	if m := rep.Mismatches[1]; m.Field != "private_ci.resamples" {
		t.Errorf("second mismatch: got %+v, want private_ci.resamples", m)
	}
}

// TestRescoreMissingModule: a submission whose module left the data dir
// keeps its outcome; the rescore finishes and names it, and Verify
// reports it.
func TestRescoreMissingModule(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(spec, []byte(fmt.Sprintf("id: mis\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n", data)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, spec); err != nil {
		t.Fatal(err)
	}
	sub, err := e.Submit(ctx, SubmitRequest{Task: "mis", Participant: "ada", Module: sandboxtest.Wasm(sandboxtest.Linear)})
	if err != nil || sub.Failed() {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}
	if err := os.Remove(e.modulePath(sub.ModuleSHA256)); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Rescore(ctx, "mis", RescoreOptions{})
	if err != nil || rep.Rescored != 1 || len(rep.Missing) != 1 || rep.Missing[0] != sub.ID || len(rep.Changes) != 0 {
		t.Fatalf("Rescore: got %+v, %v; want it finished, naming the submission as missing, nothing changed", rep, err)
	}
	vr, err := e.Verify(ctx, "mis", VerifyOptions{})
	if err != nil || vr.OK() || len(vr.Mismatches) != 1 || vr.Mismatches[0].Field != "module" {
		t.Fatalf("Verify: got %+v, %v; want a module mismatch", vr, err)
	}
}
