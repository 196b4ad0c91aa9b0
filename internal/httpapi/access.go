package httpapi

import (
	"net/http"
	"time"

	"github.com/verdictlab/verdict/api"
)

// Access routes: the host admits and revokes did:keys and makes
// invitation codes of an invite-only task; a participant redeems a code
// with a signed request. The refusals of the engine name the rule
// (engine.AccessError, engine.ErrInvitation).

// admissions lists the participants admitted to a task. Host only.
func (s *Server) admissions(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "list a task's admissions")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	as, err := s.e.Admissions(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, as)
}

// hostBody identifies the host and decodes its JSON body into v.
func (s *Server) hostBody(w http.ResponseWriter, r *http.Request, what string, v any) (caller, error) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, what)
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err == nil {
		err = decodeJSON(body, v)
	}
	return c, err
}

// admit admits did:keys to an invite-only task. Host only.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) {
	var in api.Admit
	c, err := s.hostBody(w, r, "admit participants", &in)
	if err != nil {
		s.fail(w, err)
		return
	}
	added, err := s.e.Admit(hostActor(r, c, in.Reason), r.PathValue("id"), in.Participants...)
	if err != nil {
		s.fail(w, err)
		return
	}
	if added == nil {
		added = []string{}
	}
	writeJSON(w, http.StatusOK, api.Admitted{Task: r.PathValue("id"), Participants: added})
}

// revokeAccess withdraws admissions to an invite-only task. Host only.
func (s *Server) revokeAccess(w http.ResponseWriter, r *http.Request) {
	var in api.Admit
	c, err := s.hostBody(w, r, "revoke admissions", &in)
	if err != nil {
		s.fail(w, err)
		return
	}
	removed, err := s.e.RevokeAccess(hostActor(r, c, in.Reason), r.PathValue("id"), in.Participants...)
	if err != nil {
		s.fail(w, err)
		return
	}
	if removed == nil {
		removed = []string{}
	}
	writeJSON(w, http.StatusOK, api.Admitted{Task: r.PathValue("id"), Participants: removed})
}

// invite makes single-use invitation codes of an invite-only task, shown
// this once. Host only.
func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	var in api.Invite
	c, err := s.hostBody(w, r, "make invitation codes", &in)
	if err != nil {
		s.fail(w, err)
		return
	}
	var ttl time.Duration
	if in.Expires != "" {
		if ttl, err = time.ParseDuration(in.Expires); err != nil {
			s.fail(w, refuse(http.StatusBadRequest, "bad_request", "expires: %q is not a duration (e.g. 72h)", in.Expires))
			return
		}
	}
	invs, err := s.e.Invite(hostActor(r, c, in.Reason), r.PathValue("id"), in.Count, ttl)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, api.Invitations{Task: r.PathValue("id"), Invitations: invs})
}

// redeem binds an invitation code to the participant who signed the
// request and admits them.
func (s *Server) redeem(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil && c.participant == "" {
		err = refuse(http.StatusUnauthorized, "unauthorized", "redeem an invitation: sign the request with the did:key to admit (verdict task join --key FILE)")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var in api.Redeem
	if err == nil {
		err = decodeJSON(body, &in)
	}
	if err == nil {
		err = s.e.Redeem(r.Context(), r.PathValue("id"), in.Code, c.participant)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Redeemed{Task: r.PathValue("id"), Participant: c.participant})
}

// admitByCredential admits the participant who signed the request on the
// Verifiable Credential in its body, if a rule of the task accepts it.
func (s *Server) admitByCredential(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil && c.participant == "" {
		err = refuse(http.StatusUnauthorized, "unauthorized", "admission by credential: sign the request with the did:key the credential is about (verdict task join --credential FILE --key FILE)")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err == nil {
		err = s.e.AdmitByCredential(r.Context(), r.PathValue("id"), c.participant, body)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Redeemed{Task: r.PathValue("id"), Participant: c.participant})
}
