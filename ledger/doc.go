// Package ledger is the marketplace's public usage ledger: an append-only
// Merkle transparency log of usage receipts (Receipt), in the C2SP
// formats, so that anyone can check that a use was counted and that no
// entry was removed or rewritten.
//
//   - Entries are RFC 6962 leaves (tlog.RecordHash); the tree is
//     golang.org/x/mod/sumdb/tlog's.
//   - Tiles follow C2SP tlog-tiles: hash tiles of height 8 at
//     tile/<L>/<N>[.p/<W>], entry bundles at tile/entries/<N>[.p/<W>]
//     (each entry a big-endian uint16 length and its bytes).
//   - The checkpoint follows C2SP tlog-checkpoint ("<origin>\n<size>\n
//     <base64 root>\n"), signed as a C2SP signed note
//     (golang.org/x/mod/sumdb/note) with the host's Ed25519 key.
//
// It sits beside the engine, below the marketplace:
//
//	cmd/verdict, internal/httpapi -> market -> ledger (a leaf: stdlib, x/mod)
//
// It never imports the engine or the marketplace, and never holds input
// rows or outputs: a Receipt carries ids, hashes, a pseudonymous DID and
// counts only (the privacy line, RATIONALE.md).
//
// # Durability
//
// DIR/entries is the log: each entry is appended as a length, its bytes
// and its leaf hash, and fsynced before Append returns (one fsync an
// append). Tiles and the checkpoint are derived from it and written by
// rename without fsync: Open rebuilds any tile or checkpoint a crash left
// stale or missing. An entry whose fsync did not complete was
// never returned to anyone; a power cut can lose only such entries, and a
// SIGKILL none that reached the kernel. A torn tail beyond the last
// checkpoint is cut off at Open; a bad entry the checkpoint covers is
// ErrCorrupt. Appends are serialised and committed in groups: the
// entries waiting when a commit starts share one write, one fsync, one
// set of tiles and one checkpoint. One process owns a ledger directory
// (the data dir's store lock sees to that).
//
// # Usage
//
//	l, err := ledger.Open(ledger.Config{Dir: dir, Origin: origin, Signer: key})
//	idx, cp, err := l.Append(receipt.Encode())
//	proof, err := l.ProveInclusion(idx, cp.Size)
//	err = ledger.VerifyInclusion(proof, idx, cp, receipt.Encode())
package ledger
