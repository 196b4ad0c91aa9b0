package httpapi

import (
	"net/http"

	"github.com/verdictlab/verdict/market"
)

// The registry of trusted issuers (market.TrustedIssuer) over the API:
// anyone may read it (whom this marketplace vouches for is public, and
// GET /v1/market/issuers publishes it signed by the host); only the host
// changes it, each change appended to the trust log with "host via HTTP
// from ADDR" and the reason given, as the CLI records the local user.

// trustList is the registry, unsigned: the host and its trusted issuers.
func (s *Server) trustList(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(w, r); err != nil {
		s.fail(w, err)
		return
	}
	reg, err := s.m.Registry()
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reg)
}

// signedIssuers publishes the registry signed by the host
// (market.ParseRegistry verifies it).
func (s *Server) signedIssuers(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(w, r); err != nil {
		s.fail(w, err)
		return
	}
	b, err := s.m.SignedRegistry()
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(b)
}

// trustAdd trusts an issuer, or replaces its entry. Host only.
func (s *Server) trustAdd(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "trust an issuer")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var in market.TrustRequest
	if err == nil {
		err = decodeJSON(body, &in)
	}
	if err == nil && in.Issuer.Since.IsZero() {
		in.Issuer.Since = s.e.Now().UTC().Truncate(1e9)
	}
	if err == nil {
		err = checkReason(in.Reason)
	}
	if err == nil {
		err = s.m.Trust(hostActor(r, c, in.Reason), in.Issuer)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in.Issuer)
}

// trustRemove stops trusting an issuer; ?reason= is for the trust log.
// Host only.
func (s *Server) trustRemove(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "stop trusting an issuer")
	}
	reason := r.URL.Query().Get("reason")
	if err == nil {
		err = checkReason(reason)
	}
	did := r.PathValue("did")
	if err == nil {
		err = s.m.Untrust(hostActor(r, c, reason), did)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": did})
}

// trustLog is every change of the registry, oldest first: who and why
// included, so host only.
func (s *Server) trustLog(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "read the trust log")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	log, err := s.m.TrustLog()
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, log)
}

// maxReason bounds the reason of a registry change.
const maxReason = 1000

func checkReason(reason string) error {
	if len(reason) > maxReason {
		return refuse(http.StatusBadRequest, "bad_request", "reason: %d bytes, more than %d", len(reason), maxReason)
	}
	return nil
}
