package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// checkSpec is the demo task with room for one submission in all: a check
// that used quota would leave none for the submission after it.
const checkSpec = `id: bc-check
type: binary
metric: roc_auc
data: {test: breast-cancer-data.csv}
limits: {total_limit: 1}
gates: {deterministic: true}
`

// TestCLICheck runs verdict check on the data dir and through --server:
// each verdict, exit code and message is the same both ways, and neither
// makes a submission or uses quota.
func TestCLICheck(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	writeFile(t, filepath.Join(dir, "breast-cancer-data.csv"), readExample(t, "data/breast_cancer_test.csv"))
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte(checkSpec))
	if code, _, stderr := cli(t, "--data-dir", data, "task", "create", spec); code != 0 {
		t.Fatalf("task create: %s", stderr)
	}
	fixture := func(name string) string {
		return writeFile(t, filepath.Join(dir, name+".wasm"), sandboxtest.Wasm(name))
	}
	good := filepath.Join(ex, examples.Demo()[1].Path) // C: compiled in milliseconds, even under -race
	train := filepath.Join(ex, "data", "breast_cancer_train.csv")
	badCSV := writeFile(t, filepath.Join(dir, "bad.csv"), []byte("PAR1 is no CSV"))
	fewColumns := writeFile(t, filepath.Join(dir, "few.csv"), []byte("mean_radius\n1\n"))
	tests := []struct {
		name  string
		args  []string
		code  int
		words []string // in the human output (stdout, or stderr for a usage error), spaces aside
	}{
		// The time check reads the real clock: its verdict is not asserted
		// here (engine's tests do, on a fake clock), only that a
		// millisecond model does not fail a 30 s limit.
		{"Good", []string{good}, exitOK, []string{"pass  abi", "pass  run", "pass  outputs", "pass  determinism", "pass  memory"}},
		{"OwnSample", []string{good, "--sample", train}, exitOK, []string{"256 rows of breast_cancer_train.csv", `ignored "id", "target"`}},
		{"Trap", []string{fixture(sandboxtest.Trap)}, exitFailed, []string{"FAIL  run          guest trapped: unreachable", "1 check failed"}},
		{"Nondeterministic", []string{fixture(sandboxtest.Stateful), "--sample", train}, exitFailed, []string{"FAIL  determinism", "deterministic gate"}},
		{"NaN", []string{fixture(sandboxtest.NaN)}, exitFailed, []string{"FAIL  outputs", "is NaN"}},
		{"CommandModule", []string{fixture(sandboxtest.GoCommand)}, exitFailed, []string{"FAIL  abi", "WASI command", "-buildmode=c-shared"}},
		{"MissingExport", []string{fixture(sandboxtest.MissingExport)}, exitFailed, []string{"//go:wasmexport verdict_predict"}},
		{"MissingTask", []string{good, "--task", "nope"}, exitUsage, []string{"nope"}},
		{"SampleMissingColumns", []string{good, "--sample", fewColumns}, exitFailed, []string{"FAIL  sample", "few.csv lacks 29 of the task's 30 feature columns"}},
		{"BadSample", []string{good, "--sample", badCSV}, exitUsage, []string{"bad.csv", "a sample must be CSV"}},
		{"NoModule", []string{filepath.Join(dir, "none.wasm")}, exitUsage, []string{"none.wasm"}},
	}
	type result struct {
		code     int
		out, err string
		report   *engine.CheckReport
	}
	do := func(t *testing.T, extra []string, args []string) result {
		t.Helper()
		all := append([]string{"--data-dir", data, "check", "--task", "bc-check"}, args...)
		code, out, errOut := cli(t, append(all, extra...)...)
		_, jsonOut, _ := cli(t, append(append([]string{"--json"}, all...), extra...)...)
		r := result{code: code, out: out, err: errOut}
		if code != exitUsage {
			r.report = &engine.CheckReport{}
			if err := json.Unmarshal([]byte(jsonOut), r.report); err != nil {
				t.Fatalf("--json: %v\n%s", err, jsonOut)
			}
		}
		return r
	}
	local := map[string]result{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, nil, tc.args)
			local[tc.name] = r
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.out, r.err)
			}
			flat := strings.Join(strings.Fields(r.out+r.err), " ") // messages wrap
			for _, w := range tc.words {
				if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("output lacks %q:\n%s%s", w, r.out, r.err)
				}
			}
			for _, l := range strings.Split(r.out, "\n")[1:] { // the first line names the file
				if n := utf8.RuneCountInString(l); n > checkWidth {
					t.Errorf("line of %d characters, want at most %d: %q", n, checkWidth, l)
				}
			}
			if r.report != nil && r.report.Failed() != (tc.code == exitFailed) {
				t.Errorf("--json: Failed() %v with exit %d", r.report.Failed(), r.code)
			}
		})
	}
	t.Run("Server", func(t *testing.T) {
		base := startServe(t, data) // stops when this subtest ends
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, []string{"--server", base}, tc.args)
				want := local[tc.name]
				if r.code != want.code {
					t.Errorf("exit %d, want %d as on the data dir\n%s%s", r.code, want.code, r.out, r.err)
				}
				if r.report == nil {
					return
				}
				// What was measured differs from run to run; nothing else may.
				got, wantRep := timeless(r.report), timeless(want.report)
				if !reflect.DeepEqual(got, wantRep) {
					g, _ := json.MarshalIndent(got, "", "  ")
					w, _ := json.MarshalIndent(wantRep, "", "  ")
					t.Errorf("--server report:\n%s\nwant as on the data dir:\n%s", g, w)
				}
			})
		}
	})
	// A participant who forgot --server: a refusal naming it, and no
	// empty data dir left behind.
	t.Run("NoDataDir", func(t *testing.T) {
		none := filepath.Join(dir, "no-data")
		code, out, errOut := cli(t, "--data-dir", none, "check", "--task", "bc-check", good)
		if code != exitUsage || !strings.Contains(errOut, "no data dir") || !strings.Contains(errOut, "--server URL") {
			t.Errorf("got exit %d, %q%q, want %d and a refusal naming --server URL", code, out, errOut, exitUsage)
		}
		if _, err := os.Stat(none); !os.IsNotExist(err) {
			t.Errorf("%s after check: %v, want no data dir made", none, err)
		}
	})
	t.Run("NoSubmission", func(t *testing.T) {
		ctx := context.Background()
		e, err := engine.Open(ctx, engine.Config{DataDir: data})
		if err != nil {
			t.Fatal(err)
		}
		subs, err := e.Submissions("bc-check", engine.Host, "")
		e.Close(ctx)
		if err != nil || len(subs) != 0 {
			t.Fatalf("got %d submissions (%v) after checks, want none", len(subs), err)
		}
		// total_limit 1: the quota is whole.
		if code, out, errOut := cli(t, "--data-dir", data, "submit", "--task", "bc-check", "--participant", "alice", good); code != 0 {
			t.Errorf("submit after checks: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// timeless returns r without what a run measures: times, and the time
// check's message, which quotes them.
func timeless(r *engine.CheckReport) engine.CheckReport {
	c := *r
	c.Time = nil
	c.Checks = append([]engine.CheckResult(nil), r.Checks...)
	for i := range c.Checks {
		if c.Checks[i].Name == engine.CheckTime && c.Checks[i].Status != engine.CheckSkip {
			c.Checks[i].Message = ""
		}
	}
	return c
}

func readExample(t *testing.T, path string) []byte {
	t.Helper()
	b, err := examples.FS.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWrapWords(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{"fits", "a bc", 4, []string{"a bc"}},
		{"breaks at spaces", "ab cd ef", 5, []string{"ab cd", "ef"}},
		{"long word cut", "a bcdefgh i", 3, []string{"a", "bcd", "efg", "h i"}},
		{"runes, not bytes", "éé éé", 5, []string{"éé éé"}},
		{"empty", "", 5, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wrapWords(tc.in, tc.width); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
