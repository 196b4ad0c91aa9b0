package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/examples"
)

// TestServeDefaultQueue runs `verdict serve` with no flag but --addr, on
// a relative data dir, and the CLI beside it: evaluations go through the
// embedded NATS server (DATA_DIR/nats) and its local workers, and come
// out with the scores of the direct path (the CLI on a data dir with no
// server). A task with a deterministic gate (evaluated on the
// coordinator), a baseline and a rescore work there too.
func TestServeDefaultQueue(t *testing.T) {
	dir, _ := workspace(t)
	t.Chdir(dir)
	spec, err := os.ReadFile(filepath.Join("examples", examples.DemoTask))
	if err != nil {
		t.Fatal(err)
	}
	queued := strings.Replace(strings.Replace(string(spec), "id: breast-cancer", "id: bc-queue", 1), "  deterministic: true\n", "", 1)
	if strings.Contains(queued, "deterministic") {
		t.Fatalf("the demo task changed: cannot derive a task without the deterministic gate from:\n%s", spec)
	}
	tasks := []string{filepath.Join("examples", examples.DemoTask),
		writeFile(t, filepath.Join("examples", filepath.Dir(examples.DemoTask), "queued.yaml"), []byte(queued))}
	model := filepath.Join("examples", "breast-cancer", "c-model", "model.wasm")
	baseline := filepath.Join("examples", "breast-cancer", "rust-model", "model.wasm")
	for _, d := range []string{"data", "direct"} {
		for _, task := range tasks {
			if code, _, stderr := cli(t, "--data-dir", d, "task", "create", task); code != 0 {
				t.Fatalf("task create %s on %s: %s", task, d, stderr)
			}
		}
	}
	submit := func(data, task string, args ...string) string {
		t.Helper()
		code, out, stderr := cli(t, append([]string{"--data-dir", data, "--json", "submit", "--task", task}, args...)...)
		var sub struct {
			Status string          `json:"status"`
			Scores json.RawMessage `json:"scores"`
		}
		if err := json.Unmarshal([]byte(out), &sub); code != 0 || err != nil || sub.Status != "scored" {
			t.Fatalf("submit %v to %s on %s: exit %d, status %q (%v)\n%s%s", args, task, data, code, sub.Status, err, out, stderr)
		}
		return canonical(t, sub.Scores)
	}
	want := map[string]string{}
	for _, task := range []string{"breast-cancer", "bc-queue"} {
		want[task] = submit("direct", task, "--participant", "bob", model)
		want[task+"/baseline"] = submit("direct", task, "--participant", "host", "--baseline", baseline)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--data-dir", "data", "serve", "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	for deadline := time.Now().Add(time.Minute); !regexp.MustCompile(`listening on http://`).MatchString(stdout.String()); {
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), `"msg":"dispatching through nats"`) {
		t.Fatalf("serve with no --nats does not dispatch through nats; stderr: %s", stderr.String())
	}
	if fi, err := os.Stat(filepath.Join("data", "nats")); err != nil || !fi.IsDir() {
		t.Fatalf("data/nats: %v, want the embedded server's directory", err)
	}
	// Through the server beside which the CLI runs, its queue and local
	// workers (or, for breast-cancer's deterministic gate, the
	// coordinator).
	for _, task := range []string{"breast-cancer", "bc-queue"} {
		if got := submit("data", task, "--participant", "bob", model); got != want[task] {
			t.Errorf("%s through serve:\n got %s\nwant %s", task, got, want[task])
		}
		if got := submit("data", task, "--participant", "host", "--baseline", baseline); got != want[task+"/baseline"] {
			t.Errorf("%s baseline through serve:\n got %s\nwant %s", task, got, want[task+"/baseline"])
		}
	}
	if n := strings.Count(stderr.String(), `"msg":"job done"`); n != 2 {
		t.Errorf("local workers ran %d jobs, want 2 (bc-queue's submission and baseline; breast-cancer stays on the coordinator); stderr:\n%s", n, tail(stderr.String()))
	}
	// A re-run on the coordinator reproduces every score.
	if code, out, errOut := cli(t, "--data-dir", "data", "task", "rescore", "bc-queue"); code != 0 {
		t.Errorf("rescore through serve: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := cli(t, "--data-dir", "data", "task", "verify", "bc-queue"); code != 0 {
		t.Errorf("verify through serve: exit %d\n%s%s", code, out, errOut)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("serve exit %d: %s", code, tail(stderr.String()))
	}
	// --nats off: no queue, and the flags of the queue are refused with it.
	code, _, errOut := cli(t, "--data-dir", "data", "serve", "--nats", "off", "--nats-listen", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errOut, "--nats off") {
		t.Errorf("serve --nats off --nats-listen: exit %d %s, want 2 naming --nats off", code, errOut)
	}
	code, _, errOut = cli(t, "--data-dir", "data", "serve", "--nats", "")
	if code != 2 || !strings.Contains(errOut, "--nats is empty") {
		t.Errorf("serve --nats '': exit %d %s, want 2, --nats is empty", code, errOut)
	}
}
