package engine

import (
	"fmt"

	"github.com/verdictlab/verdict/engine/credential"
)

// DeriveCredential makes a selective disclosure of the credential id
// (credential.Derive): the derived credential reveals the mandatory
// claims (credential.MandatoryPointers) and the reveal pointers, with a
// bbs-2023 proof bound to nonce. It refuses, with ErrBadRequest, a
// credential issued before the host had a BBS key and pointers that
// select nothing. Who may ask is the caller's business: the credential's
// author, or the host.
func (e *Engine) DeriveCredential(id string, reveal []string, nonce []byte) ([]byte, error) {
	c, err := e.Credential(id)
	if err != nil {
		return nil, err
	}
	derived, err := credential.Derive(c.Signed, reveal, nonce)
	if err != nil {
		return nil, fmt.Errorf("derive credential %s: %w: %w", c.ID, err, ErrBadRequest)
	}
	return derived, nil
}
