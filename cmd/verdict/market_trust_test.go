package main

import (
	"crypto/rand"
	"encoding/json"
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
