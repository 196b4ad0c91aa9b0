package market_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// TestStatement: a signed statement recomputed from the public log (its
// tiles, as a stranger holds them) equals the host's; a doctored one,
// even signed by the host, does not.
func TestStatement(t *testing.T) {
	ctx := context.Background()
	e, m, clk, id := listed(t)
	if err := m.SetPrice(id, 500); err != nil {
		t.Fatal(err)
	}
	for i, rows := range []int{3, 4, 10} {
		if _, err := m.PredictMetered(ctx, "did:key:z6MkBuyer"+string(rune('A'+i)), id, rowsCSV(rows), "in.csv"); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(31 * 24 * time.Hour) // April: not in March's statement
	if _, err := m.PredictMetered(ctx, "did:key:z6MkBuyerA", id, rowsCSV(5), "in.csv"); err != nil {
		t.Fatal(err)
	}
	ss, signed, err := m.Statement("2026-03", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ss.Lines) != 1 {
		t.Fatalf("got %d lines, want 1: %+v", len(ss.Lines), ss.Lines)
	}
	l := ss.Lines[0]
	if l.Uses != 3 || l.Rows != 17 || l.MilliUnits != 17*500 || l.Author != "ada" || len(l.Shares) != 1 || l.Shares[0].MilliUnits != 8500 {
		t.Errorf("line %+v", l)
	}
	if ledger.Units(l.MilliUnits) != "8.500" {
		t.Errorf("units %s, want 8.500", ledger.Units(l.MilliUnits))
	}
	dir := filepath.Join(e.DataDir(), "ledger")
	fetch := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))) }
	got, err := market.VerifyStatement(signed, fetch)
	if err != nil {
		t.Fatalf("recompute: %v", err)
	}
	if got.Size != 4 || got.Issuer != e.HostDID() {
		t.Errorf("statement of size %d by %s", got.Size, got.Issuer)
	}
	// Doctored, signed by the host all the same: the log disagrees.
	ss.Lines[0].MilliUnits++
	b, _ := json.Marshal(ss)
	forged, err := e.SignAsHost(b, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := market.VerifyStatement(forged, fetch); !errors.Is(err, ledger.ErrProof) {
		t.Errorf("doctored statement: got %v, want ErrProof", err)
	}
	// Changed after signing: the signature fails.
	var doc map[string]any
	json.Unmarshal(signed, &doc)
	doc["period"] = "2026-04"
	changed, _ := json.Marshal(doc)
	if _, err := market.VerifyStatement(changed, fetch); err == nil {
		t.Error("a statement changed after signing verified")
	}
	// One author's statement; another author has none.
	if ss, _, err := m.Statement("2026-03", "nobody"); err != nil || len(ss.Lines) != 0 {
		t.Errorf("statement of nobody: %+v, %v", ss, err)
	}
}
