package ledger_test

import (
	"crypto/ed25519"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/verdictlab/verdict/ledger"
)

// Example appends a receipt, then checks it as a buyer would: the
// checkpoint with the log's key, the receipt's inclusion proof in it.
func Example() {
	dir, err := os.MkdirTemp("", "ledger-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // the host's key
	l, err := ledger.Open(ledger.Config{Dir: dir, Origin: "example.org/ledger", Signer: key})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	r := &ledger.Receipt{
		Type: ledger.ReceiptType, Model: "3f2a9c1e", Module: fmt.Sprintf("%064x", 1),
		Author: "did:key:z6MkAuthor", Caller: "did:key:z6MkBuyer", Rows: 250,
		Time: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), PricePer1000: 20, MilliUnits: 250 * 20,
		Request: ledger.RequestDigest([]byte("salt"), []byte("id,a\nr1,1\n")),
	}
	idx, signed, err := l.Append(r.Encode())
	if err != nil {
		log.Fatal(err)
	}
	cp, err := ledger.ParseCheckpoint(signed, l.VerifierKey())
	if err != nil {
		log.Fatal(err)
	}
	proof, err := l.ProveInclusion(idx, cp.Size)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("index", idx, "in a tree of", cp.Size, "costs", ledger.Units(r.MilliUnits), "units")
	fmt.Println("inclusion:", ledger.VerifyInclusion(proof, idx, cp, r.Encode()))
	// Output:
	// index 0 in a tree of 1 costs 5.000 units
	// inclusion: <nil>
}
