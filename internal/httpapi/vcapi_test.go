package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/issuer"
)

// vcEnv is a server with the VC-API issuer on (issue false: off).
func vcEnv(t *testing.T, issue bool) (*env, *issuer.Issuer) {
	t.Helper()
	data := t.TempDir()
	var is *issuer.Issuer
	cfg := httpapi.Config{}
	if issue {
		var err error
		// The issuer lives in its own dir here: newEnv makes the data dir.
		is, err = issuer.Open(issuer.Config{DataDir: data, BaseURL: engine.DefaultBaseURL})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Issuer = is
	}
	return newEnv(t, engine.Config{}, cfg), is
}

// someCredential is an unsigned credential of a type verdict does not
// know.
func someCredential(issuer string) map[string]any {
	return map[string]any{
		"@context": []any{credential.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
		"id":       "urn:uuid:0b7e8b8e-3d0f-4c55-9d7b-5f0f3c2a1e11",
		"type":     []any{"VerifiableCredential", "ExampleAlumniCredential"},
		"issuer":   map[string]any{"id": issuer, "name": "Example University"},
		"credentialSubject": map[string]any{
			"id":     "did:example:ebfeb1f712ebc6f1c276e12ec21",
			"alumni": "Example University",
		},
		"validFrom": "2026-01-01T00:00:00Z",
	}
}

func signAs(t *testing.T, k credential.KeyPair, c map[string]any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := credential.Sign(b, k, credential.ProofOptions{Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func verification(t *testing.T, r response) api.VerificationResult {
	t.Helper()
	var v api.VerificationResult
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("verification: %v\n%s", err, r.body)
	}
	return v
}

func TestVCAPIVerify(t *testing.T) {
	v, _ := vcEnv(t, false)
	k := participantKey(t, "someone-else")
	anon := v.anonymous()
	valid := signAs(t, k, someCredential(k.DID()))
	expired := someCredential(k.DID())
	expired["validUntil"] = "2026-02-01T00:00:00Z"
	badModel := someCredential(k.DID())
	badModel["credentialSchema"] = map[string]any{"id": "https://ex.org/schema.json"}
	elsewhere := someCredential(k.DID())
	elsewhere["credentialStatus"] = map[string]any{"id": "https://elsewhere.example/status/1#5", "type": credential.StatusEntryType,
		"statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://elsewhere.example/status/1"}

	ctxDigest := sha256.Sum256(credential.ContextDocument())
	related := func(digest []byte) json.RawMessage {
		c := someCredential(k.DID())
		c["relatedResource"] = []any{map[string]any{"id": credential.ContextURL,
			"digestMultibase": "u" + base64.RawURLEncoding.EncodeToString(digest)}}
		return signAs(t, k, c)
	}
	tests := []struct {
		name   string
		body   string
		status int
		title  string
		field  string
	}{
		{"RelatedResourceHeld", `{"verifiableCredential":` + string(related(ctxDigest[:])) + `}`, 200, "", ""},
		{"RelatedResourceHeldWrongDigest", `{"verifiableCredential":` + string(related(make([]byte, 32))) + `}`, 400, "data_model", "relatedResource[0].digestMultibase"},
		{"Valid", `{"verifiableCredential":` + string(valid) + `,"options":{"checks":["proof"]}}`, 200, "", ""},
		{"Tampered", `{"verifiableCredential":` + strings.Replace(string(valid), "Example University", "Other University", 1) + `}`, 422, "bad_signature", "proof.proofValue"},
		{"Expired", `{"verifiableCredential":` + string(signAs(t, k, expired)) + `}`, 422, "expired", "validUntil"},
		{"DataModel", `{"verifiableCredential":` + string(signAs(t, k, badModel)) + `}`, 400, "data_model", "credentialSchema.type"},
		{"StatusElsewhere", `{"verifiableCredential":` + string(signAs(t, k, elsewhere)) + `}`, 422, "status_offline", "credentialStatus.statusListCredential"},
		{"Unsigned", `{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"]}}`, 400, "no_proof", "proof"},
		{"NotJSON", `{"verifiableCredential":`, 400, "bad_request", ""},
		{"UnknownMember", `{"verifiableCredential":{},"extra":1}`, 400, "bad_request", ""},
		{"CredentialNotObject", `{"verifiableCredential":"x"}`, 400, "bad_request", ""},
		{"Empty", ``, 400, "bad_request", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.do("POST", "/credentials/verify", []byte(tc.body), "application/json")
			if r.status != tc.status {
				t.Fatalf("got %d, want %d: %s", r.status, tc.status, r.body)
			}
			res := verification(t, r)
			if res.Verified != (tc.status == 200) || (len(res.Errors) == 0) != (tc.status == 200) {
				t.Fatalf("got verified %v errors %v, want verified %v", res.Verified, res.Errors, tc.status == 200)
			}
			if tc.status != 200 && (res.Errors[0].Title != tc.title || res.Errors[0].Field != tc.field) {
				t.Errorf("got error %+v, want title %q field %q", res.Errors[0], tc.title, tc.field)
			}
		})
	}
	t.Run("TooLarge", func(t *testing.T) {
		big := `{"verifiableCredential":{"pad":"` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes) + `"}}`
		if r := anon.do("POST", "/credentials/verify", []byte(big), "application/json"); r.status != 413 {
			t.Errorf("got %d, want 413", r.status)
		}
	})
	t.Run("IssueOff", func(t *testing.T) {
		r := v.host().postJSON("POST", "/credentials/issue", map[string]any{"credential": someCredential(k.DID())})
		if r.status != 404 || r.kind() != "issuer_off" {
			t.Errorf("got %d %q, want 404 issuer_off", r.status, r.kind())
		}
	})
}

func TestVCAPIIssue(t *testing.T) {
	v, is := vcEnv(t, true)
	if is.DID() == v.e.HostDID() {
		t.Fatalf("issuer DID %s is the host's: want a key of its own", is.DID())
	}
	fi, err := os.Stat(issuer.KeyFile(is.DataDir()))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("issuer key: got %v, %v; want mode 0600", fi, err)
	}
	host, anon := v.host(), v.anonymous()
	alice := v.as(participantKey(t, "alice"))
	c := someCredential(is.DID())

	t.Run("Refusals", func(t *testing.T) {
		other := someCredential("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
		badType := someCredential(is.DID())
		badType["type"] = []any{"ExampleAlumniCredential"}
		withStatus := someCredential(is.DID())
		withStatus["credentialStatus"] = map[string]any{"id": "https://ex.org/s#1", "type": credential.StatusEntryType}
		tests := []struct {
			name   string
			c      *client
			body   any
			status int
			kind   string
		}{
			{"Anonymous", anon, map[string]any{"credential": c}, 401, "unauthorized"},
			{"Participant", alice, map[string]any{"credential": c}, 403, "forbidden"},
			{"OtherIssuer", host, map[string]any{"credential": other}, 422, "issuer_mismatch"},
			{"DataModel", host, map[string]any{"credential": badType}, 422, "data_model"},
			{"StatusInCredential", host, map[string]any{"credential": withStatus, "options": map[string]any{"credentialStatus": map[string]any{"type": credential.StatusEntryType}}}, 422, "malformed"},
			{"StatusType", host, map[string]any{"credential": c, "options": map[string]any{"credentialStatus": map[string]any{"type": "StatusList2021Entry"}}}, 400, "bad_request"},
			{"StatusPurpose", host, map[string]any{"credential": c, "options": map[string]any{"credentialStatus": map[string]any{"type": credential.StatusEntryType, "statusPurpose": "message"}}}, 400, "bad_request"},
			{"NoCredential", host, map[string]any{"options": map[string]any{}}, 400, "bad_request"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.c.postJSON("POST", "/credentials/issue", tc.body)
				if r.status != tc.status || r.kind() != tc.kind {
					t.Fatalf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
				}
			})
		}
		r := host.postJSON("POST", "/credentials/issue", map[string]any{"credential": badType})
		if !strings.Contains(string(r.body), "credential.type") && !strings.Contains(string(r.body), `type: does not include`) {
			t.Errorf("data model refusal does not name the field: %s", r.body)
		}
	})

	t.Run("IssueVerifyRevoke", func(t *testing.T) {
		r := host.postJSON("POST", "/credentials/issue", map[string]any{"credential": c,
			"options": map[string]any{"credentialStatus": map[string]any{"type": credential.StatusEntryType, "statusPurpose": "revocation"}}})
		if r.status != 201 {
			t.Fatalf("issue: got %d, want 201: %s", r.status, r.body)
		}
		var out api.IssueCredentialResponse
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatal(err)
		}
		var signed map[string]any
		if err := json.Unmarshal(out.VerifiableCredential, &signed); err != nil {
			t.Fatal(err)
		}
		// The caller's claims are signed unchanged.
		for key, want := range c {
			if got, _ := json.Marshal(signed[key]); string(got) != string(mustMarshal(t, want)) {
				t.Errorf("%s: got %s, want %s", key, got, mustMarshal(t, want))
			}
		}
		st, _ := signed["credentialStatus"].(map[string]any)
		if st["statusListCredential"] != is.ListURL("revocation") || st["statusPurpose"] != "revocation" {
			t.Fatalf("credentialStatus: got %v, want an entry on %s", st, is.ListURL("revocation"))
		}
		if r := anon.get("/issuer/status/revocation"); r.status != 200 || r.header.Get("Content-Type") != "application/vc" {
			t.Fatalf("status list: got %d %s", r.status, r.header.Get("Content-Type"))
		}
		req := anon.request("GET", "/issuer/status/revocation", nil, "")
		req.Header.Set("Accept", "application/ld+json, application/json")
		if r := anon.send(req); r.status != 200 || r.header.Get("Content-Type") != "application/ld+json" {
			t.Fatalf("status list for a JSON-LD loader: got %d %s, want application/ld+json", r.status, r.header.Get("Content-Type"))
		}
		verify := func() response {
			return anon.do("POST", "/credentials/verify", mustMarshal(t, map[string]any{"verifiableCredential": out.VerifiableCredential}), "application/json")
		}
		if r := verify(); r.status != 200 || !strings.Contains(string(r.body), `"status"`) {
			t.Fatalf("verify: got %d %s, want 200 with the status checked", r.status, r.body)
		}
		// Only the host changes a status.
		update := map[string]any{"credentialId": c["id"], "credentialStatus": []any{map[string]any{"type": credential.StatusEntryType, "statusPurpose": "revocation", "status": true}}}
		if r := alice.postJSON("POST", "/credentials/status", update); r.status != 403 {
			t.Fatalf("participant status update: got %d, want 403", r.status)
		}
		if r := host.postJSON("POST", "/credentials/status", update); r.status != 200 {
			t.Fatalf("status update: got %d %s, want 200", r.status, r.body)
		}
		if r := verify(); r.status != 422 || verification(t, r).Errors[0].Title != "revoked" {
			t.Fatalf("verify revoked: got %d %s, want 422 revoked", r.status, r.body)
		}
		// The same id twice would share a status bit: refused.
		r = host.postJSON("POST", "/credentials/issue", map[string]any{"credential": c,
			"options": map[string]any{"credentialStatus": map[string]any{"type": credential.StatusEntryType}}})
		if r.status != 422 {
			t.Errorf("same id again: got %d, want 422", r.status)
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		again, err := issuer.Open(issuer.Config{DataDir: is.DataDir(), BaseURL: engine.DefaultBaseURL})
		if err != nil {
			t.Fatal(err)
		}
		if again.DID() != is.DID() {
			t.Errorf("reopened DID %s, want %s", again.DID(), is.DID())
		}
		if i, ok := again.Index(c["id"].(string), "revocation"); !ok || i != 0 {
			t.Errorf("reopened index: got %d %v, want 0 true", i, ok)
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecodeVerifyRequest: the verify body decoder never panics, and what
// it accepts has a credential that is a JSON object.
func FuzzDecodeVerifyRequest(f *testing.F) {
	f.Add([]byte(`{"verifiableCredential":{"a":1},"options":{"checks":["proof"]}}`))
	f.Add([]byte(`{"verifiableCredential":{}}`))
	f.Add([]byte(`{"verifiableCredential":"x"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := httpapi.DecodeVerifyRequest(body)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(req.VerifiableCredential, &m) != nil {
			t.Fatalf("accepted %q whose verifiableCredential is not an object", body)
		}
	})
}

// FuzzDecodeIssueRequest: the issue body decoder never panics, and what it
// accepts has a credential object and a status option of the one type.
func FuzzDecodeIssueRequest(f *testing.F) {
	f.Add([]byte(`{"credential":{"a":1},"options":{"credentialStatus":{"type":"BitstringStatusListEntry","statusPurpose":"suspension"}}}`))
	f.Add([]byte(`{"credential":{},"options":null}`))
	f.Add([]byte(`{"credential":{},"options":{"credentialStatus":{"type":"x"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := httpapi.DecodeIssueRequest(body)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(req.Credential, &m) != nil {
			t.Fatalf("accepted %q whose credential is not an object", body)
		}
		if req.Options != nil && req.Options.CredentialStatus != nil && (req.Options.CredentialStatus.Type != credential.StatusEntryType || req.Options.CredentialStatus.StatusPurpose == "") {
			t.Fatalf("accepted %q with status option %+v", body, req.Options.CredentialStatus)
		}
	})
}
