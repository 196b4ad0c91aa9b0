package httpapi

import (
	"net/http"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// A hidden credential (engine.HideCredential) is served in full to its
// author and the host, and to everyone else as engine.Credential.Public:
// a selective disclosure without the author.

// credentialFor is cred as c may see it (engine.Engine.CredentialFor).
func (s *Server) credentialFor(c caller, cred engine.Credential) engine.Credential {
	return s.e.CredentialFor(cred, c.viewer())
}

// credentialsFor is cs as c may see them, ordered so as not to give the
// rank of a concealed one away (engine.SortCredentials).
func (s *Server) credentialsFor(c caller, cs []engine.Credential) []engine.Credential {
	out := make([]engine.Credential, len(cs))
	for i, cred := range cs {
		out[i] = s.credentialFor(c, cred)
	}
	engine.SortCredentials(out)
	return out
}

// hide makes a credential visible to visitors only without its author,
// for its author (a request signed by their did:key, or by a member of
// the author team) or the host.
func (s *Server) hide(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needCaller(c, "hide a credential")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.Hide
	if len(body) > 0 {
		if err := decodeJSON(body, &in); err != nil {
			s.fail(w, err)
			return
		}
	}
	if len(in.Reveal) > maxRevealPointers {
		s.fail(w, refuse(http.StatusBadRequest, "bad_request", "%d reveal pointers, at most %d", len(in.Reveal), maxRevealPointers))
		return
	}
	cred, err := s.e.Credential(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if !c.host && !s.isAuthor(cred, c.participant) {
		s.fail(w, refuse(http.StatusForbidden, "forbidden", "hide credential %s: only its author or the host may", cred.ID))
		return
	}
	if cred, err = s.e.HideCredential(cred.ID, in.Reveal); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, cred)
}

// isEntryAuthor reports whether participant is the author of a promoted
// market entry's credential.
func (s *Server) isEntryAuthor(me *market.Entry, participant string) bool {
	if me.Origin != "promoted" || participant == "" {
		return false
	}
	cred, err := s.e.Credential(me.Card.Credential)
	return err == nil && s.isAuthor(cred, participant)
}

// seesEntry reports whether c sees a market entry in full: its credential
// is not hidden, or c is the host or its author.
func (s *Server) seesEntry(c caller, me *market.Entry) (bool, error) {
	if c.host {
		return true, nil
	}
	cred, err := s.m.HiddenCredential(me)
	if err != nil {
		return false, err
	}
	return cred == nil || s.e.SeesCredential(cred, c.viewer()), nil
}

// concealFor makes me what c may see of it (market.Market.Conceal).
func (s *Server) concealFor(c caller, me *market.Entry) error {
	full, err := s.seesEntry(c, me)
	if err != nil || full {
		return err
	}
	_, err = s.m.Conceal(me)
	return err
}
