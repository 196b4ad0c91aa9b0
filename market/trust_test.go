package market_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
		{"valid/bbs_did", func(ti *market.TrustedIssuer) { ti.BBSDID = mustBBSKey(t).DID() }, ""},
		{"ErrBadRequest/bbs_did Ed25519", func(ti *market.TrustedIssuer) { ti.BBSDID = did }, "bbs_did"},
		{"ErrBadRequest/bbs_did not did:key", func(ti *market.TrustedIssuer) { ti.BBSDID = "did:web:example.com" }, "bbs_did"},
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
	ctx := engine.WithActor(context.Background(), engine.Actor{Who: "operator", Why: "audit test"})
	if list, err := m.Issuers(); err != nil || len(list) != 0 {
		t.Fatalf("Issuers of a new data dir: got %v, %v; want none", list, err)
	}
	a, b := mustKey(t).DID(), mustKey(t).DID()
	for _, ti := range []market.TrustedIssuer{
		{DID: a, Name: "Lab A", Since: day0},
		{DID: b, Name: "Lab B", Since: day0},
		{DID: a, Name: "Lab A (renamed)", Since: day0},
	} {
		if err := m.Trust(ctx, ti); err != nil {
			t.Fatalf("Trust(%s): %v", ti.Name, err)
		}
	}
	if err := m.Trust(ctx, market.TrustedIssuer{DID: "nope", Name: "x", Since: day0}); !errors.Is(err, engine.ErrBadRequest) {
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
	clk.Add(time.Minute)
	if err := m.Untrust(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := m.Untrust(ctx, b); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Untrust twice: got %v, want ErrNotFound", err)
	}
	// The trust log holds every change that took, in order, with who, why
	// and when; the refused ones are not in it.
	log, err := market.New(e).TrustLog()
	if err != nil {
		t.Fatal(err)
	}
	type change struct{ action, actor, reason, did, name string }
	want := []change{
		{market.TrustAdd, "operator", "audit test", a, "Lab A"},
		{market.TrustAdd, "operator", "audit test", b, "Lab B"},
		{market.TrustAdd, "operator", "audit test", a, "Lab A (renamed)"},
		{market.TrustRemove, "host", "", b, "Lab B"},
	}
	if len(log) != len(want) {
		t.Fatalf("TrustLog: got %d changes %+v, want %d", len(log), log, len(want))
	}
	for i, c := range log {
		if got := (change{c.Action, c.Actor, c.Reason, c.Issuer.DID, c.Issuer.Name}); got != want[i] {
			t.Errorf("TrustLog[%d]: got %+v, want %+v", i, got, want[i])
		}
	}
	if d := log[3].Time.Sub(log[2].Time); d != time.Minute || log[2].Time.IsZero() {
		t.Errorf("TrustLog times: got %v then %v, want the engine clock's, the removal a minute later", log[2].Time, log[3].Time)
	}
	// A last line torn by a crash mid-append is left out; a bad line
	// before the end is an error naming it.
	path := filepath.Join(e.DataDir(), "market", "trust-log.jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"time":"2026-`)
	f.Close()
	if log, err := m.TrustLog(); err != nil || len(log) != len(want) {
		t.Errorf("TrustLog after a torn append: got %d changes, %v; want %d", len(log), err, len(want))
	}
	f, _ = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("\n{}\n")
	f.Close()
	if _, err := m.TrustLog(); err == nil || !strings.Contains(err.Error(), "line 5") {
		t.Errorf("TrustLog with a bad line 5: got %v, want an error naming line 5", err)
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
