package market

import (
	"context"
	"errors"

	"github.com/verdictlab/verdict/engine"
)

// Verification is what Verify found about a marketplace entry, checked
// now rather than remembered from its listing.
type Verification struct {
	ID         string `json:"id"`
	Credential string `json:"credential"` // urn:uuid:…
	Model      string `json:"model"`      // urn:sha256:…
	// Issuer is the did:key that signed the credential and the card.
	Issuer string `json:"issuer"`
	// Trusted says whether this marketplace trusts Issuer for this model
	// (TrustedFor); IssuerName is the registry's name for it ("this
	// host" for this data dir's own), "" when not trusted.
	Trusted    bool   `json:"trusted"`
	IssuerName string `json:"issuer_name,omitempty"`
	// Valid says the credential's proof, did:key and issuer binding, the
	// module's SHA-256 and the card's signature and agreement with the
	// credential all verify; Error says what did not.
	Valid bool   `json:"valid"`
	Error string `json:"error,omitempty"`
	// StatusChecked says the credential's revocation status was checked
	// against its issuer's signed status list (one it kept: this host's,
	// or the list checked at ingest or at the last Refresh).
	StatusChecked bool               `json:"status_checked"`
	Revoked       *engine.Revocation `json:"revoked,omitempty"`
}

// Verify checks a marketplace entry again, as Ingest would check its
// bundle (VerifyBundle): signatures, module hash, card, and revocation
// against the status list this marketplace holds for it. A revoked entry
// is reported revoked (from the catalogue) without a bundle check. An
// unknown id is ErrNotFound; a failed check is not an error but
// Valid false with the reason.
func (mk *Market) Verify(ctx context.Context, id string) (*Verification, error) {
	me, err := mk.Entry(id)
	if err != nil {
		return nil, err
	}
	v := &Verification{ID: me.ID, Credential: me.Card.Credential, Model: me.Card.Model, Issuer: me.Card.Issuer, Trusted: me.Trusted, Revoked: me.Revoked}
	ti, err := mk.TrustedFor(&me.Card)
	if err != nil {
		return nil, err
	}
	if ti != nil {
		v.IssuerName = ti.Name
	}
	if me.Revoked != nil {
		v.Error = "revoked: " + me.Revoked.Reason
		return v, nil
	}
	_, b, err := mk.Bundle(me.ID)
	if err != nil {
		return nil, err
	}
	_, res, err := VerifyBundle(ctx, b, IngestOptions{Issuer: me.Card.Issuer}, mk.e.Now())
	var be *BundleError
	switch {
	case errors.As(err, &be):
		v.Error = be.Error()
		return v, nil
	case err != nil:
		return nil, err
	}
	v.Valid, v.StatusChecked = true, res.StatusChecked
	return v, nil
}
