package ledger_test

import (
	"errors"
	"fmt"
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

// TestComputeAgreedShares: receipts carrying a team's agreed split are
// shared by it, the equal split stays the default, and the rounded
// shares sum exactly to the line's total.
func TestComputeAgreedShares(t *testing.T) {
	members := []string{"did:key:za", "did:key:zb", "did:key:zc"}
	agreed := []ledger.Weight{{Party: "did:key:za", BasisPoints: 5000}, {Party: "did:key:zb", BasisPoints: 3333}, {Party: "did:key:zc", BasisPoints: 1667}}
	tests := []struct {
		name   string
		shares []ledger.Weight
		rows   []int64 // one receipt each, price 1
		want   []int64 // milli-units of za, zb, zc
	}{
		{"equal by default", nil, []int64{1, 1, 1, 1}, []int64{2, 1, 1}},
		{"agreed", agreed, []int64{1000}, []int64{500, 333, 167}},
		// 7 receipts of 1 milli-unit: exact parts 3.5, 2.3331, 1.1669.
		{"agreed, rounded", agreed, []int64{1, 1, 1, 1, 1, 1, 1}, []int64{4, 2, 1}},
		{"agreed, one row", agreed, []int64{1}, []int64{1, 0, 0}},
		{"all to one", []ledger.Weight{{Party: "did:key:za", BasisPoints: 0}, {Party: "did:key:zb", BasisPoints: 10000}, {Party: "did:key:zc", BasisPoints: 0}}, []int64{3, 4}, []int64{0, 7, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLedger(t, t.TempDir())
			var total int64
			for i, rows := range tc.rows {
				r := receipt(i)
				r.Model, r.Module = "model-0", fmt.Sprintf("%064x", 0)
				r.Author, r.Members, r.Shares = "team:red", members, tc.shares
				r.Issuer, r.Trusted = "did:key:zhost", true
				r.Rows, r.PricePer1000, r.MilliUnits = rows, 1, rows
				total += rows
				if _, _, err := l.Append(r.Encode()); err != nil {
					t.Fatal(err)
				}
			}
			_, cp := l.Checkpoint()
			st, err := ledger.Compute("2026-12", "team:red", cp, l.Entry)
			if err != nil {
				t.Fatal(err)
			}
			line := st.Lines[0]
			var sum int64
			for i, s := range line.Shares {
				sum += s.MilliUnits
				if s.Party != members[i] || s.MilliUnits != tc.want[i] {
					t.Errorf("share %d: got %+v, want %s %d", i, s, members[i], tc.want[i])
				}
			}
			if sum != line.MilliUnits || sum != total {
				t.Errorf("shares sum to %d, line %d, receipts %d", sum, line.MilliUnits, total)
			}
			if line.CertifiedBy != "did:key:zhost" || !line.Trusted {
				t.Errorf("line certified by %q trusted %v, want did:key:zhost true", line.CertifiedBy, line.Trusted)
			}
		})
	}
}

// TestReceiptSharesRefused: a split that is not one weight per member,
// sorted, summing to 100% is ErrReceipt.
func TestReceiptSharesRefused(t *testing.T) {
	members := []string{"did:key:za", "did:key:zb"}
	tests := []struct {
		name   string
		shares []ledger.Weight
	}{
		{"ErrSum", []ledger.Weight{{Party: "did:key:za", BasisPoints: 5000}, {Party: "did:key:zb", BasisPoints: 4999}}},
		{"ErrNotMember", []ledger.Weight{{Party: "did:key:za", BasisPoints: 5000}, {Party: "did:key:zz", BasisPoints: 5000}}},
		{"ErrUnsorted", []ledger.Weight{{Party: "did:key:zb", BasisPoints: 5000}, {Party: "did:key:za", BasisPoints: 5000}}},
		{"ErrMissing", []ledger.Weight{{Party: "did:key:za", BasisPoints: 10000}}},
		{"ErrNegative", []ledger.Weight{{Party: "did:key:za", BasisPoints: -1}, {Party: "did:key:zb", BasisPoints: 10001}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := receipt(0)
			r.Members, r.Shares = members, tc.shares
			if err := r.Validate(); !errors.Is(err, ledger.ErrReceipt) {
				t.Errorf("got %v, want ErrReceipt", err)
			}
		})
	}
}

// TestComputeTrust: a line is trusted only if every use it counts was
// served while its issuer was trusted; it names the issuer.
func TestComputeTrust(t *testing.T) {
	tests := []struct {
		name    string
		trusted []bool
		want    bool
	}{
		{"all trusted", []bool{true, true}, true},
		{"one untrusted", []bool{true, false}, false},
		{"untrusted", []bool{false}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := openLedger(t, t.TempDir())
			for i, tr := range tc.trusted {
				r := receipt(3 * i) // the same model
				r.Issuer, r.Trusted = "did:key:zlab", tr
				if _, _, err := l.Append(r.Encode()); err != nil {
					t.Fatal(err)
				}
			}
			_, cp := l.Checkpoint()
			st, err := ledger.Compute("2026-12", "", cp, l.Entry)
			if err != nil || len(st.Lines) != 1 {
				t.Fatalf("got %+v, %v; want one line", st, err)
			}
			if got := st.Lines[0]; got.Trusted != tc.want || got.CertifiedBy != "did:key:zlab" {
				t.Errorf("got certified by %q trusted %v, want did:key:zlab %v", got.CertifiedBy, got.Trusted, tc.want)
			}
		})
	}
}
