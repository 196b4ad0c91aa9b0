package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

// StatementHeader is the header of a raw-body upload's signed statement.
const StatementHeader = api.StatementHeader

// multipartSlack is what a multipart upload may add to the module's bytes:
// boundaries, part headers and a statement.
const multipartSlack = 64 << 10

// upload accepts a module: the raw body (application/wasm or
// application/octet-stream) or a multipart form with a "module" part. A
// participant uploads as themself; the host uploads for ?participant= and
// may mark a ?baseline=true. ?license= is the model's license should it
// enter the marketplace, ?name= a display name shown beside the
// participant's id (claimed, not verified). The answer is 202 with the submission id: the
// evaluation runs in the engine's queue (follow it at Links.Events).
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	// The caller is known from the headers before a byte of the body is
	// read: an anonymous upload is refused unread.
	c, err := s.identify(w, r)
	if err == nil {
		err = s.chargeUpload(w, c, false)
	}
	if err == nil {
		err = needCaller(c, "upload a submission")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := actingAs(c, r, false)
	if err != nil {
		s.fail(w, err)
		return
	}
	baseline, err := boolQuery(r, "baseline")
	if err != nil {
		s.fail(w, err)
		return
	}
	if baseline && !c.host {
		s.fail(w, refuse(http.StatusForbidden, "forbidden", "only the host uploads baselines"))
		return
	}
	task := r.PathValue("id")
	t, err := s.e.Task(task)
	if err != nil {
		s.fail(w, err)
		return
	}
	limit := int64(t.Spec.Limits.MaxModuleMB * (1 << 20))
	if limit <= 0 {
		limit = engine.DefaultMaxModuleMB << 20
	}
	if r.ContentLength > limit+multipartSlack {
		// Refused before the body is read (a client that sent Expect:
		// 100-continue never sends it).
		s.fail(w, refuse(http.StatusRequestEntityTooLarge, "too_large", "upload of %d bytes: the task's modules are at most %d bytes", r.ContentLength, limit))
		return
	}
	body, err := s.readBody(w, r, c, limit+multipartSlack)
	if err != nil {
		s.fail(w, err)
		return
	}
	module, statement, err := uploadParts(r, body)
	if err != nil {
		s.fail(w, err)
		return
	}
	if int64(len(module)) > limit {
		s.fail(w, refuse(http.StatusRequestEntityTooLarge, "too_large", "module is %d bytes, above the task's limit of %d", len(module), limit))
		return
	}
	req := engine.SubmitRequest{Task: task, Participant: who, Module: module, Baseline: baseline,
		License: r.URL.Query().Get("license"), Name: r.URL.Query().Get("name")}
	if statement != nil {
		req.Signed = statement
		if !c.host {
			// The engine checks the statement's signer is the participant.
			req.Participant = c.participant
		}
	}
	sub, err := s.e.Enqueue(r.Context(), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	if sub.Duplicate {
		// The earlier submission, which may be scored: as the caller may
		// see it, like every other read.
		seen, err := s.e.Submission(sub.ID, c.viewer())
		if err != nil {
			s.fail(w, err)
			return
		}
		seen.Duplicate, sub = true, seen
	}
	self := "/v1/submissions/" + sub.ID
	w.Header().Set("Location", self)
	writeJSON(w, http.StatusAccepted, api.Accepted{Submission: sub, Links: api.Links{Self: self, Events: self + "/events"}})
}

// uploadParts splits an upload body into the module and the optional
// signed statement.
func uploadParts(r *http.Request, body []byte) (module, statement []byte, err error) {
	bad := func(format string, args ...any) error {
		return refuse(http.StatusBadRequest, "bad_request", "upload: "+format, args...)
	}
	ct := r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	switch mt {
	case "", "application/wasm", "application/octet-stream":
		if h := r.Header.Get(StatementHeader); h != "" {
			statement = []byte(h)
		}
		return body, statement, nil
	case "multipart/form-data":
	default:
		return nil, nil, refuse(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"upload: Content-Type %q: want application/wasm, application/octet-stream or multipart/form-data", ct)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, bad("%v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, bad("%v", err)
		}
		switch p.FormName() {
		case "module":
			module = b
		case "statement":
			statement = b
		default:
			return nil, nil, bad("unknown part %q (want module and, optionally, statement)", p.FormName())
		}
	}
	if module == nil {
		return nil, nil, bad("no module part")
	}
	return module, statement, nil
}

func (s *Server) submission(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	sub, err := s.e.Submission(r.PathValue("id"), c.viewer())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// submissions lists a task's submissions the caller may see: a
// participant's own (and their team's), or for the host every one
// (?participant= filters).
func (s *Server) submissions(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needCaller(c, "list submissions")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := actingAs(c, r, false)
	if err != nil {
		s.fail(w, err)
		return
	}
	subs, err := s.e.Submissions(r.PathValue("id"), c.viewer(), who)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, subs)
}
