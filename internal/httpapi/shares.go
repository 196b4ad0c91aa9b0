package httpapi

import (
	"net/http"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// Revenue shares and author prices. A team member signs
// POST /v1/tasks/{id}/teams/{team}/shares with the split they ask for;
// it is in force once every member asked for the same (the host's
// request records it at once). A model's author (or a member of its
// team) signs POST /v1/market/{id}/price; the host may always set it.

// teamShares sends a team's revenue split: in force, and what each
// member asked for.
func (s *Server) teamShares(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = s.e.CheckAccess(r.PathValue("id"), c.viewer())
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	a, err := s.m.Shares(r.PathValue("id"), r.PathValue("team"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// agreeShares records the split the caller (a member, as themself, or
// the host, for the team) asks for.
func (s *Server) agreeShares(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needCaller(c, "agree a team's revenue shares")
	}
	if err == nil {
		err = s.e.CheckAccess(r.PathValue("id"), c.viewer())
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var in api.Shares
	if err == nil {
		err = decodeJSON(body, &in)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	by := c.participant
	if c.host {
		by = market.HostCaller
	}
	ws := make([]ledger.Weight, len(in.Shares))
	for i, x := range in.Shares {
		ws[i] = ledger.Weight{Party: x.Party, BasisPoints: x.BasisPoints}
	}
	a, err := s.m.AgreeShares(r.PathValue("id"), r.PathValue("team"), by, ws)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// setPrice sets a listing's price as its author or the host.
func (s *Server) setPrice(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needCaller(c, "set a model's price")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var in api.Price
	if err == nil {
		err = decodeJSON(body, &in)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	by := c.participant
	if c.host {
		by = market.HostCaller
	}
	id := r.PathValue("id")
	if err := s.m.SetPriceAs(id, in.PricePer1000, by); err != nil {
		s.fail(w, err)
		return
	}
	me, err := s.m.Entry(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Price{Model: me.ID, PricePer1000: me.PricePer1000})
}
