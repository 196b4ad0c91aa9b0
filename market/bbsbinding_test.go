package market_test

import (
	"context"
	"crypto/rand"
	"testing"

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
