package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// w3cEddsaMinPasses is how many tests of the vendored vc-di-eddsa-test-suite
// apply to an eddsa-jcs-2022 issuer and verifier (its rdfc tests select
// eddsa-rdfc-2022 implementations only): all of them must pass.
const w3cEddsaMinPasses = 13

// TestW3CEddsaSuite runs the W3C's vc-di-eddsa-test-suite (vendored in
// testdata/w3c, with its GitHub-only dependencies packed) against `verdict
// serve --issuer-api`: npm ci installs its registry dependencies (pinned by
// package-lock.json), then mocha calls the server's /credentials/issue and
// /credentials/verify. Every test must pass. It needs node and npm: it is
// skipped without them outside CI, and under -short.
func TestW3CEddsaSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the W3C suite installs its npm dependencies and runs for a while")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI: %v", tool, err)
			}
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	suite := filepath.Join(t.TempDir(), "suite")
	if err := os.CopyFS(suite, os.DirFS(filepath.Join("testdata", "w3c", "vc-di-eddsa-test-suite"))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline")
	install.Dir = suite
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}

	_, data := workspace(t)
	code, token, stderrTok := cli(t, "--data-dir", data, "token", "create", "--name", "w3c")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, stderrTok)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(sctx, []string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0", "--issuer-api"}, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(30 * time.Second); listening.FindStringSubmatch(stdout.String()) == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	base := listening.FindStringSubmatch(stdout.String())[1]
	did := regexp.MustCompile(`VC-API issuer: (did:key:\S+)`).FindStringSubmatch(stdout.String())
	if did == nil {
		t.Fatalf("serve did not print its issuer: %s", stdout.String())
	}

	mocha := exec.CommandContext(ctx, "node", filepath.Join("node_modules", "mocha", "bin", "mocha.js"),
		"tests/", "--timeout", "15000", "--preserve-symlinks", "--reporter", "json")
	mocha.Dir = suite
	mocha.Env = append(os.Environ(), "BASE_URL="+base, "ISSUER_DID="+did[1], "TOKEN="+strings.TrimSpace(token))
	out, runErr := mocha.Output() // mocha exits with the number of failures
	var report struct {
		Stats struct {
			Tests, Passes, Failures, Pending int
		} `json:"stats"`
		Failures []struct {
			FullTitle string `json:"fullTitle"`
			Err       struct {
				Message string `json:"message"`
			} `json:"err"`
		} `json:"failures"`
	}
	// Console output of the suite may precede the JSON report.
	if i := strings.Index(string(out), "{\n  \"stats\""); i >= 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("mocha report: %v (exit: %v)\n%.2000s", err, runErr, out)
	}
	t.Logf("vc-di-eddsa-test-suite: %d tests, %d passing, %d failing, %d pending",
		report.Stats.Tests, report.Stats.Passes, report.Stats.Failures, report.Stats.Pending)
	for _, f := range report.Failures {
		t.Errorf("%s: %s", f.FullTitle, f.Err.Message)
	}
	if report.Stats.Passes < w3cEddsaMinPasses {
		t.Errorf("got %d passing tests, want at least %d", report.Stats.Passes, w3cEddsaMinPasses)
	}
	stop()
	if code := <-exit; code != 0 {
		t.Fatalf("serve exited %d; stderr: %s", code, stderr.String())
	}
}
