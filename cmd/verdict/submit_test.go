package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCLISignedSubmit: keygen, then submit --key to a task that requires
// signatures; the leaderboard shows the key's did:key.
func TestCLISignedSubmit(t *testing.T) {
	dir, data := workspace(t)
	csv := filepath.Join(dir, "examples", "data", "breast_cancer_test.csv")
	spec := writeFile(t, filepath.Join(dir, "s.yaml"), []byte(fmt.Sprintf(
		"id: cli-signed\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nrequire_signed: true\n", csv)))
	model := writeFile(t, filepath.Join(dir, "const.wasm"), sandboxtest.Wasm(sandboxtest.Const))
	key := filepath.Join(dir, "alice.key")
	d := "--data-dir=" + data
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{d}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s\n%s", args, code, want, stdout, stderr)
		}
		return stdout + stderr
	}
	did := strings.TrimSpace(run(0, "keygen", "--out", key))
	// Before the data dir exists, as in a participant's project without
	// --server: a refusal naming --server, and no empty data dir made.
	if out := run(2, "submit", "--task", "cli-signed", "--key", key, model); !strings.Contains(out, "no data dir") || !strings.Contains(out, "--server URL") {
		t.Errorf("submit with no data dir: got %q, want a hint at --server URL", out)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("%s after submit: %v, want no data dir made", data, err)
	}
	run(0, "task", "create", spec)
	if out := run(2, "submit", "--task", "cli-signed", "--participant", "ada", model); !strings.Contains(out, "--key") {
		t.Errorf("unsigned on a require_signed task: got %q, want a hint at --key", out)
	}
	if out := run(2, "submit", "--task", "cli-signed", model); !strings.Contains(out, "--participant NAME, or --key FILE") {
		t.Errorf("no participant and no key: got %q", out)
	}
	if out := run(2, "submit", "--task", "cli-signed", "--key", key, "--participant", "ada", model); !strings.Contains(out, "not the signer") {
		t.Errorf("participant other than the signer: got %q", out)
	}
	if out := run(0, "submit", "--task", "cli-signed", "--key", key, model); !strings.Contains(out, "participant "+did) {
		t.Errorf("signed submit: got %q, want participant %s", out, did)
	}
	if out := run(0, "leaderboard", "cli-signed"); !strings.Contains(out, shortID(did)) {
		t.Errorf("leaderboard: got %q, want %s", out, shortID(did))
	}
	if out := run(0, "--json", "leaderboard", "cli-signed"); !strings.Contains(out, did) {
		t.Errorf("leaderboard --json: got %q, want %s whole", out, did)
	}
	if _, err := credential.ParseDIDKey(did); err != nil {
		t.Errorf("keygen printed %q: %v", did, err)
	}
}
