package credential

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	subNow    = time.Date(2026, 11, 25, 9, 50, 0, 0, time.UTC)
	subModule = sha256Hex("model bytes")
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func seededKey(t testing.TB, b byte) KeyPair {
	t.Helper()
	k, err := NewKeyPair(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func subCheck() SubmissionCheck {
	return SubmissionCheck{Task: "iris", ModuleSHA256: subModule, Now: subNow}
}

func TestSignSubmissionRoundTrip(t *testing.T) {
	k := seededKey(t, 1)
	signed, err := SignSubmission(k, "iris", subModule, subNow)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifySubmission(signed.Raw, subCheck())
	if err != nil {
		t.Fatalf("VerifySubmission: %v", err)
	}
	if got.Signer != k.DID() {
		t.Errorf("signer: got %s, want %s", got.Signer, k.DID())
	}
	if got.Task != "iris" || got.ModuleSHA256 != subModule || !got.Time.Equal(subNow) {
		t.Errorf("statement: got %+v", got.SubmissionStatement)
	}
	if got.Signature != signed.Signature {
		t.Errorf("signature: got %s, want %s", got.Signature, signed.Signature)
	}
	// The golden wire form: signing is deterministic.
	golden := filepath.Join("testdata", "submission", "signed.json")
	if *update {
		if err := os.WriteFile(golden, append(bytes.Clone(signed.Raw), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(bytes.Clone(signed.Raw), '\n'), want) {
		t.Errorf("wire form:\ngot  %s\nwant %s", signed.Raw, want)
	}
}

func TestVerifySubmission(t *testing.T) {
	alice, bob := seededKey(t, 1), seededKey(t, 2)
	sign := func(k KeyPair, task, module string, at time.Time) []byte {
		s, err := SignSubmission(k, task, module, at)
		if err != nil {
			t.Fatal(err)
		}
		return s.Raw
	}
	valid := sign(alice, "iris", subModule, subNow)
	// bob's signature of the statement, presented as alice's.
	byBob := strings.Replace(string(sign(bob, "iris", subModule, subNow)), bob.DID(), alice.DID(), 1)
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"valid", valid, nil},
		{"edge of the window, past", sign(alice, "iris", subModule, subNow.Add(-DefaultSubmissionWindow)), nil},
		{"edge of the window, future", sign(alice, "iris", subModule, subNow.Add(DefaultSubmissionWindow)), nil},
		{"ErrBadSignature/forged", []byte(strings.Replace(string(valid), `"iris"`, `"wine"`, 1)), ErrBadSignature},
		{"ErrBadSignature/other key", []byte(byBob), ErrBadSignature},
		{"ErrWrongTask", sign(alice, "wine", subModule, subNow), ErrWrongTask},
		{"ErrWrongModule", sign(alice, "iris", sha256Hex("other"), subNow), ErrWrongModule},
		{"ErrStaleSubmission/expired", sign(alice, "iris", subModule, subNow.Add(-DefaultSubmissionWindow-time.Second)), ErrStaleSubmission},
		{"ErrStaleSubmission/future", sign(alice, "iris", subModule, subNow.Add(DefaultSubmissionWindow+time.Second)), ErrStaleSubmission},
		{"ErrMalformed/not JSON", []byte("signed"), ErrMalformed},
		{"ErrMalformed/array", []byte("[]"), ErrMalformed},
		{"ErrMalformed/unknown member", []byte(strings.Replace(string(valid), `{`, `{"nonce":"1",`, 1)), ErrMalformed},
		{"ErrMalformed/duplicate member", []byte(strings.Replace(string(valid), `{`, `{"task":"iris",`, 1)), ErrMalformed},
		{"ErrMalformed/version", []byte(strings.Replace(string(valid), `"v":1`, `"v":2`, 1)), ErrMalformed},
		{"ErrMalformed/no signature", []byte(strings.Replace(string(valid), `"signature"`, `"signatur"`, 1)), ErrMalformed},
		{"ErrMalformed/signature not multibase", []byte(strings.Replace(string(valid), `"signature":"z`, `"signature":"u`, 1)), ErrMalformed},
		{"ErrMalformed/time", []byte(strings.Replace(string(valid), `2026-11-25T09:50:00Z`, `yesterday`, 1)), ErrMalformed},
		{"ErrMalformed/too large", append(bytes.Repeat([]byte(" "), MaxSubmissionSize), valid...), ErrMalformed},
		{"ErrInvalidDID", []byte(strings.Replace(string(valid), alice.DID(), "did:web:example.com", 1)), ErrInvalidDID},
		{"ErrInvalidDID/verification method", []byte(strings.Replace(string(valid), alice.DID(), alice.VerificationMethod(), 1)), ErrInvalidDID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifySubmission(tc.raw, subCheck())
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && got.Signer != alice.DID() {
				t.Errorf("signer: got %s, want %s", got.Signer, alice.DID())
			}
			var fe *FieldError
			if err != nil && !errors.As(err, &fe) {
				t.Errorf("got %T, want *FieldError", err)
			}
		})
	}
}

func TestSignSubmissionErrors(t *testing.T) {
	tests := []struct {
		name   string
		k      KeyPair
		task   string
		module string
		want   error
	}{
		{"ErrInvalidKey", KeyPair{}, "iris", subModule, ErrInvalidKey},
		{"ErrMalformed/task", seededKey(t, 1), "", subModule, ErrMalformed},
		{"ErrMalformed/module", seededKey(t, 1), "iris", "ABC", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SignSubmission(tc.k, tc.task, tc.module, subNow); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzVerifySubmission feeds arbitrary bytes and mutations of a valid
// signed submission: VerifySubmission must not panic, and whatever it
// accepts must be the statement that was signed.
func FuzzVerifySubmission(f *testing.F) {
	k := seededKey(f, 1)
	signed, err := SignSubmission(k, "iris", subModule, subNow)
	if err != nil {
		f.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "submission", "signed.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed.Raw)
	f.Add(golden)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"v":1,"task":"iris","module_sha256":"","time":"","signer":"","signature":"z"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 2*MaxSubmissionSize {
			return
		}
		got, err := VerifySubmission(raw, subCheck())
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T (%v), want *FieldError", err, err)
			}
			return
		}
		if got.Signer != k.DID() || got.Task != "iris" || got.ModuleSHA256 != subModule ||
			!got.Time.Equal(signed.Time) || got.Signature != signed.Signature {
			t.Fatalf("accepted a statement that was never signed: %s", raw)
		}
	})
}
