package main

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine/credential"
)

// TestCLIMarketTrust: add, list and remove trusted issuers; bad input
// exits 2 naming the cause.
func TestCLIMarketTrust(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{"--data-dir=" + data}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	lab := strings.TrimSpace(func() string { s, _ := run(0, "keygen", "--out", filepath.Join(dir, "lab.key")); return s }())
	bbsKey, err := credential.GenerateBBSKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	run(0, "market", "trust", "add", lab, "--name", "Lab A", "--since", "2026-01-01T00:00:00Z", "--task", "contest", "--bbs-did", bbsKey.DID())
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not a did:key", []string{"add", "did:web:example.com", "--name", "x"}, "not a did:key"},
		{"no name", []string{"add", lab}, "name"},
		{"bad time", []string{"add", lab, "--name", "x", "--since", "yesterday"}, "--since"},
		{"until before since", []string{"add", lab, "--name", "x", "--since", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z"}, "until"},
		{"bbs-did not BLS12-381", []string{"add", lab, "--name", "x", "--bbs-did", lab}, "bbs_did"},
		{"remove unknown", []string{"remove", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr := run(2, append([]string{"market", "trust"}, tc.args...)...)
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr: got %q, want it to name %q", stderr, tc.want)
			}
		})
	}
	var listed struct {
		Host    string
		Issuers []struct {
			DID, Name string
			Tasks     []string
			BBSDID    string `json:"bbs_did"`
		}
	}
	out, _ := run(0, "--json", "market", "trust", "list")
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed.Issuers) != 1 || listed.Issuers[0].DID != lab || listed.Issuers[0].Name != "Lab A" ||
		len(listed.Issuers[0].Tasks) != 1 || listed.Issuers[0].BBSDID != bbsKey.DID() || !strings.HasPrefix(listed.Host, "did:key:") {
		t.Errorf("trust list: got %+v, want Lab A for task contest with its BBS key, and this host", listed)
	}
	if out, _ := run(0, "market", "trust", "list"); !strings.Contains(out, "bbs "+bbsKey.DID()) {
		t.Errorf("trust list: got\n%s\nwant Lab A's BBS key", out)
	}
	run(0, "market", "trust", "remove", lab)
	if out, _ := run(0, "market", "trust", "list"); strings.Contains(out, lab) {
		t.Errorf("trust list after remove: got\n%s\nwant no %s", out, lab)
	}
}

// TestCLIMarketTrustServer: the trust verbs through --server, the host
// token in VERDICT_TOKEN; list --verify checks the signed registry the
// server publishes; the trust log records the host via HTTP.
func TestCLIMarketTrustServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server; -short skips it")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if code, _, stderr := cli(t, "--data-dir="+data, "market", "trust", "list"); code != 0 {
		t.Fatalf("trust list: %s", stderr)
	}
	lab := strings.TrimSpace(func() string {
		_, s, _ := cli(t, "keygen", "--out", filepath.Join(dir, "lab.key"))
		return s
	}())
	url := startServe(t, data)
	srv := "--server=" + url
	other := "--data-dir=" + filepath.Join(dir, "elsewhere")
	if code, _, stderr := cli(t, other, srv, "market", "trust", "add", lab, "--name", "Lab A"); code != 2 || !strings.Contains(stderr, "only the host") {
		t.Errorf("add without the host token: exit %d, %q; want 2, only the host", code, stderr)
	}
	token, err := os.ReadFile(filepath.Join(data, "serve.token"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VERDICT_TOKEN", strings.TrimSpace(string(token)))
	runSteps(t, []cliStep{
		{"Add", []string{other, srv, "market", "trust", "add", lab, "--name", "Lab A", "--reason", "audited"}, 0, []string{"trusted     " + lab + " (Lab A) since "}, nil},
		{"List", []string{other, srv, "market", "trust", "list"}, 0, []string{"trusted     " + lab + " (Lab A)"}, nil},
		{"Verify", []string{other, srv, "market", "trust", "list", "--verify"}, 0, []string{": signature verified", lab}, nil},
		{"Remove", []string{other, srv, "market", "trust", "remove", lab, "--reason", "closed"}, 0, []string{"removed     " + lab}, nil},
		{"Remove again", []string{other, srv, "market", "trust", "remove", lab}, 2, nil, []string{"not found"}},
		{"Log", []string{other, srv, "market", "trust", "log"}, 0, []string{"trust   " + lab + " (Lab A) by host via HTTP from 127.0.0.1", ": audited", "untrust " + lab, ": closed"}, nil},
		{"Verify on a data dir", []string{"--data-dir=" + filepath.Join(dir, "local"), "market", "trust", "list", "--verify"}, 2, nil, []string{"give --server"}},
	})
}
