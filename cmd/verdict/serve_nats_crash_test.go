package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestNATSCoordinatorKill SIGKILLs `verdict serve --nats embedded` (the
// coordinator and its NATS server) while two worker processes evaluate
// accepted uploads, then starts it again on the same data dir and port:
// the workers reconnect, and every accepted submission ends scored with
// the scores of a single-process run of its module.
func TestNATSCoordinatorKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dir := t.TempDir()
	bin := verdictBinary(t)
	data, direct := filepath.Join(dir, "data"), filepath.Join(dir, "direct")
	createLinearTask(t, bin, dir, "crash", "nats-coordinator-kill", data, direct)
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	linearPath := writeFile(t, filepath.Join(dir, "linear.wasm"), linear)
	out, err := exec.Command(bin, "--data-dir", direct, "--json", "submit", "--task", "crash", "--participant", "solo", linearPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Scores json.RawMessage }
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	// The public score of the Linear fixture: every variant below is the
	// same function (a custom section apart), with its own module hash, so
	// only the interval, seeded by the hash, may differ.
	var want struct{ Public *float64 }
	json.Unmarshal(ref.Scores, &want)

	// A fixed port and worker password, so that the workers find the
	// restarted coordinator.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	natsAddr := ln.Addr().String()
	ln.Close()
	const password = "test-worker-password"
	env := append(os.Environ(), "VERDICT_NATS_WORKER_PASSWORD="+password)

	token := ""
	start := func() *serveProc {
		t.Helper()
		s := startServeProc(t, bin, env, "--data-dir", data, "serve", "--addr", "127.0.0.1:0", "--init",
			"--nats", "embedded", "--nats-listen", natsAddr, "--workers", "0",
			"--nats-heartbeat", "100ms", "--nats-shard-rows", "1000", "--queue", "10000",
			"--ip-upload-rate", "1000000", "--ip-upload-burst", "1000000", "--upload-rate", "1000000", "--upload-burst", "1000000")
		if s.token != "" {
			token = s.token
		}
		return s
	}
	do := func(s *serveProc, method, path string, body []byte) (int, []byte, error) {
		return s.do(token, method, path, body)
	}

	s1 := start()
	url := "nats://worker:" + password + "@" + natsAddr
	for i := range 2 {
		w := exec.Command(bin, "worker", "--nats", url, "--cache", filepath.Join(dir, fmt.Sprintf("worker-%d", i)))
		w.Stderr = &syncBuffer{}
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	}
	var (
		mu       sync.Mutex
		accepted []string
		wg       sync.WaitGroup
		killOnce sync.Once
	)
	const clients, perClient, killAfter = 4, 15, 20
	for i := range clients {
		wg.Go(func() {
			for j := range perClient {
				variant := fmt.Sprintf("v%d-%d", i, j)
				mod := append(append([]byte{}, linear...), 0, byte(1+1+len(variant)), 1, 'x')
				mod = append(mod, variant...)
				code, body, err := do(s1, "POST", fmt.Sprintf("/v1/tasks/crash/submissions?participant=p%d", i), mod)
				if err != nil {
					return // the coordinator is gone
				}
				mu.Lock()
				if code == http.StatusAccepted {
					var sub struct{ ID string }
					json.Unmarshal(body, &sub)
					accepted = append(accepted, sub.ID)
				}
				n := len(accepted)
				mu.Unlock()
				if n >= killAfter {
					killOnce.Do(func() { s1.cmd.Process.Signal(syscall.SIGKILL) })
				}
			}
		})
	}
	wg.Wait()
	killOnce.Do(func() { s1.cmd.Process.Signal(syscall.SIGKILL) })
	s1.cmd.Wait()
	if len(accepted) < killAfter {
		t.Fatalf("only %d uploads accepted before the kill, want at least %d", len(accepted), killAfter)
	}

	s2 := start()
	for _, id := range accepted {
		for deadline := time.Now().Add(2 * time.Minute); ; {
			code, body, err := do(s2, "GET", "/v1/submissions/"+id, nil)
			if err != nil || code != http.StatusOK {
				t.Fatalf("submission %s after restart: %d %v %s", id, code, err, body)
			}
			var sub struct {
				Status string
				Scores struct{ Public *float64 }
			}
			json.Unmarshal(body, &sub)
			if sub.Status == "scored" {
				if sub.Scores.Public == nil || want.Public == nil || *sub.Scores.Public != *want.Public {
					t.Errorf("submission %s: public score %v, want %v", id, sub.Scores.Public, want.Public)
				}
				break
			}
			if sub.Status == "failed" {
				t.Fatalf("submission %s failed after restart: %s", id, body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("submission %s still %s after the restart; serve: %s", id, sub.Status, s2.stderr.String())
			}
			time.Sleep(20 * time.Millisecond) // as TestServeGracefulShutdown: the API has no wait
		}
	}
	t.Logf("%d accepted before the kill; restart: %s", len(accepted),
		regexp.MustCompile(`"msg":"recovered","submissions":\d+`).FindString(s2.stderr.String()))
	if !strings.Contains(s2.stderr.String(), "dispatching through nats") {
		t.Errorf("the restarted serve did not dispatch through nats: %s", s2.stderr.String())
	}
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.cmd.Wait(); err != nil {
		t.Errorf("second serve after SIGTERM: %v", err)
	}
}
