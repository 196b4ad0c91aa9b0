package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCLILedger: a buyer uses a model through a server as a metered
// service; the receipt verifies offline and against the server, fails
// once changed; the host's statement counts the uses and is recomputed
// from the public log.
func TestCLILedger(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csv, err := filepath.Abs("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: contest\ntitle: Toy regression\ntype: regression\nmetric: rmse\n"+
		"data: {test: "+csv+"}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n"))
	linear := writeFile(t, filepath.Join(dir, "linear.wasm"), sandboxtest.Wasm(sandboxtest.Linear))
	input := writeFile(t, filepath.Join(dir, "new.csv"), []byte("id,a,b\nn1,1,3\nn2,0.5,0.25\n"))
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{"--data-dir=" + data}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	run(0, "keygen", "--out", filepath.Join(dir, "ada.key"))
	run(0, "keygen", "--out", filepath.Join(dir, "buyer.key"))
	run(0, "task", "create", spec)
	run(0, "submit", "--task", "contest", "--key", filepath.Join(dir, "ada.key"), linear)
	run(0, "task", "close", "contest")
	out, _ := run(0, "--json", "market", "list")
	var list struct{ Models []struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Models) != 1 {
		t.Fatalf("market list: %v %s", err, out)
	}
	id := list.Models[0].ID
	if out, _ := run(0, "market", "price", id, "500"); !strings.Contains(out, "500 units per 1,000 rows") {
		t.Errorf("market price: %s", out)
	}
	run(2, "market", "price", id, "-1")
	if out, _ := run(0, "market", "show", id); !strings.Contains(out, "price       500 units per 1,000 rows") {
		t.Errorf("market show: no price\n%s", out)
	}

	base := startServe(t, data)
	rcpt := filepath.Join(dir, "receipt.json")
	out, errOut := run(0, "market", "predict", "--server", base, "--key", filepath.Join(dir, "buyer.key"), "--receipt", rcpt, id, input)
	if !strings.HasPrefix(out, "id,p\nn1,") || !strings.Contains(errOut, "receipt 0") {
		t.Fatalf("predict: got\n%s\n%s", out, errOut)
	}
	run(0, "market", "predict", "--server", base, "--key", filepath.Join(dir, "buyer.key"), id, input)

	// Offline, the receipt alone; then against the server's latest tree.
	out, _ = run(0, "ledger", "verify", rcpt)
	if !strings.Contains(out, "ok: receipt 0 (2 rows") {
		t.Errorf("verify offline: %s", out)
	}
	out, _ = run(0, "ledger", "verify", rcpt, "--server", base)
	if !strings.Contains(out, "size 1 is a prefix of the tree of size 2") || !strings.Contains(out, "in the latest tree (size 2)") {
		t.Errorf("verify --server: %s", out)
	}
	// The receipt holds the salt that opens its request digest, the
	// caller's alone: not readable by others.
	if fi, err := os.Stat(rcpt); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("receipt file: mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(rcpt)
	if err != nil {
		t.Fatal(err)
	}
	var ur map[string]any
	if err := json.Unmarshal(b, &ur); err != nil {
		t.Fatal(err)
	}
	old := writeFile(t, filepath.Join(dir, "old.checkpoint"), []byte(ur["checkpoint"].(string)))
	run(0, "ledger", "verify", "--checkpoint", old, "--server", base)
	ur["index"] = 1.0
	bad, _ := json.Marshal(ur)
	run(1, "ledger", "verify", writeFile(t, filepath.Join(dir, "bad.json"), bad))

	// The host's statement, through the server, recomputed from its log.
	period := "" // the month of the receipts: now
	var entry struct {
		Time string `json:"time"`
	}
	e, _ := json.Marshal(ur["entry"])
	var raw []byte
	json.Unmarshal(e, &raw)
	json.Unmarshal(raw, &entry)
	period = entry.Time[:7]
	stmt, _ := run(0, "ledger", "statement", "--server", base, "--period", period)
	if !strings.Contains(stmt, `"uses": 2`) || !strings.Contains(stmt, `"rows": 4`) {
		t.Errorf("statement: %s", stmt)
	}
	sf := writeFile(t, filepath.Join(dir, "statement.json"), []byte(stmt))
	out, _ = run(0, "ledger", "statement", "--check", sf, "--server", base)
	if !strings.Contains(out, "ok: statement of "+period) {
		t.Errorf("statement --check: %s", out)
	}
	csvOut, _ := run(0, "ledger", "statement", "--server", base, "--period", period, "--format", "csv")
	if !strings.Contains(csvOut, ",2,4,2.000,") {
		t.Errorf("statement csv: %s", csvOut)
	}
	forged := strings.Replace(stmt, `"rows": 4`, `"rows": 5`, 1)
	run(1, "ledger", "statement", "--check", writeFile(t, filepath.Join(dir, "forged.json"), []byte(forged)), "--server", base)
}
