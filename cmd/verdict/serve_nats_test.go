package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/examples"
)

// TestServeNATS runs `verdict serve --nats embedded` with no local
// worker and a `verdict worker` that dials it over loopback TCP with the
// URL serve wrote, submits a model through the CLI and checks that its
// scores are those of the direct path on another data dir, bit for bit.
func TestServeNATS(t *testing.T) {
	dir, data := workspace(t)
	// The demo task without its deterministic gate, which keeps a task
	// on the coordinator.
	spec, err := os.ReadFile(filepath.Join(dir, "examples", examples.DemoTask))
	if err != nil {
		t.Fatal(err)
	}
	queued := strings.Replace(strings.Replace(string(spec), "id: breast-cancer", "id: bc-queue", 1), "  deterministic: true\n", "", 1)
	if queued == string(spec) || strings.Contains(queued, "deterministic") {
		t.Fatalf("the demo task changed: cannot derive a task without the deterministic gate from:\n%s", spec)
	}
	task := writeFile(t, filepath.Join(dir, "examples", filepath.Dir(examples.DemoTask), "queued.yaml"), []byte(queued))
	model := filepath.Join(dir, "examples", "breast-cancer", "c-model", "model.wasm")
	direct := filepath.Join(dir, "direct")
	scores := func(data string) json.RawMessage {
		t.Helper()
		code, out, stderr := cli(t, "--data-dir", data, "--json", "submit", "--task", "bc-queue", "--participant", "bob", model)
		if code != 0 {
			t.Fatalf("submit to %s: %d %s", data, code, stderr)
		}
		var sub struct {
			Status string          `json:"status"`
			Scores json.RawMessage `json:"scores"`
		}
		if err := json.Unmarshal([]byte(out), &sub); err != nil || sub.Status != "scored" {
			t.Fatalf("submit to %s: status %q (%v): %s", data, sub.Status, err, out)
		}
		return sub.Scores
	}
	for _, d := range []string{data, direct} {
		if code, _, stderr := cli(t, "--data-dir", d, "task", "create", task); code != 0 {
			t.Fatalf("task create: %s", stderr)
		}
	}
	want := scores(direct)
	// A worker-url left readable by all (an older verdict, a umask) is
	// replaced by one only its owner reads.
	if err := os.MkdirAll(filepath.Join(data, "nats"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(data, "nats", "worker-url"), []byte("nats://stale\n"))
	if err := os.Chmod(filepath.Join(data, "nats", "worker-url"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0",
			"--nats", "embedded", "--nats-listen", "127.0.0.1:0", "--workers", "0"}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	sawWorker := false
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "nats: remote workers run:") {
			sawWorker = true
		}
		if regexp.MustCompile(`^listening on http://`).MatchString(lines.Text()) {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !sawWorker {
		t.Fatalf("serve did not say how remote workers connect; stderr: %s", stderr.String())
	}
	url, err := os.ReadFile(filepath.Join(data, "nats", "worker-url"))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(data, "nats", "worker-url")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("worker-url: mode %v (%v), want 0600: it holds the worker's password", info.Mode().Perm(), err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	var wout, werr syncBuffer
	wexit := make(chan int, 1)
	// The URL holds a password: in the environment, off the command line.
	t.Setenv("VERDICT_NATS_URL", strings.TrimSpace(string(url)))
	go func() {
		wexit <- run(wctx, []string{"worker", "--cache", t.TempDir()}, &wout, &werr)
	}()
	got := scores(data) // through the running server, its queue and the worker
	if string(got) != string(want) {
		t.Errorf("scores through the queue:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(werr.String(), `"msg":"job done"`) {
		t.Errorf("the worker did not run the job; its log: %s", werr.String())
	}
	wcancel()
	if code := <-wexit; code != 0 {
		t.Errorf("worker exit %d: %s", code, werr.String())
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("serve exit %d: %s", code, stderr.String())
	}
}
