package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// serveProc is a `verdict serve` a test runs as a real process.
type serveProc struct {
	cmd    *exec.Cmd
	base   string // http://HOST:PORT it listens on
	token  string // the host token it printed (--init on a new data dir), or ""
	stderr *syncBuffer
}

var (
	serveTokenLine  = regexp.MustCompile(`host token: (\S+)`)
	serveListenLine = regexp.MustCompile(`listening on (http://\S+)`)
)

// startServeProc runs bin with args (env nil: the test's own environment),
// reads its stdout until it listens, then drains the rest; the process is
// killed at cleanup.
func startServeProc(t *testing.T, bin string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &serveProc{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := serveTokenLine.FindStringSubmatch(sc.Text()); m != nil {
			s.token = m[1]
		}
		if m := serveListenLine.FindStringSubmatch(sc.Text()); m != nil {
			s.base = m[1]
			break
		}
	}
	if s.base == "" {
		t.Fatalf("serve never listened; stderr: %s", s.stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	return s
}

// do sends method path with body (as application/wasm) under the host
// token and returns the status and the body of the answer.
func (s *serveProc) do(token, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/wasm")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// createLinearTask writes a 4,000-row regression task (id, split seed)
// under dir, fitted by sandboxtest.Linear's family of models, and creates
// it in each data dir with the real binary.
func createLinearTask(t *testing.T, bin, dir, id, seed string, dataDirs ...string) {
	t.Helper()
	var csv bytes.Buffer
	csv.WriteString("id,a,b,target\n")
	for i := range 4000 {
		a, b := float64(i%97)/97, float64(i%89)/89
		fmt.Fprintf(&csv, "r%d,%g,%g,%g\n", i, a, b, (a+b)/2+float64(i%7)/70)
	}
	writeFile(t, filepath.Join(dir, "data.csv"), csv.Bytes())
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte(fmt.Sprintf(
		"id: %s\ntype: regression\nmetric: rmse\ndata: {test: data.csv}\nsplit: {public_fraction: 0.5, seed: %q}\n", id, seed)))
	for _, d := range dataDirs {
		if out, err := exec.Command(bin, "--data-dir", d, "task", "create", spec).CombinedOutput(); err != nil {
			t.Fatalf("task create: %v\n%s", err, out)
		}
	}
}
