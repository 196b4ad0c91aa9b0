package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

// TestCredentialDerive: an author derives a disclosure of their model
// credential (a proof set) with verdict credential derive, and verdict
// credential verify checks it, the proof set and a base proof alone,
// refusing tampered, revoked and unbound ones.
func TestCredentialDerive(t *testing.T) {
	dir := t.TempDir()
	host, _ := credential.GenerateKey(rand.Reader)
	bbsKey, _ := credential.GenerateBBSKey(rand.Reader)
	otherBBS, _ := credential.GenerateBBSKey(rand.Reader)
	author, _ := credential.GenerateKey(rand.Reader)
	module := []byte("\x00asm\x01\x00\x00\x00")
	list, _ := credential.NewStatusList(0)
	entry := credential.NewStatusEntry("https://verdict.example/status/1", 7)
	c := credential.ModelCredential{
		ID: "urn:uuid:6a1f0c3e-9d4b-4e8a-b2f1-3c5d7e9a0b12", ValidFrom: time.Now().Add(-time.Hour).UTC().Truncate(time.Second),
		Subject: credential.ModelSubject{
			Model: sha256.Sum256(module), Author: author.DID(),
			Task:   credential.Task{ID: "breast-cancer", Title: "Breast cancer", Type: "binary", Metric: "roc_auc", DatasetHash: "sha256:00"},
			Scores: credential.Scores{Public: credential.Score{Value: 0.97, CI: [2]float64{0.95, 0.99}, Level: 0.95}},
			Rank:   1, RankedParticipants: 2, EngineVersion: "0.1.0",
			Thresholds: credential.NewThresholds(0.97, true, 1),
		},
		Status: &entry,
	}
	signed, err := c.SignWithBBS(host, bbsKey, bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cred := writeFile(t, filepath.Join(dir, "cred.json"), signed)
	listVC, _ := credential.IssueStatusList(entry.StatusListCredential, list, host, time.Now().Add(-time.Hour))
	okList := writeFile(t, filepath.Join(dir, "list.json"), listVC)
	_ = list.Set(7, true)
	revokedVC, _ := credential.IssueStatusList(entry.StatusListCredential, list, host, time.Now().Add(-time.Hour))
	revoked := writeFile(t, filepath.Join(dir, "revoked.json"), revokedVC)

	code, stdout, stderr := cli(t, "credential", "derive", cred, "--reveal", "/credentialSubject/scoreAtLeast/7", "--reveal", "/credentialSubject/task/metric", "--nonce", "n-1")
	if code != 0 {
		t.Fatalf("derive: exit %d, %s", code, stderr)
	}
	if strings.Contains(stdout, author.DID()) || !strings.Contains(stdout, `"0.95"`) {
		t.Fatalf("derived credential shows the author, or not the threshold: %s", stdout)
	}
	derived := writeFile(t, filepath.Join(dir, "derived.json"), []byte(stdout))
	var doc map[string]any
	_ = json.Unmarshal([]byte(stdout), &doc)
	doc["credentialSubject"].(map[string]any)["scoreAtLeast"] = []any{"0.99"}
	tamperedBytes, _ := json.Marshal(doc)
	tampered := writeFile(t, filepath.Join(dir, "tampered.json"), tamperedBytes)
	_ = json.Unmarshal(signed, &doc)
	doc["proof"] = doc["proof"].([]any)[1]
	baseBytes, _ := json.Marshal(doc)
	base := writeFile(t, filepath.Join(dir, "base.json"), baseBytes)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"Derived", []string{derived, "--issuer", host.DID(), "--bbs-key", bbsKey.DID(), "--status-list", okList}, 0, "credentialSubject.scoreAtLeast = [0.95]"},
		{"DerivedNotRevoked", []string{derived, "--bbs-key", bbsKey.DID(), "--status-list", okList}, 0, "not revoked"},
		{"DerivedRevoked", []string{derived, "--bbs-key", bbsKey.DID(), "--status-list", revoked}, 1, "revoked"},
		{"DerivedTampered", []string{tampered, "--bbs-key", bbsKey.DID()}, 1, "NOT VERIFIED"},
		{"DerivedUnboundKey", []string{derived}, 1, "BBS key"},
		{"DerivedOtherKey", []string{derived, "--bbs-key", otherBBS.DID()}, 1, "NOT VERIFIED"},
		{"ProofSet", []string{cred, "--issuer", host.DID()}, 0, "bbs-2023   base proof by " + bbsKey.DID()},
		{"BaseAlone", []string{base}, 0, "bbs-2023 base proof by " + bbsKey.DID()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"credential", "verify"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ErrNoReveal", []string{cred}},
		{"ErrBadPointer", []string{cred, "--reveal", "/credentialSubject/nothing"}},
		{"ErrEdDSAOnly", []string{writeFile(t, filepath.Join(dir, "eddsa.json"), must(c.Sign(host))), "--reveal", "/credentialSubject/rank"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, stderr := cli(t, append([]string{"credential", "derive"}, tc.args...)...); code != 2 || stderr == "" {
				t.Errorf("exit %d, stderr %q; want 2 and a reason", code, stderr)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
