package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/examples"
)

// startServe runs `verdict serve` in-process on a loopback port and
// returns its URL; the server stops when the test ends.
func startServe(t *testing.T, data string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0"}, extra...), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exit:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened; stderr: %s", stderr.String())
		}
	}
}

// TestServerClient checks that task list, task show and leaderboard print
// the same through --server as on the data dir itself, text and --json.
func TestServerClient(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	if code, _, stderr := cli(t, "--data-dir", data, "task", "create", filepath.Join(ex, examples.DemoTask)); code != 0 {
		t.Fatalf("task create: %s", stderr)
	}
	for _, d := range examples.Demo()[:2] {
		if code, _, stderr := cli(t, "--data-dir", data, "submit", "--task", "breast-cancer", "--participant", d.Participant, filepath.Join(ex, d.Path)); code != 0 {
			t.Fatalf("submit %s: %s", d.Participant, stderr)
		}
	}
	commands := [][]string{
		{"task", "list"},
		{"task", "show", "breast-cancer"},
		{"leaderboard", "breast-cancer"},
		{"--json", "task", "list"},
		{"--json", "task", "show", "breast-cancer"},
		{"--json", "leaderboard", "breast-cancer"},
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	local := make([]result, len(commands))
	for i, args := range commands {
		code, out, errOut := cli(t, append([]string{"--data-dir", data}, args...)...)
		local[i] = result{code, out, errOut}
	}
	// The state's "now" differs between two reads of a clock.
	now := regexp.MustCompile(`"now": "[^"]*"`)
	base := startServe(t, data)
	for i, args := range commands {
		t.Run(filepath.Join(args...), func(t *testing.T) {
			code, out, errOut := cli(t, append(append([]string{"--data-dir", t.TempDir()}, args...), "--server", base)...)
			if code != local[i].code || now.ReplaceAllString(out, "") != now.ReplaceAllString(local[i].stdout, "") {
				t.Errorf("--server: exit %d\n%s%s\nwant exit %d\n%s", code, out, errOut, local[i].code, local[i].stdout)
			}
		})
	}
	t.Run("Refusals", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			code int
			out  string
		}{
			{[]string{"--json", "task", "show", "nope", "--server", base}, exitUsage, `"kind": "not_found"`},
			{[]string{"--json", "leaderboard", "breast-cancer", "--private", "--server", base}, exitUsage, `"kind": "bad_input"`},
			{[]string{"leaderboard", "breast-cancer", "--as", "bob", "--server", base}, exitUsage, ""},
			{[]string{"task", "list", "--server", "ftp://x"}, exitUsage, ""},
		} {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.code || !regexp.MustCompile(regexp.QuoteMeta(tc.out)).MatchString(out) {
				t.Errorf("%v: exit %d %s%s, want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.out)
			}
		}
	})
}

// TestServerSubmit uploads through --server as the host (VERDICT_TOKEN)
// and as a participant (--key), following each evaluation to its score.
func TestServerSubmit(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	if code, _, stderr := cli(t, "--data-dir", data, "task", "create", filepath.Join(ex, examples.DemoTask)); code != 0 {
		t.Fatalf("task create: %s", stderr)
	}
	_, token, _ := cli(t, "--data-dir", data, "token", "create")
	keyFile := filepath.Join(dir, "alice.key")
	if code, _, stderr := cli(t, "keygen", "--out", keyFile); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	model := filepath.Join(ex, examples.Demo()[1].Path) // the small C model
	module, err := readModule(model)
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, data)
	ctx := context.Background()
	t.Run("Host", func(t *testing.T) {
		t.Setenv("VERDICT_TOKEN", strings.TrimSpace(token))
		var out, errb bytes.Buffer
		g := &globals{stdout: &out, stderr: &errb}
		if err := submitRemote(ctx, g, newClient(t, base, strings.TrimSpace(token), ""), submitOptions{task: "breast-cancer", participant: "carol", private: true}, module); err != nil {
			t.Fatalf("submit: %v\n%s", err, errb.String())
		}
		for _, want := range []string{"participant carol\n", "status      scored", "public      roc_auc", "private     roc_auc"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		if errb.Len() != 0 {
			t.Errorf("a spinner on a stderr that is not a terminal: %q", errb.String())
		}
	})
	t.Run("Participant", func(t *testing.T) {
		var out bytes.Buffer
		g := &globals{stdout: &out, stderr: io.Discard, json: true}
		if err := submitRemote(ctx, g, newClient(t, base, "", keyFile), submitOptions{task: "breast-cancer", name: "Alice"}, module); err != nil {
			t.Fatalf("submit: %v", err)
		}
		var sub struct {
			Participant, Status, Signature, Name string
			Scores                               struct{ Public, Private *float64 }
		}
		if err := json.Unmarshal(out.Bytes(), &sub); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sub.Participant, "did:key:") || sub.Status != "scored" || sub.Signature == "" || sub.Name != "Alice" || sub.Scores.Public == nil || sub.Scores.Private != nil {
			t.Errorf("got %+v", sub)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		g := &globals{stdout: io.Discard, stderr: io.Discard}
		err := submitRemote(ctx, g, newClient(t, base, "", ""), submitOptions{task: "breast-cancer", participant: "dave"}, module)
		if err == nil || !strings.Contains(err.Error(), "401 unauthorized") {
			t.Errorf("anonymous upload: got %v, want 401 unauthorized", err)
		}
		err = submitRemote(ctx, g, newClient(t, base, "", keyFile), submitOptions{task: "nope"}, module)
		if !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("unknown task: got %v, want ErrNotFound", err)
		}
	})
}

// newClient is a client of base as the host (token), a participant
// (keyFile) or a visitor.
func newClient(t *testing.T, base, token, keyFile string) *client.Client {
	t.Helper()
	cfg := client.Config{URL: base, Token: token}
	if keyFile != "" {
		k, err := credential.ReadKeyFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Key = &k
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
