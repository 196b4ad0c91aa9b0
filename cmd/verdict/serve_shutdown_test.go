package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// TestServeGracefulShutdown runs the real `verdict serve` binary, uploads
// under load, sends SIGTERM mid-load, restarts the server on the same data
// dir and checks that every upload answered 202 ends scored: the running
// evaluations finished within the grace period and the queued ones were
// left queued, then recovered by the next start.
func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	bin := verdictBinary(t)
	data := filepath.Join(dir, "data")
	// A regression task of 4000 rows: each evaluation (run, score, two
	// bootstrap intervals) takes long enough for a queue to build up.
	var csv bytes.Buffer
	csv.WriteString("id,a,b,target\n")
	for i := range 4000 {
		a, b := float64(i%97)/97, float64(i%89)/89
		fmt.Fprintf(&csv, "r%d,%g,%g,%g\n", i, a, b, (a+b)/2+float64(i%7)/70)
	}
	writeFile(t, filepath.Join(dir, "data.csv"), csv.Bytes())
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: drain\ntype: regression\nmetric: rmse\ndata: {test: data.csv}\n"))
	if out, err := exec.Command(bin, "--data-dir", data, "task", "create", spec).CombinedOutput(); err != nil {
		t.Fatalf("task create: %v\n%s", err, out)
	}

	token := ""
	start := func() *serveProc {
		t.Helper()
		s := startServeProc(t, bin, append(os.Environ(), "VERDICT_CACHE_DIR="+os.Getenv("VERDICT_CACHE_DIR")), "--data-dir", data, "serve", "--addr", "127.0.0.1:0", "--init",
			"--workers", "1", "--queue", "10000", "--grace", "20s",
			"--ip-upload-rate", "1000000", "--ip-upload-burst", "1000000")
		if s.token != "" {
			token = s.token
		}
		return s
	}
	do := func(s *serveProc, method, path string, body []byte) (int, []byte, error) {
		return s.do(token, method, path, body)
	}

	s1 := start()
	if token == "" {
		t.Fatal("serve --init printed no host token")
	}
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	var (
		mu       sync.Mutex
		accepted []string
		refused  = map[string]int{}
		wg       sync.WaitGroup
		termOnce sync.Once
		termed   = make(chan struct{})
	)
	const clients, perClient, termAfter = 8, 40, 60
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perClient {
				// A distinct module per upload: the Linear fixture with a
				// custom section.
				variant := fmt.Sprintf("v%d-%d", i, j)
				mod := append(append([]byte{}, linear...), 0, byte(1+1+len(variant)), 1, 'x')
				mod = append(mod, variant...)
				code, body, err := do(s1, "POST", fmt.Sprintf("/v1/tasks/drain/submissions?participant=p%d", i), mod)
				mu.Lock()
				switch {
				case err != nil:
					refused["connection"]++
				case code == http.StatusAccepted:
					var sub struct{ ID string }
					json.Unmarshal(body, &sub)
					accepted = append(accepted, sub.ID)
				default:
					refused[fmt.Sprint(code)]++
				}
				n := len(accepted)
				mu.Unlock()
				if n >= termAfter {
					termOnce.Do(func() {
						s1.cmd.Process.Signal(syscall.SIGTERM)
						close(termed)
					})
				}
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	wg.Wait()
	termOnce.Do(func() { s1.cmd.Process.Signal(syscall.SIGTERM); close(termed) })
	if err := s1.cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v; stderr:\n%s", err, s1.stderr.String())
	}
	log1 := s1.stderr.String()
	if !strings.Contains(log1, `"msg":"shutting down"`) || !strings.Contains(log1, `"msg":"stopped"`) {
		t.Errorf("want shutting down and stopped logs, got:\n%s", log1)
	}
	left := regexp.MustCompile(`"left_queued":\d+`).FindString(log1)
	t.Logf("SIGTERM after %d accepted uploads: %d accepted in all, refused %v, %s", termAfter, len(accepted), refused, left)

	s2 := start()
	for _, id := range accepted {
		for {
			code, body, err := do(s2, "GET", "/v1/submissions/"+id, nil)
			if err != nil || code != http.StatusOK {
				t.Fatalf("submission %s after restart: %d %v %s", id, code, err, body)
			}
			var sub struct{ Status string }
			json.Unmarshal(body, &sub)
			if sub.Status == "scored" {
				break
			}
			if sub.Status == "failed" {
				t.Fatalf("submission %s failed after restart: %s", id, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(accepted) < termAfter {
		t.Errorf("only %d uploads accepted before SIGTERM, want at least %d", len(accepted), termAfter)
	}
	t.Logf("restart: %s", regexp.MustCompile(`"msg":"recovered","submissions":\d+`).FindString(s2.stderr.String()))
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.cmd.Wait(); err != nil {
		t.Errorf("second serve after SIGTERM: %v", err)
	}
}
