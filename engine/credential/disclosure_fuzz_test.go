package credential

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzVerifyDerived: a derived credential is untrusted input. Whatever
// the bytes, VerifyDerived must not panic, must fail with a *FieldError
// (or a status error) naming a sentinel, and may accept only a document
// whose proof verifies: the seed itself, or one JSON-equal to it.
func FuzzVerifyDerived(f *testing.F) {
	signed := signBBS(f)
	derived, err := Derive(signed, []string{"/credentialSubject/scoreAtLeast/0", "/credentialSubject/rank"}, []byte("n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(derived)
	f.Add(signed)
	f.Add([]byte(`{"proof":{"type":"DataIntegrityProof","cryptosuite":"bbs-2023","proofPurpose":"assertionMethod","verificationMethod":"` + w3cBBSDID + `","proofValue":"u2V0D"}}`))
	f.Add([]byte(`{"proof":[]}`))
	opts := DerivedOptions{BBSKey: w3cBBSDID, Now: testIssued.Add(time.Hour)}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 64<<10 {
			return
		}
		res, err := VerifyDerived(context.Background(), doc, opts)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) && !errors.Is(err, ErrStatus) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		// Fuzzing workers derive their own seed (a fresh proof), so the
		// claims are compared, not the proof value.
		if !jsonEqual(t, withoutProof(t, doc), withoutProof(t, derived)) {
			t.Fatalf("accepted claims other than the seed's: %s (%+v)", doc, res)
		}
	})
}

// FuzzKinds: Kinds reads the proof of any document without panicking.
func FuzzKinds(f *testing.F) {
	f.Add(signBBS(f))
	f.Add([]byte(`{"proof":{"cryptosuite":"bbs-2023","proofValue":"u2V0D"}}`))
	f.Add([]byte(`{"proof":[1,2]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		kinds, err := Kinds(doc)
		if err == nil && len(kinds) == 0 {
			var fe *FieldError
			if errors.As(err, &fe) {
				t.Fatal("unreachable")
			}
		}
	})
}

func withoutProof(t *testing.T, doc []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "proof")
	b, _ := json.Marshal(m)
	return b
}
