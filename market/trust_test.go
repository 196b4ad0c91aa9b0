package market_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

func TestTrustedIssuerValidate(t *testing.T) {
	did := mustKey(t).DID()
	since := day0
	ok := market.TrustedIssuer{DID: did, Name: "Lab A", Since: since}
	tests := []struct {
		name string
		edit func(*market.TrustedIssuer)
		want string // "" for valid
	}{
		{"valid", func(*market.TrustedIssuer) {}, ""},
		{"valid/scoped", func(ti *market.TrustedIssuer) { ti.Tasks, ti.Until = []string{"contest"}, since.Add(time.Hour) }, ""},
		{"ErrBadRequest/not did:key", func(ti *market.TrustedIssuer) { ti.DID = "did:web:example.com" }, "not a did:key"},
		{"ErrBadRequest/no name", func(ti *market.TrustedIssuer) { ti.Name = "" }, "name"},
		{"ErrBadRequest/long name", func(ti *market.TrustedIssuer) { ti.Name = strings.Repeat("x", market.MaxIssuerName+1) }, "name"},
		{"ErrBadRequest/control character", func(ti *market.TrustedIssuer) { ti.Name = "Lab\x00A" }, "not printable"},
		{"ErrBadRequest/no since", func(ti *market.TrustedIssuer) { ti.Since = time.Time{} }, "since"},
		{"ErrBadRequest/until before since", func(ti *market.TrustedIssuer) { ti.Until = since }, "until"},
		{"ErrBadRequest/empty task", func(ti *market.TrustedIssuer) { ti.Tasks = []string{""} }, "scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ti := ok
			tc.edit(&ti)
			err := ti.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tc.want != "" && (!errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want ErrBadRequest naming %q", err, tc.want)
			}
		})
	}
}

func TestTrustedIssuerCovers(t *testing.T) {
	did, other := mustKey(t).DID(), mustKey(t).DID()
	ti := market.TrustedIssuer{DID: did, Name: "Lab A", Since: day0, Until: day0.Add(48 * time.Hour), Tasks: []string{"contest"}}
	tests := []struct {
		name       string
		did, task  string
		validFrom  time.Time
		want       bool
		datasetSHA string
	}{
		{"in scope", did, "contest", day0.Add(time.Hour), true, "ab"},
		{"at since", did, "contest", day0, true, "ab"},
		{"another issuer", other, "contest", day0.Add(time.Hour), false, "ab"},
		{"before since", did, "contest", day0.Add(-time.Second), false, "ab"},
		{"at until", did, "contest", day0.Add(48 * time.Hour), false, "ab"},
		{"another task", did, "other", day0.Add(time.Hour), false, "ab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ti.Covers(tc.did, tc.task, tc.datasetSHA, tc.validFrom); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	scoped := market.TrustedIssuer{DID: did, Name: "Lab A", Since: day0, Datasets: []string{"cd"}}
	if scoped.Covers(did, "contest", "ab", day0) || !scoped.Covers(did, "contest", "cd", day0) {
		t.Error("dataset scope: got a credential on another dataset covered, or its own not")
	}
}

// TestTrustRegistry: the registry persists across Markets on the data
// dir, replaces an issuer's entry, removes one, and refuses to remove one
// it does not hold; the host trusts its own credentials.
func TestTrustRegistry(t *testing.T) {
	e, clk := contestEngine(t, "", engine.Config{})
	m := market.New(e)
	if list, err := m.Issuers(); err != nil || len(list) != 0 {
		t.Fatalf("Issuers of a new data dir: got %v, %v; want none", list, err)
	}
	a, b := mustKey(t).DID(), mustKey(t).DID()
	for _, ti := range []market.TrustedIssuer{
		{DID: a, Name: "Lab A", Since: day0},
		{DID: b, Name: "Lab B", Since: day0},
		{DID: a, Name: "Lab A (renamed)", Since: day0},
	} {
		if err := m.Trust(ti); err != nil {
			t.Fatalf("Trust(%s): %v", ti.Name, err)
		}
	}
	if err := m.Trust(market.TrustedIssuer{DID: "nope", Name: "x", Since: day0}); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Trust of a bad DID: got %v, want ErrBadRequest", err)
	}
	list, err := market.New(e).Issuers()
	if err != nil || len(list) != 2 {
		t.Fatalf("Issuers from another Market: got %+v, %v; want 2", list, err)
	}
	for _, ti := range list {
		if ti.DID == a && ti.Name != "Lab A (renamed)" {
			t.Errorf("entry of %s: got name %q, want the replaced one", a, ti.Name)
		}
	}
	if err := m.Untrust(b); err != nil {
		t.Fatal(err)
	}
	if err := m.Untrust(b); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Untrust twice: got %v, want ErrNotFound", err)
	}
	card := &market.Card{Issuer: a, Created: clk.Now()}
	if ti, err := m.TrustedFor(card); err != nil || ti == nil || ti.DID != a {
		t.Errorf("TrustedFor a card of %s: got %+v, %v; want its entry", a, ti, err)
	}
	card.Issuer = b
	if ti, err := m.TrustedFor(card); err != nil || ti != nil {
		t.Errorf("TrustedFor a card of an untrusted issuer: got %+v, %v; want none", ti, err)
	}
	card.Issuer = e.HostDID()
	if ti, err := m.TrustedFor(card); err != nil || ti == nil {
		t.Errorf("TrustedFor a card of this host: got %+v, %v; want trusted", ti, err)
	}
}
