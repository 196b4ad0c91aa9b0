package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/examples"
)

// syncBuffer is a bytes.Buffer safe to write from the server goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe makes a host token, starts `verdict serve` on a loopback port,
// reads the API, closes the task as the host, then cancels it (as SIGTERM does) and checks it shut down cleanly.
func TestServe(t *testing.T) {
	dir, data := workspace(t)
	if code, _, stderr := cli(t, "--data-dir", data, "task", "create", filepath.Join(dir, "examples", examples.DemoTask)); code != 0 {
		t.Fatalf("task create: %s", stderr)
	}
	code, token, stderrTok := cli(t, "--data-dir", data, "token", "create", "--name", "ci")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "vdt_") {
		t.Fatalf("token create: %d %q %s", code, token, stderrTok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()

	addr := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve never listened; stderr: %s", stderr.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	resp, err := http.Get(base + "/v1/tasks/breast-cancer/leaderboard")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"entries"`) {
		t.Errorf("leaderboard: %d %s", resp.StatusCode, body)
	}
	for _, page := range []string{"/", "/tasks/breast-cancer"} {
		resp, err := http.Get(base + page)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "breast-cancer") {
			t.Errorf("page %s: %d %q %.200s", page, resp.StatusCode, ct, body)
		}
	}
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"Anonymous", "", http.StatusUnauthorized},
		{"BadToken", "Bearer vdt_nope", http.StatusUnauthorized},
		{"Host", "Bearer " + token, http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", base+"/v1/tasks/breast-cancer/close", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("close as %s: got %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	if code, out, _ := cli(t, "--data-dir", data, "token", "list"); code != 0 || !strings.Contains(out, "ci ") {
		t.Errorf("token list: %d %s", code, out)
	}
	if code, _, _ := cli(t, "--data-dir", data, "token", "revoke", "ci"); code != 0 {
		t.Errorf("token revoke: %d", code)
	}
	req, _ := http.NewRequest("POST", base+"/v1/tasks/breast-cancer/promote", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked token: got %d, want 401", resp.StatusCode)
	}
	if code, _, _ := cli(t, "--data-dir", data, "token", "revoke", "ci"); code != exitUsage {
		t.Errorf("revoking a token twice: exit %d, want %d", code, exitUsage)
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("serve exited %d after shutdown; stderr: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(stderr.String(), `"msg":"http"`) || !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("want JSON request and shutdown logs, got: %s", stderr.String())
	}
}
