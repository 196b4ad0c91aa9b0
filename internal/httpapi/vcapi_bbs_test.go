package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/market"
)

// foreignModelCredential is a model credential issued by another host,
// k with the BBS key bbsKey, as that host's engine would sign it (no
// status: its list is on the other host).
func foreignModelCredential(t *testing.T, k credential.KeyPair, bbsKey credential.BBSKey, now time.Time) []byte {
	t.Helper()
	id, err := credential.NewID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	private := credential.Score{Value: 0.93, CI: [2]float64{0.91, 0.95}, Level: 0.95}
	c := credential.ModelCredential{
		ID:         id,
		ValidFrom:  now.Add(-time.Hour),
		ValidUntil: now.AddDate(1, 0, 0),
		Subject: credential.ModelSubject{
			Model:  sha256.Sum256([]byte("a model")),
			Author: participantKey(t, "hidden-author").DID(),
			Task: credential.Task{ID: "churn", Title: "Churn", Type: "binary", Metric: "roc_auc",
				DatasetHash: "sha256:5b1e8f3c2a7d4e9b0c6f1a8d3e5b7c9a2f4d6e8b0a1c3e5f7d9b2a4c6e8f0a1b"},
			Scores:             credential.Scores{Public: credential.Score{Value: 0.94, CI: [2]float64{0.92, 0.96}, Level: 0.95}, Private: &private},
			Rank:               1,
			RankedParticipants: 3,
			Gates:              []credential.Gate{{Name: "min_score", Passed: true, Value: 0.94, Threshold: 0.8}},
			EngineVersion:      "v0.3.0",
		},
	}
	c.Subject.Thresholds = credential.NewThresholds(private.Value, true, c.Subject.Rank)
	signed, err := c.SignWithBBS(k, bbsKey, bytes.Repeat([]byte{0x33}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func bbsKeyFor(t *testing.T, seed byte) credential.BBSKey {
	t.Helper()
	k, err := credential.GenerateBBSKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestVCAPIVerifyBBS is POST /credentials/verify on bbs-2023 proofs by
// another host's keys: they verify only when the marketplace's registry
// binds the BBS key to the issuer (market.TrustedIssuer.BBSDID). The
// host's own pair is TestRoles' (testDerive, checkDerivedRevoked).
func TestVCAPIVerifyBBS(t *testing.T) {
	v, _ := vcEnv(t, false)
	anon := v.anonymous()
	mk := httpapi.MarketOf(v.api)
	ctx := context.Background()

	bound, unbound, wrong := participantKey(t, "bbs-bound"), participantKey(t, "bbs-unbound"), participantKey(t, "bbs-wrong")
	bbsKey, otherBBS := bbsKeyFor(t, 1), bbsKeyFor(t, 2)
	for _, ti := range []market.TrustedIssuer{
		{DID: bound.DID(), Name: "bound", BBSDID: bbsKey.DID()},
		{DID: unbound.DID(), Name: "no BBS key"},
		{DID: wrong.DID(), Name: "another BBS key", BBSDID: otherBBS.DID()},
	} {
		ti.Since = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := mk.Trust(ctx, ti); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	derive := func(signed []byte) []byte {
		d, err := credential.Derive(signed, []string{"/credentialSubject/scoreAtLeast/0"}, []byte("n-1"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	derived := derive(foreignModelCredential(t, bound, bbsKey, now))
	if bytes.Contains(derived, []byte(participantKey(t, "hidden-author").DID())) {
		t.Fatal("the derived credential shows its author")
	}
	tampered := bytes.Replace(derived, []byte(`"title": "Churn"`), []byte(`"title": "Fraud"`), 1)
	if bytes.Equal(tampered, derived) {
		t.Fatal("tamper changed nothing")
	}
	var base map[string]any
	if err := json.Unmarshal(foreignModelCredential(t, bound, bbsKey, now), &base); err != nil {
		t.Fatal(err)
	}
	base["proof"] = base["proof"].([]any)[1] // the bbs-2023 base proof alone

	tests := []struct {
		name   string
		cred   any
		status int
		title  string
		detail string
	}{
		{"Derived", json.RawMessage(derived), 200, "", ""},
		{"Base", base, 200, "", ""},
		{"TamperedRevealedValue", json.RawMessage(tampered), 422, "bad_signature", ""},
		{"WrongBBSKey", json.RawMessage(derive(foreignModelCredential(t, wrong, bbsKey, now))), 422, "issuer_mismatch", otherBBS.DID()},
		{"IssuerWithoutBBSKey", json.RawMessage(derive(foreignModelCredential(t, unbound, bbsKey, now))), 422, "bbs_key_unknown", "bbs key unknown for issuer"},
		{"UnknownIssuer", json.RawMessage(derive(foreignModelCredential(t, participantKey(t, "stranger"), bbsKey, now))), 422, "bbs_key_unknown", "bbs key unknown for issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.postJSON("POST", "/credentials/verify", map[string]any{"verifiableCredential": tc.cred})
			if r.status != tc.status {
				t.Fatalf("got %d, want %d: %s", r.status, tc.status, r.body)
			}
			res := verification(t, r)
			if res.Verified != (tc.status == 200) {
				t.Fatalf("got verified %v, want %v: %s", res.Verified, tc.status == 200, r.body)
			}
			if tc.status != 200 && (res.Errors[0].Title != tc.title || !strings.Contains(res.Errors[0].Detail, tc.detail)) {
				t.Errorf("got error %+v, want title %q, detail with %q", res.Errors[0], tc.title, tc.detail)
			}
		})
	}
}

// verifyAtVCAPI posts cred to POST /credentials/verify and returns the
// status and the first error's title ("" when it verified).
func verifyAtVCAPI(t *testing.T, c *client, cred []byte) (int, string) {
	t.Helper()
	r := c.postJSON("POST", "/credentials/verify", map[string]any{"verifiableCredential": json.RawMessage(cred)})
	res := verification(t, r)
	if len(res.Errors) > 0 {
		return r.status, res.Errors[0].Title
	}
	return r.status, ""
}
