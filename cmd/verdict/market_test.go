package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCLIMarket is the marketplace from the command line: signed
// submissions with licenses, close and promotion, list, search, show,
// export, ingest into a second data dir, predict there; a tampered bundle
// and a revoked model refused.
func TestCLIMarket(t *testing.T) {
	dir := t.TempDir()
	data, data2 := filepath.Join(dir, "data"), filepath.Join(dir, "data2")
	csv, err := filepath.Abs("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: contest\ntitle: Toy regression\ntype: regression\nmetric: rmse\n"+
		"data: {test: "+csv+"}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n"))
	linear := writeFile(t, filepath.Join(dir, "linear.wasm"), sandboxtest.Wasm(sandboxtest.Linear))
	cmodel := writeFile(t, filepath.Join(dir, "cmodel.wasm"), sandboxtest.Wasm(sandboxtest.CModel))
	input := writeFile(t, filepath.Join(dir, "new.csv"), []byte("id,a,b\nn1,1,3\nn2,0.5,0.25\n"))

	run := func(dataDir string, want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{"--data-dir=" + dataDir}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
		}
		return stdout
	}
	ada := strings.TrimSpace(run(data, 0, "keygen", "--out", filepath.Join(dir, "ada.key")))
	run(data, 0, "keygen", "--out", filepath.Join(dir, "bob.key"))
	run(data, 0, "task", "create", spec)
	run(data, 0, "submit", "--task", "contest", "--key", filepath.Join(dir, "ada.key"), "--license", "Apache-2.0", linear)
	run(data, 0, "submit", "--task", "contest", "--key", filepath.Join(dir, "bob.key"), cmodel)
	run(data, 2, "submit", "--task", "contest", "--participant", "eve", "--license", strings.Repeat("x", 201), linear)
	var closed struct {
		Issuer     string `json:"issuer"`
		StatusList string `json:"status_list"`
	}
	if err := json.Unmarshal([]byte(run(data, 0, "--json", "task", "close", "contest")), &closed); err != nil {
		t.Fatal(err)
	}

	list := run(data, 0, "market", "list")
	if !strings.Contains(list, "Apache-2.0") || !strings.Contains(list, "unspecified") || strings.Count(list, "promoted") != 2 {
		t.Errorf("market list: got\n%s\nwant two promoted models, licenses Apache-2.0 and unspecified", list)
	}
	var found struct {
		Models []struct {
			ID    string
			Score float64
			Card  struct{ Author string }
		}
	}
	if err := json.Unmarshal([]byte(run(data, 0, "--json", "market", "search", "--type", "regression", "--feature", "a,B", "--text", "toy")), &found); err != nil {
		t.Fatal(err)
	}
	if len(found.Models) != 2 || found.Models[0].Score > found.Models[1].Score {
		t.Fatalf("search: got %+v, want both models, lower rmse first", found.Models)
	}
	var adaID, bobID string
	for _, m := range found.Models {
		if m.Card.Author == ada {
			adaID = m.ID
		} else {
			bobID = m.ID
		}
	}
	if out := run(data, 0, "market", "search", "--type", "binary"); !strings.Contains(out, "no models") {
		t.Errorf("search --type binary: got\n%s", out)
	}
	run(data, 2, "market", "search", "--metric", "nope")
	show := run(data, 0, "market", "show", adaID[:8])
	for _, want := range []string{"license     Apache-2.0", "input       id, then 2 features:\n            a, b\n", "output      p: predicted value", "author      " + ada, "promoted, valid", "(trusted here)"} {
		if !strings.Contains(show, want) {
			t.Errorf("market show: got\n%s\nwant %q", show, want)
		}
	}

	// Export, ingest into another data dir, predict there.
	bundle, bobBundle := filepath.Join(dir, "bundle"), filepath.Join(dir, "bob-bundle")
	run(data, 0, "market", "export", adaID, bundle)
	run(data, 0, "market", "export", bobID, bobBundle)
	for _, f := range []string{"model.wasm", "credential.json", "card.json", "status.json"} {
		if _, err := os.Stat(filepath.Join(bundle, f)); err != nil {
			t.Errorf("bundle: %v", err)
		}
	}
	// The second data dir does not trust the first host: ingest refuses
	// the bundle, naming the issuer and the fix, pinned issuer or not.
	if out := run(data2, 1, "market", "ingest", bundle, "--issuer", closed.Issuer); !strings.Contains(out, "REFUSED     credential.json: issuer "+closed.Issuer+" is not trusted here") ||
		!strings.Contains(out, "verdict market trust add "+closed.Issuer) || !strings.Contains(out, "--allow-untrusted") {
		t.Errorf("ingest from an untrusted issuer: got\n%s", out)
	}
	if out := run(data2, 0, "market", "ingest", bundle, "--issuer", closed.Issuer, "--allow-untrusted"); !strings.Contains(out, "ingested    "+adaID) {
		t.Errorf("ingest --allow-untrusted: got\n%s", out)
	}
	// The second data dir lists the model, not trusting its issuer until
	// its operator says so, and no longer once it withdraws its trust.
	if out := run(data2, 0, "market", "show", adaID); !strings.Contains(out, "NOT trusted here") {
		t.Errorf("market show of an ingested model: got\n%s\nwant its issuer NOT trusted here", out)
	}
	run(data2, 0, "market", "trust", "add", closed.Issuer, "--name", "first host", "--since", "2020-01-01T00:00:00Z")
	if out := run(data2, 0, "market", "show", adaID); !strings.Contains(out, "(trusted here)") {
		t.Errorf("market show after trust add: got\n%s\nwant its issuer trusted here", out)
	}
	run(data2, 0, "market", "trust", "remove", closed.Issuer, "--reason", "key rotated")
	if out := run(data2, 0, "market", "show", adaID); !strings.Contains(out, "NOT trusted here") {
		t.Errorf("market show after trust remove: got\n%s\nwant its issuer NOT trusted here", out)
	}
	run(data2, 0, "market", "trust", "add", closed.Issuer, "--name", "first host", "--since", "2020-01-01T00:00:00Z")
	// The trust log: each change, in order, by the local user, with its reason.
	if out := run(data2, 0, "market", "trust", "log"); strings.Count(out, closed.Issuer) != 3 || !strings.Contains(out, "untrust "+closed.Issuer+" (first host) by cli") ||
		!strings.Contains(out, ": key rotated") || strings.Index(out, "untrust") < strings.Index(out, "trust ") {
		t.Errorf("trust log: got\n%s\nwant add, remove (key rotated), add, by the CLI user", out)
	}
	if out := run(data2, 0, "market", "list"); !strings.Contains(out, "ingested") {
		t.Errorf("list after ingest: got\n%s", out)
	}
	if out := run(data2, 0, "market", "predict", adaID, input); out != "id,p\nn1,2\nn2,0.375\n" {
		t.Errorf("predict: got %q, want the mean of the features", out)
	}
	outFile := filepath.Join(dir, "preds.csv")
	run(data2, 0, "market", "predict", adaID, input, "--out", outFile)
	if b, err := os.ReadFile(outFile); err != nil || string(b) != "id,p\nn1,2\nn2,0.375\n" {
		t.Errorf("predict --out: got %q, %v", b, err)
	}
	run(data2, 2, "market", "predict", adaID, writeFile(t, filepath.Join(dir, "bad.csv"), []byte("id,a\nn1,1\n")))

	// Exported with its author hidden, ingested by a third data dir that
	// records the first host's BBS key, listed with its author not
	// disclosed.
	var host struct {
		BBS string `json:"host_bbs_did"`
	}
	if err := json.Unmarshal([]byte(run(data, 0, "--json", "market", "trust", "list")), &host); err != nil || !strings.HasPrefix(host.BBS, "did:key:zUC7") {
		t.Fatalf("trust list host_bbs_did: got %q, %v", host.BBS, err)
	}
	hidden, data3 := filepath.Join(dir, "hidden"), filepath.Join(dir, "data3")
	run(data, 0, "market", "export", adaID, hidden, "--hide-author")
	if b, _ := os.ReadFile(filepath.Join(hidden, "card.json")); strings.Contains(string(b), ada) {
		t.Errorf("a card with the author hidden names it:\n%s", b)
	}
	run(data3, 0, "market", "trust", "add", closed.Issuer, "--name", "first host", "--since", "2020-01-01T00:00:00Z")
	if out := run(data3, 1, "market", "ingest", hidden); !strings.Contains(out, "bbs key unknown for issuer") {
		t.Errorf("ingest of a disclosure without the issuer's BBS key: got\n%s", out)
	}
	run(data3, 0, "market", "trust", "add", closed.Issuer, "--name", "first host", "--since", "2020-01-01T00:00:00Z", "--bbs-did", host.BBS)
	if out := run(data3, 0, "market", "ingest", hidden); !strings.Contains(out, "ingested    "+adaID) {
		t.Errorf("ingest of a disclosure: got\n%s", out)
	}
	if out := run(data3, 0, "market", "show", adaID); !strings.Contains(out, "author      not disclosed") || strings.Contains(out, ada) {
		t.Errorf("show of a disclosure: got\n%s\nwant author not disclosed", out)
	}
	if out := run(data3, 0, "market", "list"); !strings.Contains(out, "not disclosed") {
		t.Errorf("list of a disclosure: got\n%s", out)
	}

	// A tampered bundle is refused, naming the file and the cause.
	tampered := filepath.Join(dir, "tampered")
	if err := os.CopyFS(tampered, os.DirFS(bobBundle)); err != nil {
		t.Fatal(err)
	}
	wasm, _ := os.ReadFile(filepath.Join(tampered, "model.wasm"))
	writeFile(t, filepath.Join(tampered, "model.wasm"), append(wasm, 0, 1, 'x'))
	if out := run(data2, 1, "market", "ingest", tampered); !strings.Contains(out, "REFUSED     model.wasm") || !strings.Contains(out, "module does not match") {
		t.Errorf("ingest tampered: got\n%s", out)
	}

	// A revoked model: marked, hidden from search, refused at ingest.
	run(data, 0, "credential", "revoke", bobID, "--reason", "labels leaked")
	if out := run(data, 0, "market", "list"); !strings.Contains(out, "REVOKED: labels leaked") {
		t.Errorf("list after revoke: got\n%s", out)
	}
	if out := run(data, 0, "market", "search"); strings.Contains(out, bobID[:8]) {
		t.Errorf("search after revoke: got\n%s\nwant bob's model hidden", out)
	}
	if out := run(data, 0, "market", "show", bobID); !strings.Contains(out, "REVOKED at") {
		t.Errorf("show after revoke: got\n%s", out)
	}
	var refused struct {
		Accepted bool
		File     string
		Reason   string
	}
	if err := json.Unmarshal([]byte(run(data2, 1, "--json", "market", "ingest", bobBundle, "--status-list", closed.StatusList)), &refused); err != nil {
		t.Fatal(err)
	}
	if refused.Accepted || refused.File != "credential.json" || !strings.Contains(refused.Reason, "revoked") {
		t.Errorf("ingest revoked: got %+v", refused)
	}

	// The second data dir learns of a later revocation from a newer list.
	run(data, 0, "credential", "revoke", adaID, "--reason", "license dispute")
	if out := run(data2, 0, "market", "refresh", "--status-list", closed.StatusList); !strings.Contains(out, "revoked     "+adaID) {
		t.Errorf("refresh: got\n%s\nwant ada's model revoked", out)
	}
	if out := run(data2, 0, "market", "list"); !strings.Contains(out, "REVOKED") {
		t.Errorf("list after refresh: got\n%s", out)
	}
	run(data2, 2, "market", "predict", adaID, input)
	run(data2, 2, "market", "refresh")
}

// TestDemoMarket: the demo's marketplace part finds alice's model, refuses
// the tampered and the revoked bundles, and predicts new rows; then its
// agent finds and verifies the model through MCP and uses it twice, and
// the statement counts both uses: 2 uses, 5 + 3 rows, 8 × 250 milli-units.
func TestDemoMarket(t *testing.T) {
	code, stdout, stderr := cli(t, "--json", "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var out struct {
		Participants map[string]string // name → did:key
		Market       struct {
			Found   string
			Revoked string
			Search  []struct {
				Card struct{ Author, License string }
			}
			Refused map[string]string
			Agent   struct {
				Agent     string
				Tools     []string
				Found     []string
				Verified  bool
				Receipts  []int64
				Statement ledger.Statement
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	m := out.Market
	if len(m.Search) != 1 || m.Search[0].Card.Author != out.Participants["alice"] || !strings.HasPrefix(m.Search[0].Card.Author, "did:key:z6Mk") || m.Search[0].Card.License != "Apache-2.0" || m.Found == "" || m.Revoked == "" {
		t.Errorf("demo market: got %+v, want alice's model found and bob's revoked", m)
	}
	if !strings.Contains(m.Refused["tampered wasm"], "module does not match") || !strings.Contains(m.Refused["revoked"], "revoked") {
		t.Errorf("demo market refusals: got %v", m.Refused)
	}
	a := m.Agent
	if !slices.Contains(a.Tools, "predict") || len(a.Found) != 1 || !strings.HasPrefix(a.Found[0], m.Found) || !a.Verified || !slices.Equal(a.Receipts, []int64{0, 1}) {
		t.Errorf("demo agent: got %+v, want alice's model found through MCP, verified, and two receipts 0 and 1", a)
	}
	st := a.Statement
	if len(st.Lines) != 1 || st.Size != 2 {
		t.Fatalf("demo statement: got %+v, want one line from a checkpoint of size 2", st)
	}
	if l := st.Lines[0]; l.Author != out.Participants["alice"] || l.Uses != 2 || l.Rows != 8 || l.MilliUnits != 8*250 || l.Model != a.Found[0] {
		t.Errorf("demo statement line: got %+v, want alice's model: 2 uses, 8 rows, 2000 milli-units", l)
	}
}
