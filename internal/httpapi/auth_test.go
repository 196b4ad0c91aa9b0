package httpapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
)

// fakeClock is the server's injected clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// signedAt is a GET of path signed by k at created with nonce.
func (v *env) signedAt(k credential.KeyPair, path string, created time.Time, nonce string) *http.Request {
	v.t.Helper()
	req, err := http.NewRequest("GET", v.srv.URL+path, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	if err := credential.SignRequest(req, nil, k, created, nonce); err != nil {
		v.t.Fatal(err)
	}
	return req
}

// TestReplayWindow drives the replay cache with the server's clock: a
// nonce is refused as a replay for as long as its signature is within the
// window (created + window, whatever the server's clock said when it was
// first seen), refused as stale after, and then forgotten.
func TestReplayWindow(t *testing.T) {
	const window = time.Minute
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	v := newEnv(t, engine.Config{}, httpapi.Config{SignatureWindow: window, Now: clock.Now})
	alice := participantKey(t, "alice")
	c := v.anonymous()
	tests := []struct {
		name    string
		now     time.Time
		created time.Time
		nonce   string
		status  int
		kind    string
	}{
		{"First", t0, t0, "a", 200, ""},
		{"ReplayAtOnce", t0, t0, "a", 401, "replayed"},
		{"ReplayAtWindowEnd", t0.Add(window), t0, "a", 401, "replayed"},
		{"ReplayAfterWindow", t0.Add(window + time.Second), t0, "a", 401, "unauthorized"},
		// Signed by a clock a window ahead: remembered a window longer.
		{"Ahead", t0, t0.Add(window), "b", 200, ""},
		{"AheadReplayAtTwoWindows", t0.Add(2 * window), t0.Add(window), "b", 401, "replayed"},
		{"AheadReplayAfter", t0.Add(2*window + time.Second), t0.Add(window), "b", 401, "unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Set(tc.now)
			r := c.send(v.signedAt(alice, "/v1/tasks", tc.created, tc.nonce))
			if r.status != tc.status || r.kind() != tc.kind {
				t.Errorf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
			}
		})
	}
	// Both nonces are past their window: the next request forgets them.
	now := t0.Add(2*window + time.Second)
	if r := c.send(v.signedAt(alice, "/v1/tasks", now, "c")); r.status != 200 {
		t.Fatalf("fresh nonce: got %d: %s", r.status, r.body)
	}
	if got := httpapi.ReplayCacheLen(v.api); got != 1 {
		t.Errorf("replay cache holds %d nonces after the others' windows ended, want 1", got)
	}
}

// TestReplayCacheFull fills the replay cache with nonces still within their
// window: a new nonce is refused (503, never by forgetting one that could
// still be replayed), the remembered ones stay refused, and once their
// window ends there is room again.
func TestReplayCacheFull(t *testing.T) {
	const window = time.Minute
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	v := newEnv(t, engine.Config{}, httpapi.Config{SignatureWindow: window, Now: clock.Now})
	httpapi.SetReplayCacheSize(v.api, 3)
	alice := participantKey(t, "alice")
	c := v.anonymous()
	for _, n := range []string{"n1", "n2", "n3"} {
		if r := c.send(v.signedAt(alice, "/v1/tasks", t0, n)); r.status != 200 {
			t.Fatalf("nonce %s: got %d: %s", n, r.status, r.body)
		}
	}
	clock.Set(t0.Add(window))
	r := c.send(v.signedAt(alice, "/v1/tasks", t0.Add(window), "n4"))
	if r.status != 503 || r.kind() != "busy" || r.header.Get("Retry-After") == "" {
		t.Errorf("a nonce beyond a full cache: got %d %q (Retry-After %q), want 503 busy with Retry-After: %s",
			r.status, r.kind(), r.header.Get("Retry-After"), r.body)
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		if r := c.send(v.signedAt(alice, "/v1/tasks", t0, n)); r.status != 401 || r.kind() != "replayed" {
			t.Errorf("replay of %s in a full cache: got %d %q, want 401 replayed", n, r.status, r.kind())
		}
	}
	clock.Set(t0.Add(window + time.Second))
	if r := c.send(v.signedAt(alice, "/v1/tasks", t0.Add(window+time.Second), "n5")); r.status != 200 {
		t.Errorf("a nonce after the full cache's windows ended: got %d %q, want 200: %s", r.status, r.kind(), r.body)
	}
}

// TestAnonymousBudget exhausts the anonymous budget of one client address
// with unsigned uploads; a participant signing from the same address is
// still served, since signed requests are limited by who signs them.
func TestAnonymousBudget(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{IPUploadRate: 0.001, IPUploadBurst: 3, AnonymousRate: 0.001, AnonymousBurst: 3})
	v.createTask("budget", "")
	anon := v.anonymous()
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		r := anon.submit("budget", module("anon"), "")
		switch {
		case r.status == 429 && r.kind() == "rate_limited":
			limited = true
		case r.status != 401:
			t.Fatalf("anonymous upload %d: got %d %q, want 401 or 429", i, r.status, r.kind())
		}
	}
	if !limited {
		t.Fatal("20 anonymous uploads from one address: none refused 429, want the anonymous budget spent")
	}
	alice := v.as(participantKey(t, "alice"))
	if r := alice.submit("budget", module("alice"), ""); r.status != 202 {
		t.Errorf("a signed upload from the same address: got %d %q, want 202: %s", r.status, r.kind(), r.body)
	}
}
