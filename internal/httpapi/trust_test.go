package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

// TestTrustOverHTTP manages the registry of trusted issuers through the
// API: public to read (plain and signed), host only to change, every
// change in the trust log with who and why; trusting and untrusting an
// issuer flags its listed models at once.
func TestTrustOverHTTP(t *testing.T) {
	f, srv, token := marketServer(t)
	g := markettest.Open(t, engine.Config{CacheDir: cacheDir})
	_, b, err := g.Market.Bundle(g.IDs[markettest.Linear])
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := f.Market.Ingest(context.Background(), b, market.IngestOptions{AllowUntrusted: true})
	if err != nil {
		t.Fatal(err)
	}
	other := g.Engine.HostDID()
	host := &client{t: t, base: srv.URL, token: token}
	anon := &client{t: t, base: srv.URL}
	trusted := func() bool {
		t.Helper()
		r := anon.get("/v1/market/" + foreign.ID)
		var me market.Entry
		if err := json.Unmarshal(r.body, &me); err != nil || r.status != http.StatusOK {
			t.Fatalf("GET entry: %d %s", r.status, r.body)
		}
		return me.Trusted
	}
	registry := func() *market.Registry {
		t.Helper()
		var reg market.Registry
		r := anon.get("/v1/market/trust")
		if err := json.Unmarshal(r.body, &reg); err != nil || r.status != http.StatusOK {
			t.Fatalf("GET trust: %d %s", r.status, r.body)
		}
		return &reg
	}
	if reg := registry(); reg.Issuer != f.Engine.HostDID() || len(reg.Issuers) != 0 || trusted() {
		t.Fatalf("before: got %+v, trusted %v; want an empty registry of this host, the foreign model untrusted", reg, trusted())
	}

	add := market.TrustRequest{Issuer: market.TrustedIssuer{DID: other, Name: "Lab B"}, Reason: "audited their lab"}
	refusals := []struct {
		name   string
		c      *client
		body   any
		status int
	}{
		{"anonymous", anon, add, http.StatusUnauthorized},
		{"a participant", &client{t: t, base: srv.URL, key: new(participantKey(t, "eve"))}, add, http.StatusForbidden},
		{"not a did:key", host, market.TrustRequest{Issuer: market.TrustedIssuer{DID: "did:web:example.com", Name: "X"}}, http.StatusBadRequest},
		{"reason too long", host, market.TrustRequest{Issuer: add.Issuer, Reason: strings.Repeat("x", 1001)}, http.StatusBadRequest},
		{"unknown member", host, map[string]any{"issuer": add.Issuer, "why": "x"}, http.StatusBadRequest},
	}
	for _, tc := range refusals {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			if r := tc.c.postJSON("POST", "/v1/market/trust", tc.body); r.status != tc.status {
				t.Errorf("got %d %s, want %d", r.status, r.body, tc.status)
			}
		})
	}

	if r := host.postJSON("POST", "/v1/market/trust", add); r.status != http.StatusOK {
		t.Fatalf("POST trust: %d %s", r.status, r.body)
	}
	if reg := registry(); len(reg.Issuers) != 1 || reg.Issuers[0].Name != "Lab B" || reg.Issuers[0].Since.IsZero() || !trusted() {
		t.Errorf("after trust: got %+v, trusted %v; want Lab B since now, the foreign model trusted", reg, trusted())
	}

	// The signed registry verifies, names this host, and any change of a
	// byte breaks it.
	r := anon.get("/v1/market/issuers")
	reg, err := market.ParseRegistry(r.body, f.Engine.HostDID())
	if err != nil || len(reg.Issuers) != 1 || reg.Issuers[0].DID != other {
		t.Fatalf("signed registry: got %+v, %v", reg, err)
	}
	tampered := strings.Replace(string(r.body), "Lab B", "Lab C", 1)
	if _, err := market.ParseRegistry([]byte(tampered), ""); err == nil {
		t.Error("tampered registry: verified, want an error")
	}
	if _, err := market.ParseRegistry(r.body, other); err == nil {
		t.Error("registry of another host: verified, want an issuer mismatch")
	}

	if r := anon.do("DELETE", "/v1/market/trust/"+url.PathEscape(other), nil, ""); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous DELETE: got %d, want 401", r.status)
	}
	if r := host.do("DELETE", "/v1/market/trust/"+url.PathEscape(other)+"?reason=lab+closed", nil, ""); r.status != http.StatusOK {
		t.Fatalf("DELETE trust: %d %s", r.status, r.body)
	}
	if trusted() {
		t.Error("after untrust: the foreign model is still trusted")
	}
	if r := host.do("DELETE", "/v1/market/trust/"+url.PathEscape(other), nil, ""); r.status != http.StatusNotFound {
		t.Errorf("DELETE again: got %d, want 404", r.status)
	}

	if r := anon.get("/v1/market/trust/log"); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous trust log: got %d, want 401", r.status)
	}
	var log []market.TrustChange
	r = host.get("/v1/market/trust/log")
	if err := json.Unmarshal(r.body, &log); err != nil || len(log) != 2 {
		t.Fatalf("trust log: got %s, %v; want 2 changes", r.body, err)
	}
	for i, want := range []struct{ action, reason string }{{market.TrustAdd, "audited their lab"}, {market.TrustRemove, "lab closed"}} {
		if c := log[i]; c.Action != want.action || c.Reason != want.reason || !strings.HasPrefix(c.Actor, "host via HTTP from ") || c.Issuer.DID != other {
			t.Errorf("trust log %d: got %+v, want %s by the host via HTTP: %q", i, c, want.action, want.reason)
		}
	}
}
