package ledger_test

import (
	"testing"

	"github.com/verdictlab/verdict/ledger"
)

func TestCompute(t *testing.T) {
	l := openLedger(t, t.TempDir())
	team := receipt(0)
	team.Author, team.Members = "team:red", []string{"did:key:zc", "did:key:za", "did:key:zb"}
	team.Rows, team.PricePer1000 = 100, 10
	team.MilliUnits = 1000
	other := receipt(1)
	other.Time = other.Time.AddDate(0, 1, 0) // January
	for _, r := range []*ledger.Receipt{team, receipt(3), other} {
		if _, _, err := l.Append(r.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	_, cp := l.Checkpoint()
	st, err := ledger.Compute("2026-12", "team:red", cp, l.Entry)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(st.Lines))
	}
	want := []ledger.Share{{Party: "did:key:za", MilliUnits: 334}, {Party: "did:key:zb", MilliUnits: 333}, {Party: "did:key:zc", MilliUnits: 333}}
	for i, s := range st.Lines[0].Shares {
		if s != want[i] {
			t.Errorf("share %d: got %+v, want %+v", i, s, want[i])
		}
	}
	all, err := ledger.Compute("2026-12", "", cp, l.Entry)
	if err != nil || len(all.Lines) != 2 {
		t.Fatalf("all authors: got %+v, %v; want 2 lines", all, err)
	}
	for _, bad := range []string{"2026-13", "2026-1", "december"} {
		if _, err := ledger.Compute(bad, "", cp, l.Entry); err == nil {
			t.Errorf("period %q accepted", bad)
		}
	}
	entries, err := ledger.ReadLog(cp, dirFetch(l.Dir()))
	if err != nil || len(entries) != 3 {
		t.Fatalf("ReadLog: %d entries, %v", len(entries), err)
	}
}
