package httpapi_test

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// TestTeamSharesAndAuthorPrice: over HTTP, each member of team ab signs
// the split they ask for and it is in force once both did; a model's
// author sets its price, a stranger may not; a metered call's receipt
// carries both, and the public statement shares the line as agreed and
// names who certified the model and whether it is trusted here.
func TestTeamSharesAndAuthorPrice(t *testing.T) {
	var skew atomic.Int64 // the engine's clock ahead of real time, in ns
	v := newEnv(t, engine.Config{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }}, httpapi.Config{})
	v.createTask("contest", "teams: {max_size: 3}\n")
	alice, bob := participantKey(t, "alice"), participantKey(t, "bob")
	id := v.as(alice).mustSubmit("contest", module(""))
	if waitScored(t, v.e, []string{id}) != 1 {
		t.Fatal("alice's model not scored")
	}
	if r := v.host().postJSON("POST", "/v1/tasks/contest/teams/ab/members", api.Join{Participants: []string{alice.DID(), bob.DID()}}); r.status != 200 {
		t.Fatalf("team: %d %s", r.status, r.body)
	}
	if r := v.host().do("POST", "/v1/tasks/contest/close", nil, ""); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	list := v.anonymous().get("/v1/market").json(t)["list"].([]any)
	model := list[0].(map[string]any)["id"].(string)

	path := "/v1/tasks/contest/teams/ab/shares"
	split := api.Shares{Shares: []api.Weight{{Party: alice.DID(), BasisPoints: 7000}, {Party: bob.DID(), BasisPoints: 3000}}}
	if r := v.as(alice).postJSON("POST", path, split); r.status != 200 || r.json(t)["agreed"] != nil {
		t.Fatalf("alice asks: %d %s; want 200, nothing in force", r.status, r.body)
	}
	if r := v.as(participantKey(t, "mallory")).postJSON("POST", path, split); r.status != 403 {
		t.Errorf("a stranger asks: got %d, want 403", r.status)
	}
	if r := v.anonymous().postJSON("POST", path, split); r.status != 401 {
		t.Errorf("anonymous asks: got %d, want 401", r.status)
	}
	if r := v.as(bob).postJSON("POST", path, api.Shares{Shares: split.Shares[:1]}); r.status != 400 {
		t.Errorf("a split missing a member: got %d, want 400", r.status)
	}
	if r := v.as(bob).postJSON("POST", path, split); r.status != 200 || r.json(t)["agreed_by"] != "members" {
		t.Fatalf("bob asks: %d %s; want the split in force", r.status, r.body)
	}
	var a market.ShareAgreement
	if r := v.anonymous().get(path); r.status != 200 || json.Unmarshal(r.body, &a) != nil || len(a.Agreed) != 2 {
		t.Fatalf("shares: %d %s", r.status, r.body)
	}

	price := "/v1/market/" + model + "/price"
	if r := v.as(participantKey(t, "mallory")).postJSON("POST", price, api.Price{PricePer1000: 1}); r.status != 403 {
		t.Errorf("a stranger prices: got %d, want 403", r.status)
	}
	if r := v.as(bob).postJSON("POST", price, api.Price{PricePer1000: 100}); r.status != 200 || r.json(t)["price_per_1000_rows"] != 100.0 {
		t.Fatalf("author prices: %d %s", r.status, r.body)
	}
	r := v.as(participantKey(t, "buyer")).do("POST", "/v1/market/"+model+"/predict", []byte(predictRows), "text/csv")
	if r.status != 200 {
		t.Fatalf("predict: %d %s", r.status, r.body)
	}
	if r := v.host().postJSON("POST", price, api.Price{PricePer1000: 5}); r.status != 200 || r.json(t)["price_per_1000_rows"] != 5.0 {
		t.Fatalf("host overrides: %d %s", r.status, r.body)
	}

	period := v.e.Now().UTC().Format("2006-01")
	stmt := v.anonymous().get("/v1/ledger/statement?period=" + period + "&author=ab")
	if stmt.status != 200 {
		t.Fatalf("statement: %d %s", stmt.status, stmt.body)
	}
	var ss market.SignedStatement
	if err := json.Unmarshal(stmt.body, &struct {
		*market.SignedStatement
		Proof json.RawMessage `json:"proof"`
	}{SignedStatement: &ss}); err != nil {
		t.Fatal(err)
	}
	l := ss.Lines[0]
	want := []ledger.Share{{Party: alice.DID(), MilliUnits: 210}, {Party: bob.DID(), MilliUnits: 90}}
	if alice.DID() > bob.DID() {
		want[0], want[1] = want[1], want[0]
	}
	if l.MilliUnits != 300 || len(l.Shares) != 2 || l.Shares[0] != want[0] || l.Shares[1] != want[1] {
		t.Errorf("line %+v, want 3 rows at 100 shared 70:30 %+v", l, want)
	}
	if l.CertifiedBy != v.e.HostDID() || !l.Trusted {
		t.Errorf("line certified by %q trusted %v, want this host, true", l.CertifiedBy, l.Trusted)
	}
	// A second identical request answers the cached statement, signed
	// when it was computed, not recomputed over the log.
	skew.Add(int64(2 * time.Second)) // a statement signed now would differ
	if again := v.anonymous().get("/v1/ledger/statement?period=" + period + "&author=ab"); string(again.body) != string(stmt.body) {
		t.Errorf("second identical statement request was computed again")
	}
}
