package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// hostActor is who a host action taken over HTTP is recorded as in the
// audit trail.
func hostActor(r *http.Request, c caller, reason string) context.Context {
	return engine.WithActor(r.Context(), engine.Actor{Who: "host via HTTP from " + c.addr, Why: reason})
}

// audit serves a task's audit trail: in full to the host, the time,
// action and summary of each entry to anyone else.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	trail, err := s.e.AuditTrail(r.PathValue("id"), c.viewer())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, trail)
}

// rescoreTask re-runs a task's submissions (engine.Rescore). Host only. The
// body is JSON options, or none; or, to replace the task's dataset, a
// multipart upload with a "data" part (the corrected dataset) and an
// optional "options" part (the JSON options). An interrupted rescore (the
// client hung up) resumes when it is asked again.
func (s *Server) rescoreTask(w http.ResponseWriter, r *http.Request) {
	// A dataset is streamed to disk, never held in memory: like a task's
	// creation, the caller is known from the Authorization header alone.
	if credential.IsSignedRequest(r.Header) {
		s.fail(w, refuse(http.StatusForbidden, "forbidden", "rescore a task: only the host may"))
		return
	}
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "rescore a task")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var opts engine.RescoreOptions
	var reason string
	dir := ""
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		if dir, err = os.MkdirTemp("", "verdict-rescore-*"); err != nil {
			s.fail(w, err)
			return
		}
		defer os.RemoveAll(dir)
		if opts, reason, err = s.receiveRescore(w, r, dir); err != nil {
			s.fail(w, err)
			return
		}
	} else {
		body, err := s.readBody(w, r, c, s.cfg.MaxBodyBytes)
		if err != nil {
			s.fail(w, err)
			return
		}
		var in api.RescoreOptions
		if len(body) > 0 {
			if err := decodeJSON(body, &in); err != nil {
				s.fail(w, err)
				return
			}
		}
		opts.Submissions, reason = in.Submissions, in.Reason
	}
	// A rescore runs every model again: it may outlast the server's
	// write timeout, which is lifted for it (the client's own timeout
	// still interrupts it, and asking again resumes it).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	rep, err := s.e.Rescore(hostActor(r, c, reason), r.PathValue("id"), opts)
	if err != nil {
		if dir != "" {
			err = uploadError(err, dir)
		}
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// receiveRescore reads a rescore's multipart upload: the dataset goes to
// a file in dir.
func (s *Server) receiveRescore(w http.ResponseWriter, r *http.Request, dir string) (opts engine.RescoreOptions, reason string, err error) {
	bad := func(format string, args ...any) error {
		return refuse(http.StatusBadRequest, "bad_request", "rescore: "+format, args...)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxDatasetBytes+s.cfg.MaxBodyBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return opts, reason, bad("%v", err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return opts, reason, tooLargeOr(err, bad)
		}
		switch p.FormName() {
		case "options":
			b, err := io.ReadAll(io.LimitReader(p, s.cfg.MaxBodyBytes+1))
			if err != nil {
				return opts, reason, tooLargeOr(err, bad)
			}
			if int64(len(b)) > s.cfg.MaxBodyBytes {
				return opts, reason, refuse(http.StatusRequestEntityTooLarge, "too_large", "rescore: options larger than %d bytes", s.cfg.MaxBodyBytes)
			}
			var in api.RescoreOptions
			if err := decodeJSON(b, &in); err != nil {
				return opts, reason, err
			}
			opts.Submissions, reason = in.Submissions, in.Reason
		case "data":
			if opts.Dataset != "" {
				return opts, reason, bad("more than one data part")
			}
			tmp, err := saveData(p, dir, s.cfg.MaxDatasetBytes)
			if err != nil {
				return opts, reason, tooLargeOr(err, bad)
			}
			// The file keeps the name it was uploaded under, so that an
			// error about it names what the host sent.
			name := filepath.Base(p.FileName())
			if name == "" || name == "." || name == ".." || name == string(filepath.Separator) || strings.ContainsAny(name, `/\`) {
				name = "dataset"
			}
			opts.Dataset = filepath.Join(dir, name)
			if err := os.Rename(tmp, opts.Dataset); err != nil {
				return opts, reason, err
			}
		default:
			return opts, reason, bad("unknown part %q (want data and options)", p.FormName())
		}
	}
	if opts.Dataset == "" {
		return opts, reason, bad("a multipart rescore needs a data part (the corrected dataset); without one, send JSON options")
	}
	return opts, reason, nil
}

// verifyTask re-runs a task's submissions without storing anything and
// compares them bit for bit with the stored ones (engine.Verify). Host
// only: the report names private values. A mismatch is in the report,
// not an error.
func (s *Server) verifyTask(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "verify a task")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	body, err := s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.VerifyOptions
	if len(body) > 0 {
		if err := decodeJSON(body, &in); err != nil {
			s.fail(w, err)
			return
		}
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{}) // see rescoreTask
	rep, err := s.e.Verify(r.Context(), r.PathValue("id"), engine.VerifyOptions{Submissions: in.Submissions})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
