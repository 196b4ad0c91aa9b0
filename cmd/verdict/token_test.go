package main

import (
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine/credential"
)

// TestBuyerTokenCLI: verdict token create --buyer DID prints a buyer token
// (vdb_…) for a did:key only; token list --buyer lists it by DID, apart
// from the host tokens; token revoke --buyer DID removes it.
func TestBuyerTokenCLI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	k, err := credential.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	did := k.DID()
	if code, _, stderr := cli(t, "--data-dir", data, "token", "create", "--buyer", "carol"); code != 2 || !strings.Contains(stderr, "want a did:key") {
		t.Errorf("create --buyer carol: exit %d %q, want 2 naming did:key", code, stderr)
	}
	if code, out, stderr := cli(t, "--data-dir", data, "token", "create", "--buyer", did); code != 0 || !strings.HasPrefix(out, "vdb_") {
		t.Fatalf("create --buyer: exit %d %q %q, want a vdb_ token", code, out, stderr)
	}
	if code, _, _ := cli(t, "--data-dir", data, "token", "create", "--name", "x", "--buyer", did); code == 0 {
		t.Error("create --name with --buyer: exit 0, want a usage error")
	}
	if code, out, _ := cli(t, "--data-dir", data, "token", "list", "--buyer"); code != 0 || !strings.Contains(out, "BUYER") || !strings.Contains(out, did) {
		t.Errorf("list --buyer: exit %d %q, want %s", code, out, did)
	}
	if code, out, _ := cli(t, "--data-dir", data, "token", "list"); code != 0 || strings.Contains(out, did) {
		t.Errorf("list: exit %d %q, want the host tokens only", code, out)
	}
	if code, out, _ := cli(t, "--data-dir", data, "token", "revoke", "--buyer", did); code != 0 || !strings.Contains(out, "revoked 1") {
		t.Errorf("revoke --buyer: exit %d %q, want 1 revoked", code, out)
	}
	if code, out, _ := cli(t, "--data-dir", data, "token", "list", "--buyer"); code != 0 || strings.Contains(out, did) {
		t.Errorf("list --buyer after revoke: exit %d %q, want none", code, out)
	}
}
