package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// phasedTaskDir writes a two-phase task (development from 2026, a final
// phase with its own data from 2099) and three models in a new directory.
func phasedTaskDir(t *testing.T, id string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "test.csv"), src)
	writeFile(t, filepath.Join(dir, "final.csv"), []byte(maxTarget(t, string(src))))
	writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: "+id+"\ntype: regression\nmetric: rmse\ndata: {test: test.csv}\n"+
		"split: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\nphases:\n"+
		"  - {id: dev, name: Development, schedule: {start: \"2026-01-01T00:00:00Z\"}, limits: {daily_limit: 5}}\n"+
		"  - {id: final, final: true, data: {test: final.csv}, schedule: {start: \"2099-01-01T00:00:00Z\"}}\n"))
	for _, m := range []struct{ who, fixture string }{{"ada", sandboxtest.Linear}, {"bob", sandboxtest.CModel}} {
		writeFile(t, filepath.Join(dir, m.who+".wasm"), sandboxtest.Wasm(m.fixture))
	}
	return dir
}

// TestCLIPhase: verdict task phase shows the phases, --advance enters the
// final one (its selections re-run on its data), and the task says so.
func TestCLIPhase(t *testing.T) {
	dir := phasedTaskDir(t, "phase-cli")
	d := "--data-dir=" + filepath.Join(dir, "data")
	t.Chdir(dir)
	steps := []cliStep{
		{"Create", []string{d, "task", "create", "task.yaml"}, 0, []string{"phase-cli"}, nil},
		{"SubmitAda", []string{d, "submit", "--task", "phase-cli", "--participant", "ada", "ada.wasm"}, 0, nil, nil},
		{"SubmitBob", []string{d, "submit", "--task", "phase-cli", "--participant", "bob", "bob.wasm"}, 0, nil, nil},
		{"Show", []string{d, "task", "phase", "phase-cli"}, 0, []string{"→  dev", "final", "not yet", "own data", "limits 16 MiB, 30s, 5 a day, unlimited total"}, nil},
		{"TaskShow", []string{d, "task", "show", "phase-cli"}, 0, []string{"phase     dev now (Development), limits 16 MiB, 30s, 5 a day, unlimited total; verdict task phase phase-cli"}, nil},
		{"Advance", []string{d, "task", "phase", "phase-cli", "--advance", "--reason", "course week 6"}, 0,
			[]string{"→  final", "by host", "2 selections re-run"}, nil},
		{"TaskShowFinal", []string{d, "task", "show", "phase-cli"}, 0, []string{"phase     final now"}, nil},
		{"AdvancePastLast", []string{d, "task", "phase", "phase-cli", "--advance"}, 2, nil, []string{"last phase"}},
		{"SubmitRefused", []string{d, "submit", "--task", "phase-cli", "--participant", "ada", "bob.wasm"}, 2, nil, []string{"final phase"}},
		{"Audit", []string{d, "task", "audit", "phase-cli"}, 0, []string{"phase", `phase "final" began (by the host)`, "course week 6"}, nil},
		{"NoPhases", []string{d, "task", "phase", "nope"}, 2, nil, []string{`task "nope"`}},
	}
	runSteps(t, steps)
}

// TestCLIPhaseServer creates a phased task with --server (its final data
// uploaded beside it) and advances it through the server.
func TestCLIPhaseServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server; -short skips it")
	}
	dir := phasedTaskDir(t, "phase-srv")
	data := filepath.Join(dir, "data")
	d := "--data-dir=" + data
	if code, _, stderr := cli(t, d, "task", "list"); code != 0 {
		t.Fatalf("task list: %s", stderr)
	}
	url := startServe(t, data)
	token, err := os.ReadFile(filepath.Join(data, "serve.token"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VERDICT_TOKEN", strings.TrimSpace(string(token)))
	srv := "--server=" + url
	steps := []cliStep{
		{"Create", []string{srv, "task", "create", filepath.Join(dir, "task.yaml")}, 0, []string{"phase-srv"}, nil},
		{"SubmitAda", []string{d, "submit", "--task", "phase-srv", "--participant", "ada", filepath.Join(dir, "ada.wasm")}, 0, nil, nil},
		{"Show", []string{srv, "task", "phase", "phase-srv"}, 0, []string{"→  dev", "not yet"}, nil},
		{"Advance", []string{srv, "task", "phase", "phase-srv", "--advance", "--reason", "early"}, 0, []string{"→  final", "1 selections re-run"}, nil},
		{"ShowServed", []string{d, "task", "phase", "phase-srv"}, 0, []string{"→  final"}, nil},
		{"TaskShowServed", []string{srv, "task", "show", "phase-srv"}, 0, []string{"phase     final now"}, nil},
	}
	runSteps(t, steps)
}
