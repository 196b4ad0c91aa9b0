package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/issuer"
)

// The W3C CCG VC-API (https://w3c-ccg.github.io/vc-api/): any system can
// ask verdict to verify a credential (public), and the host can have it
// issue one (off unless Config.Issuer is set, host token only).

// vcError maps a credential sentinel to its problem: the VC 2.0 error
// type, verdict's kind, and the HTTP status (400 for a document that is
// not a well-formed credential, 422 for one that does not verify).
var vcErrors = []struct {
	err    error
	kind   string
	typ    string
	status int
}{
	{credential.ErrRevoked, "revoked", verdictErr + "revoked", http.StatusUnprocessableEntity},
	{credential.ErrExpired, "expired", verdictErr + "expired", http.StatusUnprocessableEntity},
	{credential.ErrNotYetValid, "not_yet_valid", verdictErr + "not_yet_valid", http.StatusUnprocessableEntity},
	{credential.ErrStatusOffline, "status_offline", verdictErr + "status_offline", http.StatusUnprocessableEntity},
	{credential.ErrStatusList, "status", verdictErr + "status", http.StatusUnprocessableEntity},
	{credential.ErrStatus, "status", verdictErr + "status", http.StatusUnprocessableEntity},
	{credential.ErrBBSKeyUnknown, "bbs_key_unknown", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrIssuerMismatch, "issuer_mismatch", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrBadSignature, "bad_signature", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrUnsupportedProof, "unsupported_proof", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrVerificationMethod, "verification_method", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrProofPurpose, "proof_purpose", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrContextMismatch, "context_mismatch", vcCryptoErr, http.StatusUnprocessableEntity},
	{credential.ErrNoProof, "no_proof", vcCryptoErr, http.StatusBadRequest},
	{credential.ErrDataModel, "data_model", vcMalformedErr, http.StatusBadRequest},
	{credential.ErrMalformed, "malformed", vcParsingErr, http.StatusBadRequest},
}

const (
	vcParsingErr   = "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"
	vcCryptoErr    = "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR"
	vcMalformedErr = "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
	verdictErr     = "https://verdict.dev/errors#"
)

// problemOf describes a verification or issuance failure.
func problemOf(err error) (api.Problem, int) {
	p := api.Problem{Type: verdictErr + "invalid", Title: "invalid", Detail: engine.Message(err)}
	status := http.StatusUnprocessableEntity
	for _, k := range vcErrors {
		if errors.Is(err, k.err) {
			p.Type, p.Title, status = k.typ, k.kind, k.status
			break
		}
	}
	var fe *credential.FieldError
	if errors.As(err, &fe) {
		p.Field = fe.Field
	}
	return p, status
}

// decodeObject decodes a VC-API body strictly: one JSON object, no
// member v does not name.
func decodeObject(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return refuse(http.StatusBadRequest, "bad_request", "request body: empty, want a JSON object")
	}
	return decodeJSON(body, v)
}

// DecodeVerifyRequest decodes the body of POST /credentials/verify: a
// verifiableCredential (a JSON object) and optional options (an object).
func DecodeVerifyRequest(body []byte) (api.VerifyCredentialRequest, error) {
	var req api.VerifyCredentialRequest
	if err := decodeObject(body, &req); err != nil {
		return req, err
	}
	if !isJSONObject(req.VerifiableCredential) {
		return req, refuse(http.StatusBadRequest, "bad_request", "verifiableCredential: want a JSON object")
	}
	if req.Options != nil && !isJSONObject(req.Options) && string(req.Options) != "null" {
		return req, refuse(http.StatusBadRequest, "bad_request", "options: want a JSON object")
	}
	return req, nil
}

// DecodeIssueRequest decodes the body of POST /credentials/issue: a
// credential (a JSON object) and optional options, whose credentialStatus
// must be a BitstringStatusListEntry (statusPurpose default revocation).
func DecodeIssueRequest(body []byte) (api.IssueCredentialRequest, error) {
	var raw struct {
		Credential json.RawMessage `json:"credential"`
		Options    json.RawMessage `json:"options"`
	}
	var req api.IssueCredentialRequest
	if err := decodeObject(body, &raw); err != nil {
		return req, err
	}
	req.Credential = raw.Credential
	if !isJSONObject(req.Credential) {
		return req, refuse(http.StatusBadRequest, "bad_request", "credential: want a JSON object")
	}
	if raw.Options != nil && string(raw.Options) != "null" {
		// Other VC-API options (created, challenge, mandatoryPointers …)
		// are accepted and not read.
		if !isJSONObject(raw.Options) || json.Unmarshal(raw.Options, &req.Options) != nil {
			return req, refuse(http.StatusBadRequest, "bad_request", "options: want a JSON object with an optional credentialStatus {type, statusPurpose}")
		}
	}
	if req.Options != nil && req.Options.CredentialStatus != nil {
		cs := req.Options.CredentialStatus
		if cs.Type != credential.StatusEntryType {
			return req, refuse(http.StatusBadRequest, "bad_request", "options.credentialStatus.type: %.40q, want %q", cs.Type, credential.StatusEntryType)
		}
		if cs.StatusPurpose == "" {
			cs.StatusPurpose = credential.StatusPurposeRevocation
		}
	}
	return req, nil
}

func isJSONObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

// vcVerify is POST /credentials/verify: public, bounded by MaxBodyBytes.
// It verifies a credential of any type from any did:key issuer
// (credential.VerifyCredential): proof, data model, validity, and each
// status entry against this server's lists; a list elsewhere is an error
// (verdict verifies offline and never fetches it), not a silent pass.
// A bbs-2023 proof (derived or base) verifies against the BBS key bound to
// its issuer by the marketplace (market.Market.BBSKeyOf: this host's pair,
// or a trusted issuer's bbs_did); an issuer without one is
// bbs_key_unknown.
func (s *Server) vcVerify(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var req api.VerifyCredentialRequest
	if err == nil {
		req, err = DecodeVerifyRequest(body)
	}
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusBadRequest {
			writeJSON(w, ae.status, api.VerificationResult{Checks: []string{}, Warnings: []api.Problem{},
				Errors: []api.Problem{{Type: vcParsingErr, Title: ae.kind, Detail: ae.msg}}})
			return
		}
		s.fail(w, err)
		return
	}
	checks := []string{"proof", "dataModel", "validity"}
	res, err := credential.VerifyCredential(r.Context(), req.VerifiableCredential, credential.CredentialOptions{
		Now:        s.cfg.Now(),
		StatusList: s.vcStatusList,
		Resource:   s.resource,
		BBSKeyOf:   s.m.BBSKeyOf,
	})
	if err != nil {
		p, status := problemOf(err)
		writeJSON(w, status, api.VerificationResult{Checks: []string{}, Warnings: []api.Problem{}, Errors: []api.Problem{p}})
		return
	}
	if len(res.Statuses) > 0 {
		checks = append(checks, "status")
	}
	writeJSON(w, http.StatusOK, api.VerificationResult{Verified: true, Checks: checks, Warnings: []api.Problem{}, Errors: []api.Problem{}})
}

// vcStatusList returns a status list this server holds: the host's
// revocation list of certified models, or one of the VC-API issuer's.
func (s *Server) vcStatusList(ctx context.Context, url string) ([]byte, error) {
	if url == s.e.StatusListURL() {
		return s.localStatusList(ctx, url)
	}
	if is := s.cfg.Issuer; is != nil {
		if purpose, ok := is.Purpose(url); ok {
			return is.StatusList(purpose)
		}
	}
	return nil, fmt.Errorf("%.200q is not a list of this server (%s): verdict verifies offline and never fetches another server's list, so this status cannot be checked here: %w",
		url, s.baseURL(), credential.ErrStatusOffline)
}

// baseURL is the engine's public URL.
func (s *Server) baseURL() string {
	return strings.TrimSuffix(s.e.StatusListURL(), "/status/"+engine.StatusListName)
}

// resource returns a document this server publishes, for relatedResource
// digests: verdict's JSON-LD context and the OpenAPI document.
func (s *Server) resource(url string) ([]byte, bool) {
	switch url {
	case credential.ContextURL, s.baseURL() + "/credentials/v1":
		return credential.ContextDocument(), true
	case s.baseURL() + "/openapi.json":
		return OpenAPI(), true
	}
	return nil, false
}

// issuerOff refuses the issuer routes of a server without an issuer.
func (s *Server) issuerOff() error {
	if s.cfg.Issuer == nil {
		return refuse(http.StatusNotFound, "issuer_off", "this server does not issue credentials through the VC-API: start it with verdict serve --issuer-api")
	}
	return nil
}

// vcIssue is POST /credentials/issue: the host has the VC-API issuer sign
// a credential (issuer.Issuer.Issue), 201 with it.
func (s *Server) vcIssue(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "issue a credential")
	}
	if err == nil {
		err = s.issuerOff()
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var req api.IssueCredentialRequest
	if err == nil {
		req, err = DecodeIssueRequest(body)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var opts issuer.Options
	if req.Options != nil && req.Options.CredentialStatus != nil {
		opts.StatusPurpose = req.Options.CredentialStatus.StatusPurpose
	}
	signed, err := s.cfg.Issuer.Issue(req.Credential, opts)
	if err != nil {
		s.failIssue(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.IssueCredentialResponse{VerifiableCredential: signed})
}

// failIssue answers a refused issuance: 422 naming the field for a
// credential the issuer will not sign, 400 for an unsupported status, 503
// for a full list.
func (s *Server) failIssue(w http.ResponseWriter, err error) {
	var fe *credential.FieldError
	switch {
	case errors.As(err, &fe):
		p, _ := problemOf(err)
		writeError(w, http.StatusUnprocessableEntity, p.Title, engine.Message(err))
	case errors.Is(err, issuer.ErrStatusPurpose):
		writeError(w, http.StatusBadRequest, "bad_request", engine.Message(err))
	case errors.Is(err, issuer.ErrListFull):
		writeError(w, http.StatusServiceUnavailable, "list_full", engine.Message(err))
	case errors.Is(err, issuer.ErrUnknownCredential):
		writeError(w, http.StatusNotFound, "not_found", engine.Message(err))
	default:
		s.fail(w, err)
	}
}

// vcStatus is POST /credentials/status: the host sets or clears the
// status of a credential the VC-API issuer put on a list.
func (s *Server) vcStatus(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "change a credential's status")
	}
	if err == nil {
		err = s.issuerOff()
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	var req api.UpdateStatusRequest
	if err == nil {
		err = decodeObject(body, &req)
	}
	if err == nil && (req.CredentialID == "" || len(req.CredentialStatus) == 0) {
		err = refuse(http.StatusBadRequest, "bad_request", "want a credentialId and at least one credentialStatus {type, statusPurpose, status}")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	for _, u := range req.CredentialStatus {
		if u.Type != credential.StatusEntryType {
			s.fail(w, refuse(http.StatusBadRequest, "bad_request", "credentialStatus.type: %.40q, want %q", u.Type, credential.StatusEntryType))
			return
		}
		if err := s.cfg.Issuer.SetStatus(req.CredentialID, u.StatusPurpose, u.Status); err != nil {
			s.failIssue(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// issuerStatusList is GET /issuer/status/{purpose}: the VC-API issuer's
// signed status list of that purpose.
func (s *Server) issuerStatusList(w http.ResponseWriter, r *http.Request) {
	if err := s.issuerOff(); err != nil {
		s.fail(w, err)
		return
	}
	b, err := s.cfg.Issuer.StatusList(r.PathValue("purpose"))
	if errors.Is(err, issuer.ErrStatusPurpose) {
		s.fail(w, refuse(http.StatusNotFound, "not_found", "%s", engine.Message(err)))
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", vcMediaType(r))
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(b)
}

// vcMediaType is the media type a signed credential is served as:
// application/vc (VC 2.0 §6.3), unless the client accepts only JSON
// (application/ld+json or application/json, as JSON-LD document loaders
// ask), which it is too.
func vcMediaType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	switch {
	case accept == "" || strings.Contains(accept, "application/vc") || strings.Contains(accept, "*/*"):
		return "application/vc"
	case strings.Contains(accept, "application/ld+json"):
		return "application/ld+json"
	case strings.Contains(accept, "application/json"):
		return "application/json"
	}
	return "application/vc"
}
