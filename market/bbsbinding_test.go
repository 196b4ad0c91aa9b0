package market_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
)

func mustBBSKey(t *testing.T) credential.BBSKey {
	t.Helper()
	k, err := credential.GenerateBBSKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestBBSKeyOf: the host's own pair, a registry entry's bbs_did (stored
// in issuers.json and in the trust log), and "" for an entry without one
// or an issuer not in the registry.
func TestBBSKeyOf(t *testing.T) {
	e, _ := contestEngine(t, "", engine.Config{})
	m := market.New(e)
	ctx := context.Background()
	withKey, withoutKey, stranger := mustKey(t).DID(), mustKey(t).DID(), mustKey(t).DID()
	bbsDID := mustBBSKey(t).DID()
	for _, ti := range []market.TrustedIssuer{
		{DID: withKey, Name: "Lab A", Since: day0, BBSDID: bbsDID},
		{DID: withoutKey, Name: "Lab B", Since: day0},
	} {
		if err := m.Trust(ctx, ti); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, did, want string
	}{
		{"host", e.HostDID(), e.HostBBSDID()},
		{"registered", withKey, bbsDID},
		{"no bbs_did", withoutKey, ""},
		{"not registered", stranger, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := market.New(e).BBSKeyOf(tc.did)
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if e.HostBBSDID() == "" {
		t.Error("the host has no BBS key")
	}
	log, err := m.TrustLog()
	if err != nil || len(log) != 2 || log[0].Issuer.BBSDID != bbsDID {
		t.Errorf("TrustLog: got %+v, %v; want the bbs_did in the first change", log, err)
	}
}

// TestIngestFullBBSBinding: a full credential's proof set is ingested only
// if its bbs-2023 base proof is by the BBS key bound to its issuer, when
// the registry knows one: the same credential with its base proof made
// by another BLS key (re-signed by the issuer's Ed25519 key, so its
// eddsa proof is good) is refused naming both keys.
func TestIngestFullBBSBinding(t *testing.T) {
	ctx := context.Background()
	e, m, clk := contest(t, "", engine.Config{})
	signedSubmit(t, e, clk.Now(), mustKey(t), linear, "MIT")
	clk.Add(time.Hour)
	if _, err := e.CloseTask(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	creds, err := e.Credentials("contest")
	if err != nil || len(creds) != 1 {
		t.Fatalf("Credentials: %v, %v", creds, err)
	}
	_, b, err := m.Bundle(strings.TrimPrefix(creds[0].ID, "urn:uuid:"))
	if err != nil {
		t.Fatal(err)
	}
	host, err := credential.ReadKeyFile(filepath.Join(e.DataDir(), "host.key"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := credential.VerifyModel(ctx, b.Credential, credential.VerifyOptions{Issuer: e.HostDID(), Now: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	other := mustBBSKey(t)
	resigned := *b
	if resigned.Credential, err = res.Credential.SignWithBBS(host, other, bytes.Repeat([]byte{5}, 32)); err != nil {
		t.Fatal(err)
	}

	e2, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data2"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	m2 := open(t, e2)
	if err := m2.Trust(ctx, market.TrustedIssuer{DID: e.HostDID(), Name: "host one", Since: day0, BBSDID: e.HostBBSDID()}); err != nil {
		t.Fatal(err)
	}
	_, err = m2.Ingest(ctx, &resigned, market.IngestOptions{})
	var be *market.BundleError
	if !errors.Is(err, credential.ErrIssuerMismatch) || !errors.As(err, &be) || be.File != market.BundleCredential {
		t.Fatalf("another BLS key: got %v, want a BundleError on %s wrapping %v", err, market.BundleCredential, credential.ErrIssuerMismatch)
	}
	if !strings.Contains(err.Error(), other.DID()) || !strings.Contains(err.Error(), e.HostBBSDID()) {
		t.Errorf("the refusal does not name both keys: %v", err)
	}
	if _, err := m2.Ingest(ctx, b, market.IngestOptions{}); err != nil {
		t.Fatalf("the genuine bundle: %v", err)
	}
}
