package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCLITeamSharesAndPrice: the members of team ab each ask for a
// 70:30 split through the server with their keys; the author sets the
// model's price by a signed request, a stranger may not; market list
// says who certified the model and that it is trusted; the statement CSV
// shares the line as agreed and names the issuer.
func TestCLITeamSharesAndPrice(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csv, err := filepath.Abs("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: contest\ntype: regression\nmetric: rmse\n"+
		"data: {test: "+csv+"}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\nteams: {max_size: 3}\n"))
	linear := writeFile(t, filepath.Join(dir, "linear.wasm"), sandboxtest.Wasm(sandboxtest.Linear))
	input := writeFile(t, filepath.Join(dir, "new.csv"), []byte("id,a,b\nn1,1,3\nn2,0.5,0.25\n"))
	run := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{"--data-dir=" + data}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
		}
		return stdout
	}
	key := func(name string) (string, string) {
		path := filepath.Join(dir, name+".key")
		return path, strings.TrimSpace(run(0, "keygen", "--out", path))
	}
	adaKey, ada := key("ada")
	bobKey, bob := key("bob")
	buyerKey, _ := key("buyer")
	run(0, "task", "create", spec)
	run(0, "submit", "--task", "contest", "--key", adaKey, linear)
	run(0, "team", "create", "ab", ada, bob, "--task", "contest")
	run(0, "task", "close", "contest")
	list := run(0, "market", "list")
	if !strings.Contains(list, "promoted, certified by did:key:") || !strings.Contains(list, "(trusted)") {
		t.Errorf("market list: no issuer or trust\n%s", list)
	}
	var listed struct{ Models []struct{ ID string } }
	if err := json.Unmarshal([]byte(run(0, "--json", "market", "list")), &listed); err != nil || len(listed.Models) != 1 {
		t.Fatalf("market list: %v", err)
	}
	id := listed.Models[0].ID

	base := startServe(t, data)
	split := []string{"--share", ada + "=70", "--share", bob + "=30"}
	if out := run(0, append([]string{"team", "shares", "ab", "--task", "contest", "--server", base, "--key", adaKey}, split...)...); !strings.Contains(out, "equal shares") || !strings.Contains(out, "asked by "+ada) {
		t.Errorf("ada asks: %s", out)
	}
	if out := run(0, append([]string{"team", "shares", "ab", "--task", "contest", "--server", base, "--key", bobKey}, split...)...); !strings.Contains(out, "agreed by members") || !strings.Contains(out, "70.00%") {
		t.Errorf("bob asks: %s", out)
	}
	run(2, "team", "shares", "ab", "--task", "contest", "--share", ada+"=70.001", "--share", bob+"=29.999")

	run(2, "market", "price", id, "--per-1000", "1", "--server", base, "--key", buyerKey) // 403: not its author
	if out := run(0, "market", "price", id, "--per-1000", "100", "--server", base, "--key", adaKey); !strings.Contains(out, "100 units per 1,000 rows") {
		t.Errorf("author sets the price: %s", out)
	}
	// The statement is the month's of the call, which the server's clock
	// (the real one) dates: a call that straddles a month's end is not
	// known to be in either, and is not judged.
	period := time.Now().UTC().Format("2006-01")
	run(0, "market", "predict", "--server", base, "--key", buyerKey, id, input)
	if after := time.Now().UTC().Format("2006-01"); after != period {
		t.Logf("the metered call straddled a month's end (%s to %s): statement not checked", period, after)
		return
	}
	run(0, "market", "price", id, "--per-1000", "5") // the host, through its running server: it overrides

	out := run(0, "ledger", "statement", "--server", base, "--period", period, "--format", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], ",certified_by,issuer_trusted") {
		t.Fatalf("statement csv:\n%s", out)
	}
	// 2 rows at 100 per 1,000: 0.200 units, 0.140 to ada, 0.060 to bob.
	for _, want := range []string{ada + ",0.140,", bob + ",0.060,"} {
		if !strings.Contains(out, want) {
			t.Errorf("statement csv: no %q\n%s", want, out)
		}
	}
	if !strings.HasSuffix(lines[1], ",true") || !strings.Contains(lines[1], ",0.200,") {
		t.Errorf("statement csv line: %s", lines[1])
	}
}
