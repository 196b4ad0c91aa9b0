package client_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/issuer"
)

// TestVCAPI issues a credential through a server with the issuer on,
// verifies it, revokes it and verifies it again, all through the client.
func TestVCAPI(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	e, err := engine.Open(ctx, engine.Config{DataDir: data, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	token, err := httpapi.NewToken(data, "test")
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.Open(issuer.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.New(httpapi.Config{Engine: e, DataDir: data, Issuer: is})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); e.Close(ctx) })

	host, anon := newClient(t, clientConfig(srv.URL, token)), newClient(t, clientConfig(srv.URL, ""))
	cred, _ := json.Marshal(map[string]any{
		"@context":          []string{"https://www.w3.org/ns/credentials/v2"},
		"id":                "urn:uuid:8f14e45f-ceea-4e7a-9a2b-1c3d5e7f9a0b",
		"type":              []string{"VerifiableCredential"},
		"issuer":            is.DID(),
		"credentialSubject": map[string]any{"id": "did:example:bob", "likes": "tests"},
	})
	if _, err := anon.IssueCredential(ctx, cred, nil); kindOf(err) != "unauthorized" {
		t.Fatalf("anonymous issue: got %v, want unauthorized", err)
	}
	vc, err := host.IssueCredential(ctx, cred, &api.IssueOptions{CredentialStatus: &api.CredentialStatusOption{Type: "BitstringStatusListEntry"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := anon.VerifyCredential(ctx, vc)
	if err != nil || !res.Verified {
		t.Fatalf("verify: got %+v, %v; want verified", res, err)
	}
	if err := host.SetCredentialStatus(ctx, "urn:uuid:8f14e45f-ceea-4e7a-9a2b-1c3d5e7f9a0b", "revocation", true); err != nil {
		t.Fatal(err)
	}
	res, err = anon.VerifyCredential(ctx, vc)
	if err != nil || res.Verified || len(res.Errors) == 0 || res.Errors[0].Title != "revoked" {
		t.Fatalf("verify revoked: got %+v, %v; want not verified, revoked", res, err)
	}
}
