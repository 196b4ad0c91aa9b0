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
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// teamListed opens a contest with teams, promotes team "ab"'s (ada and
// bob) model and returns its id.
func teamListed(t testing.TB) (*engine.Engine, *market.Market, *clock, string) {
	t.Helper()
	e, m, clk := contest(t, "teams: {max_size: 3}\n", engine.Config{})
	mustSubmit(t, e, "ada", linear)
	if _, err := e.JoinTeam("contest", "ab", "ada", "bob"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	proms, err := e.Promote(context.Background(), "contest")
	if err != nil || len(proms) == 0 || proms[0].Credential == nil {
		t.Fatalf("Promote: %+v, %v", proms, err)
	}
	t.Cleanup(func() { m.Close() })
	id := strings.TrimPrefix(proms[0].Credential.ID, "urn:uuid:")
	if me, err := m.Entry(id); err != nil || me.Card.Author != "ab" {
		t.Fatalf("entry: %+v, %v; want author ab", me, err)
	}
	return e, m, clk, id
}

// TestAgreedShares: a split is in force only once every member asked for
// it; receipts carry it, so the statement recomputed from the public log
// shares the same way, and its shares sum to the line exactly.
func TestAgreedShares(t *testing.T) {
	ctx := context.Background()
	e, m, _, id := teamListed(t)
	if err := m.SetPrice(id, 7); err != nil {
		t.Fatal(err)
	}
	split := []ledger.Weight{{Party: "bob", BasisPoints: 3333}, {Party: "ada", BasisPoints: 6667}}
	use := func(rows int) *ledger.Receipt {
		t.Helper()
		res, err := m.PredictMetered(ctx, "did:key:z6MkBuyer", id, rowsCSV(rows), "in.csv")
		if err != nil {
			t.Fatal(err)
		}
		return res.Receipt
	}
	// Before any agreement: equal shares, no split in the receipt.
	if r := use(1); len(r.Shares) != 0 || strings.Join(r.Members, ",") != "ada,bob" || r.Issuer != e.HostDID() || !r.Trusted {
		t.Errorf("receipt before agreement: %+v", r)
	}
	a, err := m.AgreeShares("contest", "ab", "ada", split)
	if err != nil || len(a.Agreed) != 0 {
		t.Fatalf("ada alone: got %+v, %v; want no split in force yet", a, err)
	}
	if r := use(1); len(r.Shares) != 0 {
		t.Errorf("split in force with one member's ask: %+v", r.Shares)
	}
	a, err = m.AgreeShares("contest", "ab", "bob", split)
	if err != nil || len(a.Agreed) != 2 || a.Agreed[0].Party != "ada" || a.AgreedBy != "members" {
		t.Fatalf("both: got %+v, %v; want the split in force", a, err)
	}
	if r := use(3); len(r.Shares) != 2 || r.Shares[0] != (ledger.Weight{Party: "ada", BasisPoints: 6667}) {
		t.Errorf("receipt after agreement: shares %+v", r.Shares)
	}
	use(1)
	ss, signed, err := m.Statement("2026-03", "ab")
	if err != nil {
		t.Fatal(err)
	}
	l := ss.Lines[0]
	// 7 milli-units each equally (3.5 + 3.5), then 21 and 7 at 2/3 : 1/3
	// (18.6669 + 9.3331): ada 7 + 18.6669 = 25.6669, bob 16.3331.
	if l.MilliUnits != 42 || l.Shares[0] != (ledger.Share{Party: "ada", MilliUnits: 26}) || l.Shares[1] != (ledger.Share{Party: "bob", MilliUnits: 16}) {
		t.Errorf("line %+v", l)
	}
	if l.CertifiedBy != e.HostDID() || !l.Trusted {
		t.Errorf("line certified by %q trusted %v, want this host, true", l.CertifiedBy, l.Trusted)
	}
	dir := filepath.Join(e.DataDir(), "ledger")
	fetch := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))) }
	if _, err := market.VerifyStatement(signed, fetch); err != nil {
		t.Errorf("recompute from the log: %v", err)
	}
	tests := []struct {
		name   string
		by     string
		shares []ledger.Weight
		want   error
	}{
		{"ErrForbidden/not a member", "cy", split, engine.ErrForbidden},
		{"ErrBadRequest/sum", "ada", []ledger.Weight{{Party: "ada", BasisPoints: 5000}, {Party: "bob", BasisPoints: 4000}}, engine.ErrBadRequest},
		{"ErrBadRequest/missing member", "ada", []ledger.Weight{{Party: "ada", BasisPoints: 10000}}, engine.ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.AgreeShares("contest", "ab", tc.by, tc.shares); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The host records a split the team agreed elsewhere, at once.
	a, err = m.AgreeShares("contest", "ab", market.HostCaller, []ledger.Weight{{Party: "ada", BasisPoints: 5000}, {Party: "bob", BasisPoints: 5000}})
	if err != nil || a.AgreedBy != market.HostCaller || a.Agreed[1].BasisPoints != 5000 {
		t.Errorf("host: %+v, %v", a, err)
	}
	if _, err := m.AgreeShares("contest", "nope", "ada", split); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown team: got %v, want ErrNotFound", err)
	}
}

// TestAuthorPrice: the model's author (here a member of its team) may set
// its price, a stranger may not, the host overrides; each receipt keeps
// the price it was charged, so a later change leaves the statement of
// earlier calls as it was.
func TestAuthorPrice(t *testing.T) {
	ctx := context.Background()
	_, m, _, id := teamListed(t)
	if err := m.SetPriceAs(id, 40, "bob"); err != nil {
		t.Fatalf("author: %v", err)
	}
	if err := m.SetPriceAs(id, 1, "did:key:z6MkStranger"); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("stranger: got %v, want ErrForbidden", err)
	}
	if _, err := m.PredictMetered(ctx, "did:key:z6MkBuyer", id, rowsCSV(10), "in.csv"); err != nil {
		t.Fatal(err)
	}
	before, _, err := m.Statement("2026-03", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetPriceAs(id, 900, market.HostCaller); err != nil {
		t.Fatalf("host: %v", err)
	}
	if me, err := m.Entry(id); err != nil || me.PricePer1000 != 900 {
		t.Fatalf("price in force: %+v, %v; want 900", me, err)
	}
	if err := m.SetPriceAs(id, -1, "ada"); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("negative price: got %v, want ErrBadRequest", err)
	}
	// A statement over the same log, computed afresh (another key than
	// the cached one) after the change.
	after, _, err := m.Statement("2026-03", "ab")
	if err != nil {
		t.Fatal(err)
	}
	if before.Lines[0].MilliUnits != 400 || after.Lines[0].MilliUnits != 400 {
		t.Errorf("statement of 10 rows at 40: before %d, after the change %d milli-units; want 400", before.Lines[0].MilliUnits, after.Lines[0].MilliUnits)
	}
	res, err := m.PredictMetered(ctx, "did:key:z6MkBuyer", id, rowsCSV(10), "in.csv")
	if err != nil || res.Receipt.PricePer1000 != 900 || res.Receipt.MilliUnits != 9000 {
		t.Errorf("call after the change: %+v, %v; want 900 per 1000", res.Receipt, err)
	}
}

// TestStatementCached: the same period, author and log size answer the
// same signed statement without computing it again (its proof's time
// stays the first call's); a new receipt makes a new one.
func TestStatementCached(t *testing.T) {
	ctx := context.Background()
	_, m, clk, id := listed(t)
	if _, err := m.PredictMetered(ctx, "did:key:z6MkBuyer", id, rowsCSV(2), "in.csv"); err != nil {
		t.Fatal(err)
	}
	_, first, err := m.Statement("2026-03", "")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	ss, again, err := m.Statement("2026-03", "")
	if err != nil || string(again) != string(first) {
		t.Errorf("second identical call: recomputed (%v)", err)
	}
	ss.Lines[0].Uses = 99 // the cache keeps its own copy
	if ss, _, _ := m.Statement("2026-03", ""); ss.Lines[0].Uses != 1 {
		t.Errorf("cached statement changed by a caller: %d uses", ss.Lines[0].Uses)
	}
	if _, err := m.PredictMetered(ctx, "did:key:z6MkBuyer", id, rowsCSV(2), "in.csv"); err != nil {
		t.Fatal(err)
	}
	ss, third, err := m.Statement("2026-03", "")
	if err != nil || string(third) == string(first) || ss.Lines[0].Uses != 2 {
		t.Errorf("after a new receipt: %+v, %v; want a new statement with 2 uses", ss, err)
	}
}

// TestIngestedTeamNamesake: a local team named as an ingested model's
// author team, on a local task of the same id, is not its author: it may
// not set its price nor share what it earns.
func TestIngestedTeamNamesake(t *testing.T) {
	ctx := context.Background()
	_, m1, _, id := teamListed(t)
	_, b, err := m1.Bundle(id)
	if err != nil {
		t.Fatal(err)
	}
	e2, m2, clk2 := contest(t, "teams: {max_size: 3}\n", engine.Config{})
	if _, err := e2.JoinTeam("contest", "ab", "cy"); err != nil {
		t.Fatal(err)
	}
	clk2.Add(2 * time.Hour) // past the credential's validFrom
	me, err := m2.Ingest(ctx, b, market.IngestOptions{AllowUntrusted: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.SetPriceAs(me.ID, 1, "cy"); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("cy of the local team ab sets the price: got %v, want ErrForbidden", err)
	}
	res, err := m2.PredictMetered(ctx, "did:key:z6MkBuyer", me.ID, rowsCSV(2), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Receipt.Members) != 0 {
		t.Errorf("receipt of the ingested model: got members %v, want none", res.Receipt.Members)
	}
}
