package httpapi

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/verdictlab/verdict/engine/credential"
)

// Buyer tokens. A buyer token lets a program use the marketplace's models
// as a metered service on a buyer's behalf without signing each request:
// the host issues it for one did:key, and it does that and nothing else.
// A request bearing it is that DID for POST /v1/market/{id}/predict and
// for /mcp (whose predict tool meters to it); every other route refuses it
// (403), even those open to anyone, so a leaked buyer token spends the
// buyer's quota and no more. Only its SHA-256 is kept, as for host tokens.

// BuyerTokenFile is the file, in a data dir, holding the buyer tokens:
// one line per token, "sha256:HEX DID CREATED", mode 0600.
const BuyerTokenFile = "buyer-tokens"

// buyerTokenPrefix marks a verdict buyer token.
const buyerTokenPrefix = "vdb_"

// CreateBuyerToken makes a new buyer token for the did:key did, appends
// its hash to DATA_DIR/buyer-tokens and returns the token, which is shown
// once and never stored.
func CreateBuyerToken(dataDir, did string, rand io.Reader) (string, error) {
	if _, err := credential.ParseDIDKey(did); err != nil {
		return "", fmt.Errorf("buyer %.100q: want a did:key: %w", did, err)
	}
	return createToken(dataDir, BuyerTokenFile, buyerTokenPrefix, did, rand)
}

// NewBuyerToken is CreateBuyerToken with crypto/rand.
func NewBuyerToken(dataDir, did string) (string, error) {
	return CreateBuyerToken(dataDir, did, rand.Reader)
}

// ListBuyerTokens lists the data dir's buyer tokens, oldest first; each
// TokenInfo's Name is the buyer's DID.
func ListBuyerTokens(dataDir string) ([]TokenInfo, error) {
	return listTokens(dataDir, BuyerTokenFile)
}

// RevokeBuyerTokens removes every buyer token of did and returns how many
// it removed; a running server refuses them at once.
func RevokeBuyerTokens(dataDir, did string) (int, error) {
	return revokeTokens(dataDir, BuyerTokenFile, did)
}

// buyer returns the DID a buyer token was issued for, logging a token
// file it cannot trust.
func (s *Server) buyer(token string) (string, bool) {
	did, ok, err := s.buyers.lookup(token)
	if err != nil {
		s.log.Error("buyer tokens refused", "err", err)
	}
	return did, ok
}
