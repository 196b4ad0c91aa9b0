package engine

import (
	"crypto"
	"crypto/ed25519"
)

// HostSigner returns the host key as a crypto.Signer (Ed25519), for
// packages above the engine that sign in a format other than
// eddsa-jcs-2022: package ledger signs its checkpoints as C2SP signed
// notes with it, so the usage ledger and the credentials share one
// issuer.
func (e *Engine) HostSigner() crypto.Signer {
	return ed25519.NewKeyFromSeed(e.hostKey.Seed())
}
