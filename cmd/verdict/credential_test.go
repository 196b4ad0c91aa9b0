package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
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
