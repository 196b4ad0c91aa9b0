package ledger

import "errors"

// Errors of the ledger.
var (
	// ErrCorrupt reports a ledger file whose bytes do not match the log
	// its checkpoint commits to.
	ErrCorrupt = errors.New("ledger: corrupt")
	// ErrCheckpoint reports a checkpoint that does not parse or whose
	// signature does not verify.
	ErrCheckpoint = errors.New("ledger: bad checkpoint")
	// ErrProof reports an inclusion or consistency proof that does not
	// verify.
	ErrProof = errors.New("ledger: proof does not verify")
	// ErrReceipt reports a receipt that does not decode or is incomplete.
	ErrReceipt = errors.New("ledger: bad receipt")
	// ErrEntry reports an entry that cannot be appended (empty or too big)
	// or an index outside the log.
	ErrEntry = errors.New("ledger: bad entry")
	// ErrTile reports a malformed tile path or tile.
	ErrTile = errors.New("ledger: bad tile")
)
