package httpapi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// Credentials are public: a credential exists to be shown and verified by
// anyone. Promotion and revocation are the host's.

func (s *Server) credentials(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	task := r.URL.Query().Get("task")
	if task != "" {
		if _, err := s.e.Task(task); err != nil {
			s.fail(w, err)
			return
		}
	}
	cs, err := s.e.Credentials(task)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.credentialsFor(c, cs))
}

func (s *Server) credential(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	cred, err := s.e.Credential(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.credentialFor(c, *cred))
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "revoke a credential")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.Revoke
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, err)
		return
	}
	cred, err := s.e.Revoke(r.PathValue("id"), in.Reason)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, cred)
}

// verifyKinds name the credential package's refusals.
var verifyKinds = []struct {
	err  error
	kind string
}{
	{credential.ErrRevoked, "revoked"},
	{credential.ErrExpired, "expired"},
	{credential.ErrNotYetValid, "not_yet_valid"},
	{credential.ErrIssuerMismatch, "issuer_mismatch"},
	{credential.ErrBadSignature, "bad_signature"},
	{credential.ErrModelMismatch, "model_mismatch"},
	{credential.ErrNotModelCredential, "not_model_credential"},
	{credential.ErrStatus, "status"},
	{credential.ErrMalformed, "malformed"},
}

// verify checks the credential in the body: its proof, that this server's
// host issued it (or ?issuer=), its validity now and its revocation
// against this server's status list. A credential that does not verify is
// still a 200: the answer is the verification.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	issuer := r.URL.Query().Get("issuer")
	if issuer == "" {
		issuer = s.e.HostDID()
	}
	res, err := credential.VerifyModel(r.Context(), body, credential.VerifyOptions{
		Issuer:     issuer,
		Now:        s.cfg.Now(),
		StatusList: s.localStatusList,
	})
	if err != nil {
		kind := "invalid"
		for _, k := range verifyKinds {
			if errors.Is(err, k.err) {
				kind = k.kind
				break
			}
		}
		writeJSON(w, http.StatusOK, api.Verification{Error: &api.Error{Kind: kind, Message: err.Error()}})
		return
	}
	mc := res.Credential
	sub := &api.Subject{ID: mc.ID, Model: "urn:sha256:" + hex.EncodeToString(mc.Subject.Model[:]), Author: mc.Subject.Author,
		Task: mc.Subject.Task.ID, Rank: mc.Subject.Rank, ValidFrom: mc.ValidFrom}
	writeJSON(w, http.StatusOK, api.Verification{Verified: true, Issuer: res.Issuer, StatusChecked: res.StatusChecked, Subject: sub})
}

// localStatusList fetches this server's status list from the data dir.
func (s *Server) localStatusList(_ context.Context, url string) ([]byte, error) {
	if url != s.e.StatusListURL() {
		return nil, fmt.Errorf("status list %s is not this server's (%s)", url, s.e.StatusListURL())
	}
	return os.ReadFile(s.e.StatusListPath())
}

// statusList serves the signed status list credential where the engine's
// BaseURL says it is published.
// credentialContext serves verdict's JSON-LD context, the second entry of
// every credential's @context (credential.ContextURL): the server at
// that address answers it, and so does every verdict server, at the same
// path, for verifiers that fetch contexts from the issuer.
func (s *Server) credentialContext(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(credential.ContextDocument())
}

func (s *Server) statusList(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("list") != engine.StatusListName {
		s.fail(w, refuse(http.StatusNotFound, "not_found", "status list %q: this server publishes only %q", r.PathValue("list"), engine.StatusListName))
		return
	}
	b, err := os.ReadFile(s.e.StatusListPath())
	if errors.Is(err, fs.ErrNotExist) {
		s.fail(w, refuse(http.StatusNotFound, "not_found", "status list: none yet (it is signed at the first promotion)"))
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", vcMediaType(r)) // VC 2.0 §6.3: application/vc, a credential with an embedded proof
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(b)
}
