package main

import (
	"bufio"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/examples"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// verdictBinary builds bin/verdict once per test binary, for the tests that
// need a real process (kill -9, signals, another user).
func verdictBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verdict-cli-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "verdict")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = &buildError{err, out}
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// unprivileged is how the walkthrough runs: as the "nobody" user when the
// tests run as root (CI and these machines do; users do not), as the
// current user otherwise.
func unprivileged(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("running as root and there is no user nobody to drop to: %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// TestWalkthroughUnprivileged is the README's walkthrough as a user would
// type it: an unprivileged user, relative paths, the default ./verdict-data,
// no VERDICT_* settings. Every test elsewhere runs as root with absolute
// paths, which is how a relative data dir once broke every evaluation for
// everyone else (the sandbox's children run in "/").
func TestWalkthroughUnprivileged(t *testing.T) {
	cred := unprivileged(t)
	// A directory the user can enter: t.TempDir's parent is root's 0700.
	ws, err := os.MkdirTemp("", "verdict-walkthrough-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(ws) })
	if err := os.CopyFS(filepath.Join(ws, "examples"), examples.FS); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(verdictBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(ws, "verdict"), bin)
	if err := os.Chmod(filepath.Join(ws, "verdict"), 0o755); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		err := filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, int(cred.Uid), int(cred.Gid))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	model := func(who string) string {
		for _, d := range examples.Demo() {
			if d.Participant == who {
				return filepath.Join("examples", d.Path)
			}
		}
		t.Fatalf("no example %q", who)
		return ""
	}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command("./verdict", args...)
		cmd.Dir = ws
		cmd.Env = []string{"HOME=" + ws, "PATH=/usr/bin:/bin", "TMPDIR=" + os.TempDir()}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		return cmd
	}
	verdict := func(args ...string) string {
		t.Helper()
		out, err := command(args...).CombinedOutput()
		if err != nil {
			t.Fatalf("verdict %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	aliceDID := strings.TrimSpace(verdict("keygen", "--out", "alice.key"))
	if !strings.HasPrefix(aliceDID, "did:key:") {
		t.Fatalf("keygen printed %q, want a did:key", aliceDID)
	}
	if got := verdict("task", "create", filepath.Join("examples", examples.DemoTask)); !strings.Contains(got, "breast-cancer") {
		t.Errorf("task create printed %q", got)
	}
	verdict("task", "show", "breast-cancer")
	for _, args := range [][]string{
		{"--key", "alice.key", model("alice")},
		{"--participant", "bob", model("bob")},
	} {
		out := verdict(append([]string{"--json", "submit", "--task", "breast-cancer"}, args...)...)
		var sub struct {
			Status string
			Error  *struct{ Kind, Message string }
		}
		if err := json.Unmarshal([]byte(out), &sub); err != nil || sub.Status != "scored" {
			t.Fatalf("submit %v: status %q, %+v (%v)\n%s", args, sub.Status, sub.Error, err, out)
		}
	}
	if got := verdict("leaderboard", "breast-cancer"); !strings.Contains(got, "bob") {
		t.Errorf("leaderboard lacks bob:\n%s", got)
	}
	verdict("task", "close", "breast-cancer")
	var list struct{ Credentials []struct{ ID string } }
	if err := json.Unmarshal([]byte(verdict("--json", "credential", "list")), &list); err != nil || len(list.Credentials) == 0 {
		t.Fatalf("credential list: %v, %d credentials", err, len(list.Credentials))
	}
	writeFile(t, filepath.Join(ws, "cred.json"), []byte(verdict("credential", "show", list.Credentials[0].ID)))
	if cred != nil {
		if err := os.Chown(filepath.Join(ws, "cred.json"), int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if got := verdict("credential", "verify", "cred.json", "--status-list", "verdict-data/status/1.json"); !strings.Contains(got, "VERIFIED") {
		t.Errorf("credential verify: %s", got)
	}
	if got := verdict("market", "list"); !strings.Contains(got, "breast-cancer") {
		t.Errorf("market list:\n%s", got)
	}
	// A participant's project, at a relative path, as the same user.
	verdict("init", "model", "--lang", "c", filepath.Join("models", "mine"))
	for _, f := range []string{"model.c", "verdict.h", "Makefile", filepath.Join("sample", "rows.csv")} {
		fi, err := os.Stat(filepath.Join(ws, "models", "mine", f))
		if err != nil || fi.Mode().Perm()&0o600 != 0o600 || fi.Mode().Perm()&0o111 != 0 {
			t.Errorf("init model: %s: got %v, %v, want a user-writable, non-executable file", f, fi, err)
		} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && cred != nil && st.Uid != cred.Uid {
			t.Errorf("init model: %s: got owner %d, want %d", f, st.Uid, cred.Uid)
		}
	}
	if _, err := os.Stat("/verdict-data"); err == nil {
		t.Errorf("/verdict-data exists: something wrote at the filesystem root")
	}

	// The server, as the same user on the same relative data dir.
	serve := command("serve", "--addr", "127.0.0.1:0")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	t.Cleanup(func() { serve.Process.Kill(); <-done })
	sc := bufio.NewScanner(stdout)
	base := ""
	for sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("serve never listened")
	}
	go io.Copy(io.Discard, stdout)
	// serve's default queue: the embedded NATS server keeps its files in
	// verdict-data/nats, the user's own.
	if fi, err := os.Stat(filepath.Join(ws, "verdict-data", "nats")); err != nil || !fi.IsDir() {
		t.Errorf("verdict-data/nats: %v, want the embedded NATS server's directory", err)
	} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && cred != nil && st.Uid != cred.Uid {
		t.Errorf("verdict-data/nats: owner %d, want %d", st.Uid, cred.Uid)
	}
	resp, err := http.Get(base + "/v1/tasks/breast-cancer/leaderboard?private=true")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "bob") {
		t.Errorf("GET leaderboard: %d\n%s", resp.StatusCode, body)
	}
	// The CLI beside the server, another process on the same relative
	// data dir: it finds the server (verdict-data/serve.json) and acts as
	// the host through it (verdict-data/serve.token, 0600) instead of
	// failing on the store's lock.
	if fi, err := os.Stat(filepath.Join(ws, "verdict-data", "serve.token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("serve.token: %v, want mode 0600", err)
	}
	if got := verdict("leaderboard", "breast-cancer", "--private"); !strings.Contains(got, "private") || !strings.Contains(got, "bob") {
		t.Errorf("leaderboard --private beside the server:\n%s", got)
	}
	if got := verdict("--json", "credential", "list"); !strings.Contains(got, list.Credentials[0].ID) {
		t.Errorf("credential list beside the server:\n%s", got)
	}
	if out, err := command("recover").CombinedOutput(); err == nil || !strings.Contains(string(out), "--server") {
		t.Errorf("recover beside the server: %v %s, want a refusal naming --server", err, out)
	}
	serve.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop within 30 s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(ws, "verdict-data", "serve.json")); !os.IsNotExist(err) {
		t.Errorf("serve.json after SIGTERM: %v, want it removed", err)
	}

	if testing.Short() {
		return
	}
	if got := verdict("demo"); !strings.Contains(got, "VERIFIED") {
		t.Errorf("demo as an unprivileged user:\n%s", got)
	}
}
