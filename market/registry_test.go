package market_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
)

// signRegistry signs r with k, as a host publishes it.
func signRegistry(t testing.TB, k credential.KeyPair, r market.Registry) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := credential.Sign(b, k, credential.ProofOptions{Created: r.Issued})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// FuzzParseRegistry: a published registry that parses is valid, and
// signing what was parsed again parses back to the same registry.
func FuzzParseRegistry(f *testing.F) {
	k := mustKey(f)
	lab := mustKey(f)
	issued := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	reg := market.Registry{Type: market.RegistryType, Version: market.RegistryVersion, Issuer: k.DID(), Issued: issued,
		Issuers: []market.TrustedIssuer{{DID: lab.DID(), Name: "Lab A", Since: issued.AddDate(-1, 0, 0), Tasks: []string{"contest"}}}}
	signed := signRegistry(f, k, reg)
	f.Add(signed)
	f.Add(bytes.Replace(signed, []byte("Lab A"), []byte("Lab B"), 1))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		r, err := market.ParseRegistry(b, "")
		if err != nil {
			return
		}
		for _, ti := range r.Issuers {
			if err := ti.Validate(); err != nil {
				t.Fatalf("parsed an invalid issuer: %v", err)
			}
		}
		if r.Issuer != k.DID() {
			return // signed by a key the fuzzer made up: cannot re-sign
		}
		again, err := market.ParseRegistry(signRegistry(t, k, *r), k.DID())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip: got %+v, %v; want %+v", again, err, r)
		}
	})
}

func TestParseRegistry(t *testing.T) {
	k, other := mustKey(t), mustKey(t)
	issued := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	good := market.Registry{Type: market.RegistryType, Version: market.RegistryVersion, Issuer: k.DID(), Issued: issued}
	tests := []struct {
		name string
		doc  []byte
		host string
		ok   bool
	}{
		{"valid", signRegistry(t, k, good), k.DID(), true},
		{"valid, any host", signRegistry(t, k, good), "", true},
		{"another host", signRegistry(t, k, good), other.DID(), false},
		{"wrong type", signRegistry(t, k, market.Registry{Type: "X", Version: 1, Issuer: k.DID(), Issued: issued}), "", false},
		{"issuer is not the signer", signRegistry(t, k, market.Registry{Type: market.RegistryType, Version: 1, Issuer: other.DID(), Issued: issued}), "", false},
		{"bad issuer entry", signRegistry(t, k, market.Registry{Type: market.RegistryType, Version: 1, Issuer: k.DID(), Issued: issued,
			Issuers: []market.TrustedIssuer{{DID: "did:web:x", Name: "X", Since: issued}}}), "", false},
		{"too large", make([]byte, market.MaxRegistrySize+1), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := market.ParseRegistry(tc.doc, tc.host)
			if (err == nil) != tc.ok {
				t.Errorf("got %v, want ok %v", err, tc.ok)
			}
		})
	}
}
