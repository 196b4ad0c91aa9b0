package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestDemoShortIDs: every id the contest demo prints is one that the
// commands accept (it printed the end of a UUID, which select refused).
func TestDemoShortIDs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := cli(t, "--data-dir", data, "demo", "--contest")
	if code != 0 {
		t.Fatalf("demo --contest: exit %d\n%s\n%s", code, stdout, stderr)
	}
	printed := regexp.MustCompile(`(?:submits .*?: |already submitted as |selects )([0-9a-f-]{8,})`).FindAllStringSubmatch(stdout, -1)
	if len(printed) < 5 {
		t.Fatalf("got %d printed ids, want the demo's submissions:\n%s", len(printed), stdout)
	}
	e, err := engine.Open(context.Background(), engine.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	for _, m := range printed {
		sub, err := e.Submission(m[1], engine.Host)
		if err != nil {
			t.Errorf("the demo printed %q, which no command accepts: %v", m[1], err)
			continue
		}
		if !strings.HasPrefix(sub.ID, m[1]) {
			t.Errorf("printed %q, resolved to %s: not a prefix", m[1], sub.ID)
		}
	}
}

// TestCLIShortIDs: select, and credential show, take the short form of
// an id; refusals read as sentences, without the sentinels' suffixes.
func TestCLIShortIDs(t *testing.T) {
	dir, data := workspace(t)
	csv := filepath.Join(dir, "examples", "data", "breast_cancer_test.csv")
	spec := writeFile(t, filepath.Join(dir, "c.yaml"), []byte(fmt.Sprintf(
		"id: ids\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nfinal_selections: 1\npromote_top: 1\n", csv)))
	linear := filepath.Join(dir, "examples", "breast-cancer", "c-model", "model.wasm")
	konst := writeFile(t, filepath.Join(dir, "const.wasm"), sandboxtest.Wasm(sandboxtest.Const))
	d := "--data-dir=" + data
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{d}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s\n%s", args, code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	run(0, "task", "create", spec)
	out, _ := run(0, "--json", "submit", "--task", "ids", "--participant", "ada", linear)
	var sub struct{ ID string }
	if err := json.Unmarshal([]byte(out), &sub); err != nil {
		t.Fatal(err)
	}
	run(0, "submit", "--task", "ids", "--participant", "ada", konst)
	if out, _ := run(0, "select", "--task", "ids", "--participant", "ada", engine.ShortID(sub.ID)); !strings.Contains(out, "selected "+sub.ID) {
		t.Errorf("select %s: got %q, want the full id selected", engine.ShortID(sub.ID), out)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"SelectUnknown", []string{"select", "--task", "ids", "--participant", "ada", "ffffffff-ffff"}, `submission "ffffffff-ffff" not found`},
		{"CredentialUnknown", []string{"credential", "show", "00000000"}, `credential "00000000" not found`},
		{"MarketUnknown", []string{"market", "show", "00000000"}, `market entry "00000000" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr := run(2, tc.args...)
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("got %q, want %q", stderr, tc.want)
			}
			for _, internal := range []string{"engine:", "leaderboard:", "metric:"} {
				if strings.Contains(stderr, internal) {
					t.Errorf("message %q shows the internal %q", stderr, internal)
				}
			}
		})
	}

	run(0, "task", "close", "ids")
	out, _ = run(0, "--json", "credential", "list", "--task", "ids")
	var list struct{ Credentials []struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Credentials) != 1 {
		t.Fatalf("credential list: %v\n%s", err, out)
	}
	id := list.Credentials[0].ID
	if out, _ := run(0, "credential", "show", engine.ShortID(id)); !strings.Contains(out, id) {
		t.Errorf("credential show %s: got %q, want the credential %s", engine.ShortID(id), out, id)
	}
}
