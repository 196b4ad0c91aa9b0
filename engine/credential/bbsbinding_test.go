package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestVerifyCredentialBBS is VerifyCredential (the VC-API's verifier) on
// bbs-2023 proofs: a derived disclosure and a lone base proof verify only
// when CredentialOptions.BBSKeyOf binds their BBS key to the issuer.
func TestVerifyCredentialBBS(t *testing.T) {
	ctx := context.Background()
	issuer, bbsKey := vectorKey(t), w3cBBSKey(t)
	signed := signBBS(t)
	derived, err := Derive(signed, []string{"/credentialSubject/scoreAtLeast/6", "/credentialSubject/task/metric"}, []byte("challenge-1"))
	if err != nil {
		t.Fatal(err)
	}

	// The same credential, signed by another BBS key.
	otherBBS, err := GenerateBBSKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	otherSigned, err := bbsCredential().SignWithBBS(issuer, otherBBS, testHMACKey)
	if err != nil {
		t.Fatal(err)
	}
	otherDerived, err := Derive(otherSigned, nil, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A tampered revealed value: the disclosed metric renamed.
	var metric string
	var d map[string]any
	if err := json.Unmarshal(derived, &d); err != nil {
		t.Fatal(err)
	}
	metric, _ = d["credentialSubject"].(map[string]any)["task"].(map[string]any)["metric"].(string)
	if metric == "" {
		t.Fatalf("derived credential does not reveal the metric:\n%s", derived)
	}
	tampered := bytes.Replace(derived, []byte(`"metric": "`+metric+`"`), []byte(`"metric": "x`+metric+`"`), 1)
	if bytes.Equal(tampered, derived) {
		t.Fatal("tamper changed nothing")
	}

	// The base proof alone (the form Digital Bazaar signs): the proof set
	// with its eddsa proof removed.
	var s map[string]any
	if err := json.Unmarshal(signed, &s); err != nil {
		t.Fatal(err)
	}
	for _, p := range s["proof"].([]any) {
		if p.(map[string]any)["cryptosuite"] == BBSCryptosuite {
			s["proof"] = p
		}
	}
	baseOnly, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}

	bound := func(issuerDID string) (string, error) {
		if issuerDID == issuer.DID() {
			return bbsKey.DID(), nil
		}
		return "", nil
	}
	opts := func(revoked bool, keyOf func(string) (string, error)) CredentialOptions {
		o := derivedOpts(t, revoked)
		return CredentialOptions{Now: o.Now, StatusList: o.StatusList, BBSKeyOf: keyOf}
	}
	tests := []struct {
		name  string
		cred  []byte
		opts  CredentialOptions
		want  error
		suite string
	}{
		{"Derived", derived, opts(false, bound), nil, BBSCryptosuite},
		{"Base", baseOnly, opts(false, bound), nil, BBSCryptosuite},
		{"ProofSet", signed, opts(false, nil), nil, Cryptosuite},
		{"ErrBadSignature/tampered revealed value", tampered, opts(false, bound), ErrBadSignature, ""},
		{"ErrIssuerMismatch/wrong BBS key", otherDerived, opts(false, bound), ErrIssuerMismatch, ""},
		{"ErrBBSKeyUnknown/no binding", derived, opts(false, nil), ErrBBSKeyUnknown, ""},
		{"ErrBBSKeyUnknown/unknown issuer", derived, opts(false, func(string) (string, error) { return "", nil }), ErrBBSKeyUnknown, ""},
		{"ErrBBSKeyUnknown/lookup fails", derived, opts(false, func(string) (string, error) { return "", errors.New("registry unreadable") }), ErrBBSKeyUnknown, ""},
		{"ErrBBSKeyUnknown/base", baseOnly, opts(false, nil), ErrBBSKeyUnknown, ""},
		{"ErrRevoked/derived", derived, opts(true, bound), ErrRevoked, ""},
		{"ErrRevoked/base", baseOnly, opts(true, bound), ErrRevoked, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := VerifyCredential(ctx, tc.cred, tc.opts)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyCredential: %v", err)
			}
			if res.Issuer != issuer.DID() || res.Cryptosuite != tc.suite || len(res.Statuses) != 1 {
				t.Errorf("got issuer %s, suite %s, %d statuses; want %s, %s, 1", res.Issuer, res.Cryptosuite, len(res.Statuses), issuer.DID(), tc.suite)
			}
			if tc.suite == BBSCryptosuite && tc.name == "Derived" && bytes.Contains(res.Document, []byte(testAuthorID)) {
				t.Errorf("the verified document shows the hidden author: %s", res.Document)
			}
		})
	}
	t.Run("message", func(t *testing.T) {
		_, err := VerifyCredential(ctx, derived, opts(false, nil))
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("bbs key unknown for issuer")) || !bytes.Contains([]byte(err.Error()), []byte(issuer.DID())) {
			t.Errorf("got %v, want it to say bbs key unknown for issuer %s", err, issuer.DID())
		}
	})
}

// FuzzVerifyCredentialBBS: VerifyCredential on bbs-2023 proofs never
// panics, refuses with a *FieldError, and accepts only the seeds' claims.
func FuzzVerifyCredentialBBS(f *testing.F) {
	signed := signBBS(f)
	derived, err := Derive(signed, []string{"/credentialSubject/rank"}, []byte("n"))
	if err != nil {
		f.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(signed, &s); err != nil {
		f.Fatal(err)
	}
	s["proof"] = s["proof"].([]any)[1]
	base, err := json.Marshal(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(derived)
	f.Add(base)
	f.Add(signed)
	bbsDID := w3cBBSKey(f).DID()
	opts := CredentialOptions{Now: testIssued.Add(time.Hour), BBSKeyOf: func(string) (string, error) { return bbsDID, nil },
		StatusList: derivedOpts(f, false).StatusList}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 64<<10 {
			return
		}
		res, err := VerifyCredential(context.Background(), doc, opts)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) && !errors.Is(err, ErrStatus) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		for _, seed := range [][]byte{derived, base, signed} {
			if jsonEqual(t, withoutProof(t, doc), withoutProof(t, seed)) {
				return
			}
		}
		t.Fatalf("accepted claims other than the seeds': %s (%+v)", doc, res)
	})
}
