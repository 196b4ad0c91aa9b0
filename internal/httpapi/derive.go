package httpapi

import (
	"net/http"
	"slices"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

// maxRevealPointers bounds the pointers of one derive request.
const maxRevealPointers = 64

// isAuthor reports whether participant is cred's author: the participant
// it certifies, or a member of that team.
func (s *Server) isAuthor(cred *engine.Credential, participant string) bool {
	if participant == "" {
		return false
	}
	if participant == cred.Author {
		return true
	}
	teams, err := s.e.Teams(cred.Task)
	if err != nil {
		return false
	}
	for _, t := range teams {
		if t.Name == cred.Author && slices.Contains(t.Members, participant) {
			return true
		}
	}
	return false
}

// derive makes a selective disclosure of a credential for its author (a
// request signed by the author's did:key, or by a member of the author
// team) or the host: the derived
// credential JSON, as credential.Derive writes it.
func (s *Server) derive(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needCaller(c, "derive a credential")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.Derive
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, err)
		return
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
		s.fail(w, refuse(http.StatusForbidden, "forbidden", "derive credential %s: only its author or the host may", cred.ID))
		return
	}
	derived, err := s.e.DeriveCredential(cred.ID, in.Reveal, []byte(in.Nonce))
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/vc")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(derived)
}
