package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCLIRescore runs task verify and task rescore on a small regression
// task, then replaces its labels with cmodel's predictions: bob (cmodel)
// and ada swap places.
func TestCLIRescore(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "test.csv"), src)
	// The fix: every target becomes max(a, b), cmodel's prediction.
	writeFile(t, filepath.Join(dir, "fixed.csv"), []byte(maxTarget(t, string(src))))
	writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: rescore-cli\ntype: regression\nmetric: rmse\ndata: {test: test.csv}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n"))
	d := "--data-dir=" + filepath.Join(dir, "data")
	for _, m := range []struct{ who, fixture string }{{"ada", sandboxtest.Linear}, {"bob", sandboxtest.CModel}, {"cy", sandboxtest.Const}} {
		writeFile(t, filepath.Join(dir, m.who+".wasm"), sandboxtest.Wasm(m.fixture))
	}
	t.Chdir(dir) // relative paths, as a host types them
	steps := []cliStep{
		{"CreateTask", []string{d, "task", "create", "task.yaml"}, 0, []string{"rescore-cli"}, nil},
		{"SubmitAda", []string{d, "submit", "--task", "rescore-cli", "--participant", "ada", "ada.wasm"}, 0, nil, nil},
		{"SubmitBob", []string{d, "submit", "--task", "rescore-cli", "--participant", "bob", "bob.wasm"}, 0, nil, nil},
		{"SubmitCy", []string{d, "submit", "--task", "rescore-cli", "--participant", "cy", "cy.wasm"}, 0, nil, nil},
		{"Verify", []string{d, "task", "verify", "rescore-cli"}, 0, []string{"3 submissions re-run, 3 reproduced every stored score and interval bit for bit"}, nil},
		{"RescoreUnchanged", []string{d, "task", "rescore", "rescore-cli"}, 0, []string{"3 submissions re-run", "(unchanged)", "no score or rank changed"}, nil},
		{"RescoreBadSelection", []string{d, "task", "rescore", "rescore-cli", "--submissions", "all,nope"}, 2, nil, []string{`"all" stands alone`}},
		{"RescoreMissingDataset", []string{d, "task", "rescore", "rescore-cli", "--dataset", "nope.csv"}, 2, nil, []string{"nope.csv"}},
		{"RescoreMissingTask", []string{d, "task", "verify", "nope"}, 2, nil, []string{`task "nope"`}},
		{"RescoreFixed", []string{d, "task", "rescore", "rescore-cli", "--dataset", "fixed.csv"}, 0,
			[]string{"replaced by", "3 scores changed", "4 ranks changed", "public   bob          2       1      +1", "private  ada          1       2      -1"}, nil},
		{"VerifyAfter", []string{d, "task", "verify", "rescore-cli", "--submissions", "selected"}, 0, []string{"reproduced every stored score"}, nil},
		{"RescoreReason", []string{d, "task", "rescore", "rescore-cli", "--submissions", "selected", "--reason", "metric fix"}, 0, []string{"3 submissions re-run"}, nil},
		{"CloseReason", []string{d, "task", "close", "rescore-cli", "--reason", "end of the course"}, 0, []string{"closed at"}, nil},
		{"Audit", []string{d, "task", "audit", "rescore-cli"}, 0, []string{"rescore  cli", "re-ran 3 submissions with their stored modules; the dataset was replaced", "metric fix", "end of the course", "close"}, nil},
		{"AuditAsParticipant", []string{d, "task", "audit", "rescore-cli", "--as", "bob"}, 0, []string{"rescore  —   —", "the dataset was replaced"}, nil},
	}
	runSteps(t, steps)
	code, stdout, _ := cli(t, d, "--json", "task", "verify", "rescore-cli")
	var rep struct {
		Checked    int   `json:"checked"`
		Mismatches []any `json:"mismatches"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || rep.Checked != 3 || rep.Mismatches == nil || len(rep.Mismatches) != 0 {
		t.Errorf("verify --json: exit %d, %+v, %v; want 3 checked, mismatches []\n%s", code, rep, err, stdout)
	}
}

// maxTarget rewrites the target column of a CSV "id,a,b,target" as
// max(a, b).
func maxTarget(t *testing.T, src string) string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(src)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		a, err1 := strconv.ParseFloat(r[1], 64)
		b, err2 := strconv.ParseFloat(r[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %v: %v %v", r, err1, err2)
		}
		r[3] = strconv.FormatFloat(math.Max(a, b), 'g', -1, 64)
	}
	var out strings.Builder
	w := csv.NewWriter(&out)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestCLIRescoreServer runs task verify, rescore (with a corrected
// dataset, uploaded) and audit through a running server: on its data dir
// (the CLI acts through the server it finds there) and with --server.
func TestCLIRescoreServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and re-runs every submission twice; -short skips it")
	}
	dir := t.TempDir()
	src, err := os.ReadFile("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "test.csv"), src)
	writeFile(t, filepath.Join(dir, "fixed.csv"), []byte(maxTarget(t, string(src))))
	writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: rescore-srv\ntype: regression\nmetric: rmse\ndata: {test: test.csv}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n"))
	data := filepath.Join(dir, "data")
	d := "--data-dir=" + data
	if code, _, stderr := cli(t, d, "task", "create", filepath.Join(dir, "task.yaml")); code != 0 {
		t.Fatalf("task create: %s", stderr)
	}
	for _, m := range []struct{ who, fixture string }{{"ada", sandboxtest.Linear}, {"bob", sandboxtest.CModel}, {"cy", sandboxtest.Const}} {
		writeFile(t, filepath.Join(dir, m.who+".wasm"), sandboxtest.Wasm(m.fixture))
		if code, _, stderr := cli(t, d, "submit", "--task", "rescore-srv", "--participant", m.who, filepath.Join(dir, m.who+".wasm")); code != 0 {
			t.Fatalf("submit %s: %s", m.who, stderr)
		}
	}
	url := startServe(t, data)
	token, err := os.ReadFile(filepath.Join(data, "serve.token"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VERDICT_TOKEN", strings.TrimSpace(string(token)))
	srv := "--server=" + url
	steps := []cliStep{
		{"VerifyServed", []string{d, "task", "verify", "rescore-srv"}, 0, []string{"3 submissions re-run, 3 reproduced every stored score and interval bit for bit"}, nil},
		{"VerifyServer", []string{srv, "task", "verify", "rescore-srv", "--submissions", "selected"}, 0, []string{"reproduced every stored score"}, nil},
		{"RescoreBadSelection", []string{srv, "task", "rescore", "rescore-srv", "--submissions", "all,nope"}, 2, nil, []string{`"all" stands alone`}},
		{"RescoreFixed", []string{srv, "task", "rescore", "rescore-srv", "--dataset", filepath.Join(dir, "fixed.csv"), "--reason", "label fix"}, 0,
			[]string{"replaced by", "3 scores changed", "4 ranks changed"}, nil},
		{"Audit", []string{d, "task", "audit", "rescore-srv"}, 0, []string{"rescore", "label fix", "the dataset was replaced"}, nil},
		{"AuditAs", []string{srv, "task", "audit", "rescore-srv", "--as", "bob"}, 2, nil, []string{"--as cannot be used with --server"}},
	}
	runSteps(t, steps)
}
