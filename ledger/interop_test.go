package ledger_test

import (
	"testing"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// TestInterop checks the ledger's checkpoint and proofs with libraries
// that did not write them: transparency-dev/formats parses the
// checkpoint (its own C2SP parser; the signature through a signed-note
// verifier made from the published key), and transparency-dev/merkle
// verifies the inclusion and consistency proofs (its own RFC 6962 code).
func TestInterop(t *testing.T) {
	l := openLedger(t, t.TempDir())
	appendN(t, l, 0, 40)
	_, oldCp := l.Checkpoint()
	appendN(t, l, 40, 100)
	signed, cp := l.Checkpoint()

	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	c, _, _, err := log.ParseCheckpoint(signed, testOrigin, v)
	if err != nil {
		t.Fatalf("formats/log: %v", err)
	}
	if c.Origin != testOrigin || c.Size != uint64(cp.Size) || string(c.Hash) != string(cp.Hash[:]) {
		t.Fatalf("formats/log read %+v, want %+v", c, cp)
	}
	const idx = 123
	p, err := l.ProveInclusion(idx, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(receipt(idx).Encode())
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, c.Size, leaf, hashes(p), c.Hash); err != nil {
		t.Errorf("merkle/proof inclusion: %v", err)
	}
	leaf[0] ^= 1
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, c.Size, leaf, hashes(p), c.Hash); err == nil {
		t.Error("merkle/proof verified a changed leaf")
	}
	cons, err := l.ProveConsistency(oldCp.Size, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(oldCp.Size), c.Size, hashes(cons), oldCp.Hash[:], c.Hash); err != nil {
		t.Errorf("merkle/proof consistency: %v", err)
	}
}

func hashes[H ~[32]byte](p []H) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}
