package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
)

// A credential its author hid (engine.Engine.HideCredential) is shown to
// everyone but its author and the host in its public form: derived, with
// no author (engine.Credential.Public, market.Market.Conceal).

// conceal makes a marketplace entry what the viewer of r may see.
func (s *Server) conceal(r *http.Request, me *market.Entry) error {
	c, err := s.m.HiddenCredential(me)
	if err != nil || c == nil || s.e.SeesCredential(c, s.cfg.Viewer(r)) {
		return err
	}
	_, err = s.m.Conceal(me)
	return err
}

// verifyAny is verify for a credential in full (eddsa-jcs-2022) or in
// its public form (a bbs-2023 selective disclosure, checked against the
// host's BBS key): the result of a disclosure carries its id, model,
// validity and issuer, and nothing it does not reveal.
func (s *Server) verifyAny(ctx context.Context, signed []byte) (*credential.ModelResult, error) {
	kinds, err := credential.Kinds(signed)
	if err != nil || !slices.Equal(kinds, []credential.ProofKind{credential.KindBBSDerived}) {
		return s.verify(ctx, signed)
	}
	d, err := credential.VerifyDerived(ctx, signed, credential.DerivedOptions{
		Issuer: s.e.HostDID(), BBSKey: s.e.HostBBSDID(), Now: s.cfg.Now(), StatusList: s.statusList,
	})
	if err != nil {
		return nil, err
	}
	mc := credential.ModelCredential{ID: d.ID, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, Status: d.Status,
		Subject: credential.ModelSubject{Model: d.Model}}
	return &credential.ModelResult{Credential: mc, Issuer: d.Issuer, StatusChecked: d.StatusChecked}, nil
}
