package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestNATSWorkerKills runs the real binary as a coordinator (serve --nats
// embedded, no local worker) and three worker processes on loopback, and
// SIGKILLs a random worker every 300 ms (restarting it) while 30
// submissions from 10 participants are evaluated, sharded over the
// workers. Every submission must end scored, with the scores of a
// single-process run of the same module.
func TestNATSWorkerKills(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes and kills workers for several seconds")
	}
	dir := t.TempDir()
	bin := verdictBinary(t)
	data, direct := filepath.Join(dir, "data"), filepath.Join(dir, "direct")
	var csv bytes.Buffer
	csv.WriteString("id,a,b,target\n")
	for i := range 4000 {
		a, b := float64(i%97)/97, float64(i%89)/89
		fmt.Fprintf(&csv, "r%d,%g,%g,%g\n", i, a, b, (a+b)/2+float64(i%7)/70)
	}
	writeFile(t, filepath.Join(dir, "data.csv"), csv.Bytes())
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte(
		"id: kills\ntype: regression\nmetric: rmse\ndata: {test: data.csv}\nsplit: {public_fraction: 0.5, seed: \"nats-worker-kills-test\"}\n"))
	modules := map[string]string{}
	for _, name := range []string{sandboxtest.Linear, sandboxtest.Const, sandboxtest.CLinear} {
		modules[name] = writeFile(t, filepath.Join(dir, name+".wasm"), sandboxtest.Wasm(name))
	}
	submit := func(data, participant, module string) (status string, scores json.RawMessage) {
		t.Helper()
		out, err := exec.Command(bin, "--data-dir", data, "--json", "submit", "--task", "kills", "--participant", participant, module).Output()
		if err != nil {
			t.Errorf("submit %s for %s: %v", filepath.Base(module), participant, err)
			return "", nil
		}
		var sub struct {
			Status string          `json:"status"`
			Scores json.RawMessage `json:"scores"`
		}
		if err := json.Unmarshal(out, &sub); err != nil {
			t.Errorf("submit: %v: %s", err, out)
		}
		return sub.Status, sub.Scores
	}
	want := map[string]string{}
	for _, d := range []string{data, direct} {
		if out, err := exec.Command(bin, "--data-dir", d, "task", "create", spec).CombinedOutput(); err != nil {
			t.Fatalf("task create: %v\n%s", err, out)
		}
	}
	for name, m := range modules {
		_, s := submit(direct, "solo", m)
		want[name] = string(s)
	}

	serveErr := startServeProc(t, bin, nil, "--data-dir", data, "serve", "--addr", "127.0.0.1:0",
		"--nats", "embedded", "--nats-listen", "127.0.0.1:0", "--workers", "0",
		"--nats-heartbeat", "100ms", "--nats-max-deliver", "50", "--nats-shard-rows", "700",
		"--ip-upload-rate", "1000000", "--ip-upload-burst", "1000000", "--upload-rate", "1000000", "--upload-burst", "1000000").stderr
	url, err := os.ReadFile(filepath.Join(data, "nats", "worker-url"))
	if err != nil {
		t.Fatalf("worker-url: %v; serve's stderr: %s", err, serveErr.String())
	}
	var mu sync.Mutex
	workers := make([]*exec.Cmd, 3)
	startWorker := func(i int) {
		w := exec.Command(bin, "worker", "--nats", strings.TrimSpace(string(url)), "--cache", filepath.Join(dir, fmt.Sprintf("worker-%d", i)))
		if err := w.Start(); err != nil {
			t.Error(err)
			return
		}
		workers[i] = w
	}
	for i := range workers {
		startWorker(i)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range workers {
			w.Process.Kill()
			w.Wait()
		}
	})
	done := make(chan struct{})
	kills := 0
	var killer sync.WaitGroup
	killer.Go(func() {
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			mu.Lock()
			i := rand.IntN(len(workers))
			_ = workers[i].Process.Signal(syscall.SIGKILL)
			_ = workers[i].Wait()
			kills++
			startWorker(i)
			mu.Unlock()
		}
	})

	type result struct{ module, status, scores string }
	results := make(chan result, 30)
	var subs sync.WaitGroup
	sem := make(chan struct{}, 6)
	for p := range 10 {
		for name, m := range modules {
			subs.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				status, scores := submit(data, fmt.Sprintf("p%d", p), m)
				results <- result{name, status, string(scores)}
			})
		}
	}
	subs.Wait()
	close(done)
	killer.Wait()
	close(results)
	n := 0
	for r := range results {
		n++
		if r.status != "scored" || r.scores != want[r.module] {
			t.Errorf("%s: status %q scores %s, want scored %s", r.module, r.status, r.scores, want[r.module])
		}
	}
	if n != 30 {
		t.Errorf("results: got %d, want 30", n)
	}
	t.Logf("%d worker kills during %d submissions", kills, n)
	if kills < 3 {
		t.Errorf("kills: got %d, want at least 3 (the submissions ended too soon for the test to mean much)", kills)
	}
}
