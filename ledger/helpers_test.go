package ledger_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdictlab/verdict/ledger"
)

const testOrigin = "verdict.test/ledger"

func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
}

func openLedger(t testing.TB, dir string) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(ledger.Config{Dir: dir, Origin: testOrigin, Signer: testKey()})
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func receipt(i int) *ledger.Receipt {
	r := &ledger.Receipt{
		Type: ledger.ReceiptType, Model: fmt.Sprintf("model-%d", i%3),
		Module: fmt.Sprintf("%064x", i%3), Author: "did:key:z6MkAuthor",
		Caller: fmt.Sprintf("did:key:z6MkCaller%d", i%5), Rows: int64(1 + i%7),
		Time:         time.Date(2026, 12, 1+i%28, 10, 0, 0, 0, time.UTC),
		PricePer1000: 10, Request: fmt.Sprintf("%064x", i),
	}
	r.MilliUnits = r.Rows * r.PricePer1000
	return r
}

func appendN(t testing.TB, l *ledger.Ledger, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		idx, _, err := l.Append(receipt(i).Encode())
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if idx != int64(i) {
			t.Fatalf("append %d: got index %d", i, idx)
		}
	}
}

// dirFetch reads tiles from a ledger directory, as a verifier with a copy
// of the files would.
func dirFetch(dir string) ledger.FetchFunc {
	return func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))) }
}
