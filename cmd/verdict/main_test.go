package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestMain shares one compilation cache among every command this test
// binary runs, so each module is compiled once: under -race wazero's own
// compiler is slow.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verdict-cli-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("VERDICT_CACHE_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// cli runs the command line in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// workspace unpacks the examples (task spec, data, models) into a temp dir.
func workspace(t *testing.T) (dir, dataDir string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "examples"), examples.FS); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "data")
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLIEndToEnd(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	spec := filepath.Join(ex, examples.DemoTask)
	model := func(who string) string {
		for _, d := range examples.Demo() {
			if d.Participant == who {
				return filepath.Join(ex, d.Path)
			}
		}
		t.Fatalf("no example %q", who)
		return ""
	}
	forbidden := writeFile(t, filepath.Join(dir, "forbidden.wasm"), sandboxtest.Wasm("forbidden_import"))
	d := "--data-dir=" + data

	steps := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // fragments
		stderr   []string
		jsonKeys []string // with --json: top-level keys that must be present
	}{
		{name: "CreateTask", args: []string{d, "task", "create", spec}, stdout: []string{"breast-cancer\n"}},
		{name: "CreateTaskAgain", args: []string{d, "task", "create", spec}, code: 2, stderr: []string{"already exists"}},
		{name: "ShowTask", args: []string{d, "task", "show", "breast-cancer"}, stdout: []string{"roc_auc (higher is better)", "mean_radius", "worst_fractal_dimension", "171 test rows"}},
		{name: "ShowTaskJSON", args: []string{d, "--json", "task", "show", "breast-cancer"}, stdout: []string{`"features": [`}, jsonKeys: []string{"id", "type", "metric", "features", "outputs", "limits"}},
		{name: "ListTasks", args: []string{d, "task", "list"}, stdout: []string{"breast-cancer", "binary", "roc_auc"}},
		{name: "ShowMissingTask", args: []string{d, "task", "show", "nope"}, code: 2, stderr: []string{`task "nope"`, "not found"}},
		{name: "SubmitGo", args: []string{d, "submit", "--task", "breast-cancer", "--participant", "alice", model("alice")}, stdout: []string{"status      scored", "public      roc_auc "}},
		{name: "SubmitCJSON", args: []string{d, "--json", "submit", "--task", "breast-cancer", "--participant", "bob", model("bob")}, stdout: []string{`"status": "scored"`, `"private": null`}, jsonKeys: []string{"id", "task", "participant", "module_sha256", "status", "scores", "error"}},
		{name: "SubmitBroken", args: []string{d, "submit", "--task", "breast-cancer", "--participant", "carol", model("carol")}, code: 1, stdout: []string{"status      failed", "error       trap:", "index out of range"}},
		{name: "SubmitForbiddenJSON", args: []string{d, "--json", "submit", "--task", "breast-cancer", "--participant", "mallory", forbidden}, code: 1, stdout: []string{`"kind": "forbidden_import"`, "env.foo"}},
		{name: "SubmitMissingFile", args: []string{d, "submit", "--task", "breast-cancer", "--participant", "x", filepath.Join(dir, "nope.wasm")}, code: 2, stderr: []string{"nope.wasm"}},
		{name: "SubmitNoParticipant", args: []string{d, "submit", "--task", "breast-cancer", model("alice")}, code: 2, stderr: []string{"participant"}},
		{name: "Leaderboard", args: []string{d, "leaderboard", "breast-cancer"}, stdout: []string{"public", "1     alice", "2     bob"}},
		{name: "LeaderboardPrivateJSON", args: []string{d, "--json", "leaderboard", "breast-cancer", "--private"}, stdout: []string{`"private": true`, `"participant": "alice"`}, jsonKeys: []string{"task", "entries"}},
		{name: "UnknownCommand", args: []string{d, "frobnicate"}, code: 2, stderr: []string{"unknown command"}},
		{name: "UnknownFlag", args: []string{d, "task", "list", "--bogus"}, code: 2, stderr: []string{"bogus"}},
		{name: "ScoreBadMetric", args: []string{"score", "--task-type", "binary", "--metric", "nope", "--truth", spec, "--pred", spec}, code: 2, stderr: []string{"nope"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, st.args...)
			if code != st.code {
				t.Fatalf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, st.code, stdout, stderr)
			}
			for _, f := range st.stdout {
				if !strings.Contains(stdout, f) {
					t.Errorf("stdout lacks %q:\n%s", f, stdout)
				}
			}
			for _, f := range st.stderr {
				if !strings.Contains(stderr, f) {
					t.Errorf("stderr lacks %q:\n%s", f, stderr)
				}
			}
			if len(st.jsonKeys) > 0 {
				var m map[string]any
				if err := json.Unmarshal([]byte(stdout), &m); err != nil {
					t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
				}
				for _, k := range st.jsonKeys {
					if _, ok := m[k]; !ok {
						t.Errorf("JSON lacks key %q: %s", k, stdout)
					}
				}
			}
		})
	}
}

// TestCLIScoreMatchesSubmit: with public_fraction 1, `verdict submit` and
// `verdict score` on the predictions it wrote give the same number.
func TestCLIScoreMatchesSubmit(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	specText := fmt.Sprintf("id: bc-all\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nsplit: {public_fraction: 1}\n",
		filepath.Join(ex, "data", "breast_cancer_test.csv"))
	spec := writeFile(t, filepath.Join(dir, "all.yaml"), []byte(specText))
	d := "--data-dir=" + data
	if code, _, stderr := cli(t, d, "task", "create", spec); code != 0 {
		t.Fatalf("task create: %d %s", code, stderr)
	}
	pred := filepath.Join(dir, "pred.csv")
	code, stdout, stderr := cli(t, d, "--json", "submit", "--task", "bc-all", "--participant", "alice", "--private", "--predictions", pred,
		filepath.Join(ex, examples.Demo()[0].Path))
	if code != 0 {
		t.Fatalf("submit: %d %s %s", code, stdout, stderr)
	}
	var sub struct {
		Scores struct{ Public, Private *float64 }
	}
	if err := json.Unmarshal([]byte(stdout), &sub); err != nil || sub.Scores.Public == nil {
		t.Fatalf("submit output: %v\n%s", err, stdout)
	}
	if sub.Scores.Private != nil {
		t.Errorf("public_fraction 1: got private score %v, want null", *sub.Scores.Private)
	}
	code, stdout, stderr = cli(t, "--json", "score", "--task-type", "binary", "--metric", "roc_auc",
		"--truth", filepath.Join(ex, "data", "breast_cancer_test.csv"), "--label", "target", "--pred", pred)
	if code != 0 {
		t.Fatalf("score: %d %s", code, stderr)
	}
	var sc struct{ Score float64 }
	if err := json.Unmarshal([]byte(stdout), &sc); err != nil {
		t.Fatalf("score output: %v\n%s", err, stdout)
	}
	if sc.Score != *sub.Scores.Public {
		t.Errorf("verdict score: got %v, want %v as verdict submit scored it", sc.Score, *sub.Scores.Public)
	}
	code, stdout, stderr = cli(t, "score", "--task-type", "binary", "--metric", "roc_auc", "--ci",
		"--truth", filepath.Join(ex, "data", "breast_cancer_test.csv"), "--label", "target", "--pred", pred)
	if code != 0 || !strings.Contains(stdout, "roc_auc 0.") || !strings.Contains(stdout, "95% CI [0.") {
		t.Errorf("score --ci: exit %d, got %q, want the score and a 95%% interval\n%s", code, stdout, stderr)
	}
}

func TestDemo(t *testing.T) {
	code, stdout, stderr := cli(t, "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"created task \"breast-cancer\"", "alice", "bob", "FAILED (trap)", "index out of range", "leaderboard — public", "leaderboard — private", "1     alice", "#1 alice", "VERIFIED (proof, issuer, model hash, not revoked)",
		"connects over MCP", "verify_model", "VALID (credential proof", "predict", "verified by the agent", "2 uses  8 rows  2.000 units"} {
		if !strings.Contains(stdout, f) {
			t.Errorf("demo output lacks %q:\n%s", f, stdout)
		}
	}
}

// TestKill9 kills the verdict process with SIGKILL in the middle of an
// evaluation and checks that the store still opens with every earlier
// submission intact.
func TestKill9(t *testing.T) {
	dir, data := workspace(t)
	bin := verdictBinary(t)
	ex := filepath.Join(dir, "examples")
	specText := fmt.Sprintf("id: slow\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nlimits: {timeout_s: 120}\n",
		filepath.Join(ex, "data", "breast_cancer_test.csv"))
	spec := writeFile(t, filepath.Join(dir, "slow.yaml"), []byte(specText))
	loop := writeFile(t, filepath.Join(dir, "loop.wasm"), sandboxtest.Wasm("loop_predict"))
	verdict := func(args ...string) *exec.Cmd {
		return exec.Command(bin, append([]string{"--data-dir", data, "--json"}, args...)...)
	}
	if out, err := verdict("task", "create", spec).CombinedOutput(); err != nil {
		t.Fatalf("task create: %v\n%s", err, out)
	}
	var before []string
	for _, d := range examples.Demo()[:2] { // the two working models
		out, err := verdict("submit", "--task", "slow", "--participant", d.Participant, filepath.Join(ex, d.Path)).Output()
		if err != nil {
			t.Fatalf("submit %s: %v\n%s", d.Participant, err, out)
		}
		var s struct{ ID string }
		json.Unmarshal(out, &s)
		before = append(before, s.ID)
	}
	cmd := verdict("submit", "--task", "slow", "--participant", "mallory", loop)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The module is saved after the submission is recorded as received and
	// before it runs: once it is there, the process is mid-evaluation.
	deadline := time.Now().Add(60 * time.Second)
	for {
		matches, _ := filepath.Glob(filepath.Join(data, "modules", "*.wasm"))
		if len(matches) == 3 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the looping submission never started (%d modules)", len(matches))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the submit process was not killed by SIGKILL: %v", err)
	}

	out, err := verdict("leaderboard", "slow").Output()
	if err != nil {
		t.Fatalf("leaderboard after kill -9: %v\n%s", err, out)
	}
	var board struct {
		Entries []struct{ Participant, Submission string }
	}
	if err := json.Unmarshal(out, &board); err != nil {
		t.Fatal(err)
	}
	if len(board.Entries) != 2 {
		t.Fatalf("after kill -9: got %d leaderboard rows, want 2:\n%s", len(board.Entries), out)
	}
	got := map[string]bool{}
	for _, e := range board.Entries {
		got[e.Submission] = true
	}
	for _, id := range before {
		if !got[id] {
			t.Errorf("submission %s lost after kill -9", id)
		}
	}
	// The store is writable again.
	if out, err := verdict("submit", "--task", "slow", "--participant", "alice", filepath.Join(ex, examples.Demo()[0].Path)).CombinedOutput(); err != nil {
		t.Fatalf("submit after kill -9: %v\n%s", err, out)
	}
}

// TestCLIScoreKinds: offline scoring of ranking (group column; --k and
// ndcg@K agree), multiclass (one column per class) and regression files.
func TestCLIScoreKinds(t *testing.T) {
	dir := t.TempDir()
	w := func(name, s string) string { return writeFile(t, filepath.Join(dir, name), []byte(s)) }
	rankTruth := w("rank_truth.csv", "id,label,group\na,3,q1\nb,0,q1\nc,1,q1\nd,2,q2\ne,0,q2\nf,1,q2\n")
	rankPred := w("rank_pred.csv", "id,p\na,0.9\nb,0.8\nc,0.1\nd,0.2\ne,0.7\nf,0.3\n")
	mcTruth := w("mc_truth.csv", "id,label\na,0\nb,1\nc,2\nd,1\n")
	mcPred := w("mc_pred.csv", "id,p0,p1,p2\na,0.7,0.2,0.1\nb,0.1,0.8,0.1\nc,0.2,0.5,0.3\nd,0.3,0.4,0.3\n")
	regTruth := w("reg_truth.csv", "id,label\na,1\nb,2\nc,4\n")
	regPred := w("reg_pred.csv", "id,p\na,1\nb,3\nc,4\n")
	score := func(args ...string) float64 {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{"--json", "score"}, args...)...)
		if code != 0 {
			t.Fatalf("score %v: exit %d: %s", args, code, stderr)
		}
		var r struct{ Score float64 }
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		return r.Score
	}
	k2 := score("--task-type", "ranking", "--metric", "ndcg", "--k", "2", "--truth", rankTruth, "--pred", rankPred)
	at2 := score("--task-type", "ranking", "--metric", "ndcg@2", "--truth", rankTruth, "--pred", rankPred)
	all := score("--task-type", "ranking", "--metric", "ndcg", "--truth", rankTruth, "--pred", rankPred)
	if k2 != at2 || k2 == all {
		t.Errorf("ndcg --k 2 = %v, ndcg@2 = %v, ndcg = %v: want the first two equal and different from the third", k2, at2, all)
	}
	if acc := score("--task-type", "multiclass", "--metric", "accuracy", "--truth", mcTruth, "--pred", mcPred); acc != 0.75 {
		t.Errorf("multiclass accuracy: got %v, want 0.75", acc)
	}
	if mae := score("--task-type", "regression", "--metric", "mae", "--truth", regTruth, "--pred", regPred); mae != 1.0/3 {
		t.Errorf("mae: got %v, want 1/3", mae)
	}
	code, _, stderr := cli(t, "score", "--task-type", "multiclass", "--metric", "accuracy", "--truth", mcTruth, "--pred", regPred)
	if code != 2 || !strings.Contains(stderr, "want 3") {
		t.Errorf("multiclass with one column: exit %d, %q; want 2 and the column count", code, stderr)
	}
}

// TestCLISplitSeed: `task create` of a spec without split.seed warns the
// host on stderr that a secret was made, `task show --seed` prints it to
// the host, and nothing else `task show` prints carries it.
func TestCLISplitSeed(t *testing.T) {
	dir, data := workspace(t)
	specText := fmt.Sprintf("id: bc-seedless\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\n",
		filepath.Join(dir, "examples", "data", "breast_cancer_test.csv"))
	spec := writeFile(t, filepath.Join(dir, "seedless.yaml"), []byte(specText))
	d := "--data-dir=" + data
	code, stdout, stderr := cli(t, d, "task", "create", spec)
	if code != 0 || !strings.Contains(stderr, "warning: split.seed was not set") || strings.Contains(stdout, "warning") {
		t.Fatalf("task create: exit %d, stdout %q, stderr %q; want 0 and the warning on stderr", code, stdout, stderr)
	}
	code, seed, stderr := cli(t, d, "task", "show", "bc-seedless", "--seed")
	seed = strings.TrimSpace(seed)
	if code != 0 || len(seed) != 64 || seed == "bc-seedless" {
		t.Fatalf("task show --seed: exit %d, %q %s; want a 64-character secret", code, seed, stderr)
	}
	for _, args := range [][]string{{"task", "show", "bc-seedless"}, {"--json", "task", "show", "bc-seedless"}, {"--json", "task", "list"}} {
		code, stdout, _ := cli(t, append([]string{d}, args...)...)
		if code != 0 || strings.Contains(stdout, seed) {
			t.Errorf("%v: exit %d, the output carries the seed:\n%s", args, code, stdout)
		}
	}
}
