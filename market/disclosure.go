package market

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/leaderboard"
)

// A disclosure bundle lists a model without saying who made it: its
// credential is a bbs-2023 selective disclosure (credential.Derive) that
// reveals every claim the card makes except the author, and its card,
// signed by the host like any card, has an empty Author. The marketplace
// that ingests it checks the derived proof against the BBS key bound to
// the issuer (BBSKeyOf: its host's pair, or the bbs_did of its
// trusted-issuer entry) and shows the author as AuthorNotDisclosed.

// AuthorNotDisclosed is how a listing shows the author of a model listed
// by a disclosure bundle (Card.Author empty).
const AuthorNotDisclosed = "not disclosed"

// AuthorName is the card's author for people: its Author, or
// AuthorNotDisclosed.
func (c *Card) AuthorName() string {
	if c.Author == "" {
		return AuthorNotDisclosed
	}
	return c.Author
}

// disclosureReveal is what a disclosure bundle's credential reveals
// beyond the mandatory claims: everything its card says, the author
// excepted.
var disclosureReveal = []string{
	"/credentialSubject/task/metric",
	"/credentialSubject/task/datasetHash",
	"/credentialSubject/scores",
	"/credentialSubject/rank",
	"/credentialSubject/rankedParticipants",
	"/credentialSubject/gates",
	"/credentialSubject/engineVersion",
}

// DisclosureBundle returns a promoted model of this data dir as a
// disclosure bundle: its credential derived to hide the author, its card
// re-signed by the host without it, its module and status list. Only the
// host can make one (it signs the card); the model's author asks for it.
// A model ingested from elsewhere, or whose credential has no bbs-2023
// proof, is ErrBadRequest.
func (mk *Market) DisclosureBundle(id string) (*Entry, *Bundle, error) {
	me, b, err := mk.Bundle(id)
	if err != nil {
		return nil, nil, err
	}
	if me.Origin != "promoted" {
		return nil, nil, fmt.Errorf("market entry %s: ingested from %s: only its issuer can make a disclosure bundle of it: %w", me.ID, me.Card.Issuer, engine.ErrBadRequest)
	}
	if b.Credential, err = credential.Derive(b.Credential, disclosureReveal, nil); err != nil {
		return nil, nil, fmt.Errorf("market entry %s: derive: %w: %w", me.ID, err, engine.ErrBadRequest)
	}
	card := me.Card
	card.Author = ""
	if b.Card, err = mk.signCard(&card); err != nil {
		return nil, nil, err
	}
	return me, b, nil
}

// isDerived reports whether a bundle's credential is a bbs-2023
// selective disclosure.
func isDerived(signed []byte) bool {
	kinds, err := credential.Kinds(signed)
	return err == nil && slices.Equal(kinds, []credential.ProofKind{credential.KindBBSDerived})
}

// claimedIssuer is the issuer a credential names, unverified: what to
// look its BBS key up by.
func claimedIssuer(signed []byte) string {
	var head struct {
		Issuer json.RawMessage `json:"issuer"`
	}
	if json.Unmarshal(signed, &head) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(head.Issuer, &s) == nil {
		return s
	}
	var obj struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(head.Issuer, &obj)
	return obj.ID
}

// verifyDisclosure is VerifyBundle for a disclosure bundle: the derived
// proof against opts.BBSKey, the module, the validity period, revocation
// against list, and the card against what the credential reveals. It
// returns the verified claims as a ModelResult whose subject's Author is
// empty when hidden (and the scores zero when not revealed).
func verifyDisclosure(ctx context.Context, b *Bundle, opts IngestOptions, list []byte, now time.Time) (*credential.ModelResult, error) {
	issuer := claimedIssuer(b.Credential)
	if opts.BBSKey == "" {
		return nil, &BundleError{File: BundleCredential, Err: fmt.Errorf(
			"a selective disclosure by %.110q: bbs key unknown for issuer %.110q: record it with `verdict market trust add %s --name NAME --bbs-did did:key:zUC7…` (its /v1/host bbs_did): %w",
			issuer, issuer, issuer, credential.ErrBBSKeyUnknown)}
	}
	dopts := credential.DerivedOptions{Issuer: opts.Issuer, BBSKey: opts.BBSKey, Module: b.Module, Now: now}
	if list != nil {
		dopts.StatusList = func(context.Context, string) ([]byte, error) { return list, nil }
	}
	d, err := credential.VerifyDerived(ctx, b.Credential, dopts)
	switch {
	case errors.Is(err, credential.ErrModelMismatch):
		return nil, &BundleError{File: BundleModule, Err: err}
	case err != nil:
		return nil, &BundleError{File: BundleCredential, Err: err}
	case d.Status != nil && !d.StatusChecked:
		return nil, &BundleError{File: BundleStatusList, Err: fmt.Errorf("missing: revocation of %s cannot be checked (pass the issuer's status list): %w", d.ID, credential.ErrStatus)}
	}
	raw, err := json.Marshal(d.Subject)
	if err != nil {
		return nil, &BundleError{File: BundleCredential, Err: err}
	}
	var s struct {
		Author             string             `json:"author"`
		Task               credential.Task    `json:"task"`
		Scores             *credential.Scores `json:"scores"`
		Rank               *int               `json:"rank"`
		RankedParticipants *int               `json:"rankedParticipants"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, &BundleError{File: BundleCredential, Err: fmt.Errorf("credentialSubject: %v: %w", err, credential.ErrMalformed)}
	}
	if s.Scores == nil || s.Rank == nil || s.RankedParticipants == nil || s.Task.Metric == "" || s.Task.DatasetHash == "" {
		return nil, &BundleError{File: BundleCredential, Err: fmt.Errorf(
			"a selective disclosure must reveal what the card claims (task metric and dataset, scores, rank): reveals %d claims of credentialSubject: %w", len(d.Subject), ErrCardMismatch)}
	}
	mc := credential.ModelCredential{
		ID: d.ID, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, Status: d.Status,
		Subject: credential.ModelSubject{
			Model: d.Model, Author: s.Author, Task: s.Task, Scores: *s.Scores,
			Rank: *s.Rank, RankedParticipants: *s.RankedParticipants,
		},
	}
	return &credential.ModelResult{Credential: mc, Issuer: d.Issuer, StatusChecked: d.StatusChecked}, nil
}

// statusOf is the status entry of an ingested entry's credential (verified
// at ingest, checked again here at its issue time), nil if it has none or
// no longer verifies: a disclosure's against its issuer's BBS key.
func (mk *Market) statusOf(ctx context.Context, m leaderboard.MarketEntry) *credential.StatusEntry {
	if !isDerived(m.Credential) {
		res, err := credential.VerifyModel(ctx, m.Credential, credential.VerifyOptions{Issuer: m.Issuer, Now: m.Created})
		if err != nil {
			return nil
		}
		return res.Credential.Status
	}
	bbsKey, err := mk.BBSKeyOf(m.Issuer)
	if err != nil || bbsKey == "" {
		return nil
	}
	d, err := credential.VerifyDerived(ctx, m.Credential, credential.DerivedOptions{Issuer: m.Issuer, BBSKey: bbsKey, Now: m.Created})
	if err != nil {
		return nil
	}
	return d.Status
}
