package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.key")
	code, stdout, stderr := cli(t, "keygen", "--out", path)
	if code != 0 || !strings.HasPrefix(stdout, "did:key:z6Mk") {
		t.Fatalf("keygen: exit %d, %q %q; want a did:key", code, stdout, stderr)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, st.Mode())
	}
	k, err := credential.ReadKeyFile(path)
	if err != nil || k.DID() != strings.TrimSpace(stdout) {
		t.Errorf("key file holds %v (%v), printed %q", k, err, stdout)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(stdout+stderr, credential.SecretKeyMultibase(k)) || !strings.Contains(string(raw), credential.SecretKeyMultibase(k)) {
		t.Error("the secret key was printed, or is not in the key file")
	}
	if code, _, stderr := cli(t, "keygen", "--out", path); code != 2 || !strings.Contains(stderr, "exist") {
		t.Errorf("keygen over an existing file: exit %d, %q; want 2 and a refusal", code, stderr)
	}
}

func TestCredentialVerify(t *testing.T) {
	dir := t.TempDir()
	host, _ := credential.GenerateKey(rand.Reader)
	author, _ := credential.GenerateKey(rand.Reader)
	module := []byte("\x00asm\x01\x00\x00\x00")
	modPath := writeFile(t, filepath.Join(dir, "model.wasm"), module)
	other := writeFile(t, filepath.Join(dir, "other.wasm"), append(module, 0))
	list, _ := credential.NewStatusList(0)
	entry := credential.NewStatusEntry("https://verdict.example/status/1", 7)
	c := credential.ModelCredential{
		ID: "urn:uuid:6a1f0c3e-9d4b-4e8a-b2f1-3c5d7e9a0b12", ValidFrom: time.Now().Add(-time.Hour).UTC(),
		Subject: credential.ModelSubject{
			Model: sha256.Sum256(module), Author: author.DID(),
			Task:   credential.Task{ID: "breast-cancer", Title: "Breast cancer", Type: "binary", Metric: "roc_auc", DatasetHash: "sha256:00"},
			Scores: credential.Scores{Public: credential.Score{Value: 0.99, CI: [2]float64{0.97, 1}, Level: 0.95}},
			Rank:   1, RankedParticipants: 2, EngineVersion: "0.1.0",
		},
		Status: &entry,
	}
	signed, err := c.Sign(host)
	if err != nil {
		t.Fatal(err)
	}
	cred := writeFile(t, filepath.Join(dir, "cred.json"), signed)
	listVC, err := credential.IssueStatusList(entry.StatusListCredential, list, host, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	okList := writeFile(t, filepath.Join(dir, "list.json"), listVC)
	if err := list.Set(7, true); err != nil {
		t.Fatal(err)
	}
	revokedVC, _ := credential.IssueStatusList(entry.StatusListCredential, list, host, time.Now().Add(-time.Hour))
	revoked := writeFile(t, filepath.Join(dir, "revoked.json"), revokedVC)
	var doc map[string]any
	json.Unmarshal(signed, &doc)
	doc["credentialSubject"].(map[string]any)["rank"] = 0
	tamperedBytes, _ := json.Marshal(doc)
	tampered := writeFile(t, filepath.Join(dir, "tampered.json"), tamperedBytes)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"Verified", []string{cred, "--module", modPath, "--issuer", host.DID(), "--status-list", okList}, 0, "not revoked"},
		{"NoOptions", []string{cred}, 0, "VERIFIED"},
		{"OtherModule", []string{cred, "--module", other}, 1, "NOT VERIFIED"},
		{"OtherIssuer", []string{cred, "--issuer", author.DID()}, 1, "NOT VERIFIED"},
		{"Revoked", []string{cred, "--status-list", revoked}, 1, "revoked"},
		{"Tampered", []string{tampered}, 1, "NOT VERIFIED"},
		{"Missing", []string{filepath.Join(dir, "nope.json")}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"credential", "verify"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}
}

// TestCLICredentials is the trust flow end to end: a participant known by
// a did:key, a task with gates, a baseline, close and promotion, list,
// show, verify with --module and --status-list, revoke, verify again.
func TestCLICredentials(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	d := "--data-dir=" + data
	model := func(who string) string {
		for _, e := range examples.Demo() {
			if e.Participant == who {
				return filepath.Join(ex, e.Path)
			}
		}
		t.Fatalf("no example %q", who)
		return ""
	}
	spec, err := os.ReadFile(filepath.Join(ex, examples.DemoTask))
	if err != nil {
		t.Fatal(err)
	}
	// The demo task's own gates give way to stricter ones.
	if i := bytes.Index(spec, []byte("\ngates:")); i >= 0 {
		spec = spec[:i+1]
	}
	// alice's private roc_auc is about 0.988, bob's about 0.977.
	gated := writeFile(t, filepath.Join(ex, "breast-cancer", "gated.yaml"), append(spec, []byte(`gates:
  min_score: 0.98
  beats_baseline: {}
  deterministic: true
  valid_outputs: true
  max_module_mb: 8
promote_top: 2
`)...))
	baseline := writeFile(t, filepath.Join(dir, "const.wasm"), sandboxtest.Wasm(sandboxtest.Const))

	code, stdout, stderr := cli(t, "keygen", "--out", filepath.Join(dir, "alice.key"))
	if code != 0 {
		t.Fatalf("keygen: exit %d, %s", code, stderr)
	}
	aliceDID := strings.TrimSpace(stdout)

	must := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{d}, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, stdout, stderr)
		}
		return stdout
	}
	must(0, "task", "create", gated)
	must(0, "submit", "--baseline", "--task", "breast-cancer", "--participant", "host", baseline)
	if out := must(0, "task", "show", "breast-cancer"); !strings.Contains(out, "gates     min_score 0.98, beats_baseline (alpha 0.05)") {
		t.Errorf("task show: got\n%s\nwant the gates", out)
	}
	if out := must(0, "submit", "--task", "breast-cancer", "--participant", aliceDID, model("alice")); !strings.Contains(out, "gate        valid_outputs") {
		t.Errorf("submit: got\n%s\nwant the gates' results", out)
	}
	must(0, "submit", "--task", "breast-cancer", "--participant", "bob", model("bob"))
	if out := must(2, "credential", "promote", "--task", "breast-cancer"); out != "" {
		t.Errorf("promote before close printed %q", out)
	}

	var closed struct {
		Issuer     string `json:"issuer"`
		StatusList string `json:"status_list"`
		Promotions []struct {
			Participant string
			Credential  *struct{ ID string }
			Gates       []struct {
				Name   string
				Passed bool
			}
		}
	}
	if err := json.Unmarshal([]byte(must(0, "--json", "task", "close", "breast-cancer")), &closed); err != nil {
		t.Fatal(err)
	}
	if len(closed.Promotions) != 2 || closed.Promotions[0].Participant != aliceDID || closed.Promotions[0].Credential == nil ||
		closed.Promotions[1].Participant != "bob" || closed.Promotions[1].Credential != nil {
		t.Fatalf("close: got promotions %+v, want a credential for alice only", closed.Promotions)
	}
	if g := closed.Promotions[1].Gates; len(g) != 5 || g[0].Name != "min_score" || g[0].Passed {
		t.Errorf("bob's gates: got %+v, want min_score failed first of 5", g)
	}
	id := closed.Promotions[0].Credential.ID

	list := must(0, "credential", "list", "--task", "breast-cancer")
	if !strings.Contains(list, id) || !strings.Contains(list, aliceDID) || !strings.Contains(list, "valid") || strings.Contains(list, "bob") {
		t.Errorf("credential list: got\n%s\nwant alice's credential only", list)
	}
	cred := writeFile(t, filepath.Join(dir, "cred.json"), []byte(must(0, "credential", "show", id)))
	verify := []string{"credential", "verify", cred, "--module", model("alice"), "--issuer", closed.Issuer, "--status-list", closed.StatusList}
	if out := must(0, verify...); !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "not revoked") {
		t.Errorf("verify: got\n%s", out)
	}
	if out := must(1, "credential", "verify", cred, "--module", model("bob")); !strings.Contains(out, "NOT VERIFIED") {
		t.Errorf("verify with bob's module: got\n%s", out)
	}
	// The author opts in to be hidden from visitors; the data dir (the
	// host) still shows the credential in full.
	if out := must(0, "credential", "hide", id, "--reveal", "/credentialSubject/task/metric"); !strings.Contains(out, "hidden: visitors see the mandatory claims and /credentialSubject/task/metric") {
		t.Errorf("hide: got\n%s", out)
	}
	must(2, "credential", "hide", id, "--reveal", "/credentialSubject/author")
	if out := must(0, "credential", "show", id); !strings.Contains(out, aliceDID) {
		t.Errorf("show after hide, as the host: got\n%s, want the credential in full", out)
	}
	if out := must(0, "credential", "revoke", id, "--reason", "labels leaked"); !strings.Contains(out, "revoked") {
		t.Errorf("revoke: got\n%s", out)
	}
	if out := must(1, verify...); !strings.Contains(out, "revoked") {
		t.Errorf("verify after revoke: got\n%s, want revoked", out)
	}
	if list := must(0, "credential", "list"); !strings.Contains(list, "revoked: labels leaked") {
		t.Errorf("list after revoke: got\n%s", list)
	}
	must(2, "credential", "revoke", id, "--reason", "twice")
	must(2, "credential", "show", "urn:uuid:00000000-0000-4000-8000-000000000000")
	must(2, "credential", "revoke", id)
}
