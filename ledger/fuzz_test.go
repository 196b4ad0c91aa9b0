package ledger_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/verdictlab/verdict/ledger"
)

func FuzzParseCheckpoint(f *testing.F) {
	l := openLedger(f, f.TempDir())
	appendN(f, l, 0, 3)
	signed, _ := l.Checkpoint()
	f.Add(signed)
	f.Add([]byte("verdict.test/ledger\n3\nAAAA\n\n— verdict.test/ledger AAAA\n"))
	f.Add([]byte{})
	vkey := l.VerifierKey()
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := ledger.ParseCheckpoint(b, vkey)
		if err != nil {
			if !errors.Is(err, ledger.ErrCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCheckpoint", err)
			}
			return
		}
		if cp.Origin != testOrigin || cp.Size < 0 {
			t.Fatalf("accepted %+v", cp)
		}
	})
}

func FuzzParseReceipt(f *testing.F) {
	f.Add(receipt(1).Encode())
	f.Add(receipt(2).Encode()[:30])
	team := receipt(3)
	team.Members, team.Shares = []string{"did:key:za", "did:key:zb"}, []ledger.Weight{{Party: "did:key:za", BasisPoints: 2500}, {Party: "did:key:zb", BasisPoints: 7500}}
	team.Issuer, team.Trusted = "did:key:zhost", true
	f.Add(team.Encode())
	f.Add([]byte(`{"type":"verdict.receipt/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ledger.ParseReceipt(b)
		if err != nil {
			if !errors.Is(err, ledger.ErrReceipt) {
				t.Fatalf("error %v does not wrap ErrReceipt", err)
			}
			return
		}
		if !bytes.Equal(r.Encode(), b) {
			t.Fatalf("round trip: got %s, want %s", r.Encode(), b)
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/entries/x001/x234/067.p/5", "tile/8/999.p/255", "tile/0/x000/000", "tile/../000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		level, n, w, err := ledger.ParseTilePath(s)
		if err != nil {
			if !errors.Is(err, ledger.ErrTile) {
				t.Fatalf("error %v does not wrap ErrTile", err)
			}
			return
		}
		if got := ledger.TilePath(level, n, w); got != s {
			t.Fatalf("round trip: got %q, want %q", got, s)
		}
		if bytes.Contains([]byte(s), []byte("..")) {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 2, 'b', 'c'})
	f.Add([]byte{0, 5, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ledger.ParseBundle(b)
		if err != nil {
			if !errors.Is(err, ledger.ErrTile) {
				t.Fatalf("error %v does not wrap ErrTile", err)
			}
			return
		}
		var again []byte
		for _, e := range es {
			again = append(again, byte(len(e)>>8), byte(len(e)))
			again = append(again, e...)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("round trip differs")
		}
	})
}
