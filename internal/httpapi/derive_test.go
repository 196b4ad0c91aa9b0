package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/verdictlab/verdict/engine/credential"
)

// testDerive is TestRoles' check of POST /v1/credentials/{id}/derive on a
// promoted credential: its author (of alice and bob) and the host may
// derive, the other participant and a visitor may not, and the derived
// credential verifies against the host's BBS key and status list. It
// returns a derived credential for checkDerivedRevoked.
func testDerive(t *testing.T, v *env, id string, alice, bob, host, anon *client) []byte {
	t.Helper()
	cred := anon.get("/v1/credentials/" + id).json(t)
	// The author is alice, bob, or a team one of them is in.
	author, other := alice, bob
	if cred["author"] == bob.key.DID() || isMember(t, anon, cred, bob.key.DID()) {
		author, other = bob, alice
	}
	if cred["author"] != author.key.DID() && !isMember(t, anon, cred, author.key.DID()) {
		t.Fatalf("credential %s is by %v, neither alice nor bob nor their team", id, cred["author"])
	}
	path := "/v1/credentials/" + id + "/derive"
	reveal := map[string]any{"reveal": []string{"/credentialSubject/rankAtMost/0", "/credentialSubject/task/metric"}, "nonce": "verifier-7"}
	var derived []byte
	for _, tc := range []struct {
		name   string
		c      *client
		body   any
		status int
		kind   string
	}{
		{"Author", author, reveal, 200, ""},
		{"Host", host, reveal, 200, ""},
		{"OtherParticipant", other, reveal, 403, "forbidden"},
		{"Anonymous", anon, reveal, 401, "unauthorized"},
		{"BadPointer", author, map[string]any{"reveal": []string{"/credentialSubject/nothing"}}, 400, "bad_request"},
		{"UnknownField", author, map[string]any{"pointers": []string{}}, 400, "bad_request"},
	} {
		t.Run("Derive"+tc.name, func(t *testing.T) {
			r := tc.c.postJSON("POST", path, tc.body)
			if r.status != tc.status || (tc.kind != "" && r.kind() != tc.kind) {
				t.Fatalf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
			}
			if r.status == 200 {
				derived = r.body
			}
		})
	}
	if derived == nil {
		t.Fatal("no derived credential")
	}
	res, err := credential.VerifyDerived(context.Background(), derived, derivedOpts(t, v, host))
	if err != nil {
		t.Fatalf("VerifyDerived: %v\n%s", err, derived)
	}
	if !res.StatusChecked || string(res.Nonce) != "verifier-7" || res.ID != id {
		t.Errorf("got %+v, want the credential's id, its status checked, nonce verifier-7", res)
	}
	if _, ok := res.Subject["author"]; ok {
		t.Errorf("derived credential reveals the author: %v", res.Subject)
	}
	if got, _ := json.Marshal(res.Subject["rankAtMost"]); string(got) != "[1]" && string(got) != "[3]" {
		t.Errorf("rankAtMost: got %s", got)
	}
	// The VC-API verifies it against the host's pair (issuer DID, BBS DID).
	if status, title := verifyAtVCAPI(t, anon, derived); status != 200 {
		t.Errorf("POST /credentials/verify, derived: got %d %q, want 200", status, title)
	}
	return derived
}

// derivedOpts verifies against the server's host (/v1/host) and its
// status list (/status/1).
func derivedOpts(t *testing.T, v *env, host *client) credential.DerivedOptions {
	t.Helper()
	h := host.get("/v1/host").json(t)
	if h["bbs_did"] != v.e.HostBBSDID() {
		t.Errorf("/v1/host bbs_did: got %v, want %s", h["bbs_did"], v.e.HostBBSDID())
	}
	return credential.DerivedOptions{
		Issuer: v.e.HostDID(), BBSKey: v.e.HostBBSDID(),
		StatusList: func(context.Context, string) ([]byte, error) { return host.get("/status/1").body, nil },
	}
}

// checkDerivedRevoked: once the credential is revoked, its derived
// credential fails on the status list too (credentialStatus is mandatory).
func checkDerivedRevoked(t *testing.T, v *env, host *client, derived []byte) {
	t.Helper()
	if _, err := credential.VerifyDerived(context.Background(), derived, derivedOpts(t, v, host)); !errors.Is(err, credential.ErrRevoked) {
		t.Errorf("derived credential of a revoked credential: got %v, want %v", err, credential.ErrRevoked)
	}
	if status, title := verifyAtVCAPI(t, v.anonymous(), derived); status != 422 || title != "revoked" {
		t.Errorf("POST /credentials/verify, derived of a revoked credential: got %d %q, want 422 revoked", status, title)
	}
}

// isMember reports whether did is in the team that authored cred.
func isMember(t *testing.T, anon *client, cred map[string]any, did string) bool {
	t.Helper()
	for _, tm := range anon.get("/v1/tasks/" + cred["task"].(string) + "/teams").json(t)["list"].([]any) {
		tm := tm.(map[string]any)
		if tm["name"] != cred["author"] {
			continue
		}
		for _, m := range tm["members"].([]any) {
			if m == did {
				return true
			}
		}
	}
	return false
}
