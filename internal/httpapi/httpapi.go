package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// Server serves the API over an engine. It is an http.Handler.
type Server struct {
	e   *engine.Engine
	log *slog.Logger
	mux *http.ServeMux
}

var _ http.Handler = (*Server)(nil)

// New returns the API over e, logging each request to log (nil: discard).
func New(e *engine.Engine, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{e: e, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /v1/tasks", s.tasks)
	s.mux.HandleFunc("GET /v1/tasks/{id}", s.task)
	s.mux.HandleFunc("GET /v1/tasks/{id}/leaderboard", s.leaderboard)
	s.mux.HandleFunc("GET /v1/submissions/{id}", s.submission)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s
}

// ServeHTTP logs the request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	s.log.Info("http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
		"ms", float64(time.Since(start).Microseconds())/1000)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// anonymous is the viewer of every request in this slice: no roles yet.
var anonymous = engine.Viewer{}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// taskView is a task's public face and where it is in its schedule.
type taskView struct {
	engine.TaskInfo
	State engine.State `json:"state"`
}

func (s *Server) tasks(w http.ResponseWriter, _ *http.Request) {
	ts, err := s.e.Tasks()
	if err != nil {
		s.fail(w, err)
		return
	}
	out := make([]taskView, 0, len(ts))
	for _, t := range ts {
		st, err := s.e.TaskState(t.Spec.ID)
		if err != nil {
			s.fail(w, err)
			return
		}
		out = append(out, taskView{TaskInfo: t.Info(), State: st})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	t, err := s.e.Task(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	st, err := s.e.TaskState(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, taskView{TaskInfo: t.Info(), State: st})
}

func (s *Server) leaderboard(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	private := false
	if v := r.URL.Query().Get("private"); v != "" {
		p, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "private: "+strconv.Quote(v)+" is not a boolean")
			return
		}
		private = p
	}
	entries, err := s.e.Leaderboard(id, anonymous, private)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": id, "private": private, "entries": entries})
}

func (s *Server) submission(w http.ResponseWriter, r *http.Request) {
	sub, err := s.e.Submission(r.PathValue("id"), anonymous)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// fail maps an engine error to its HTTP status and a stable kind.
func (s *Server) fail(w http.ResponseWriter, err error) {
	status, kind := http.StatusInternalServerError, "internal"
	switch {
	case errors.Is(err, engine.ErrNotFound):
		status, kind = http.StatusNotFound, "not_found"
	case errors.Is(err, engine.ErrForbidden):
		status, kind = http.StatusForbidden, "forbidden"
	case errors.Is(err, engine.ErrBadRequest), errors.Is(err, engine.ErrInvalidSpec):
		status, kind = http.StatusBadRequest, "bad_request"
	case errors.Is(err, engine.ErrClosed), errors.Is(err, engine.ErrNotOpen):
		status, kind = http.StatusConflict, "closed"
	case errors.Is(err, engine.ErrQuotaExceeded):
		status, kind = http.StatusTooManyRequests, "quota"
	case errors.Is(err, engine.ErrQueueFull):
		status, kind = http.StatusServiceUnavailable, "queue_full"
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("http internal error", "err", err)
		msg = "internal error" // never leak host paths or store details
	}
	writeError(w, status, kind, msg)
}

func writeError(w http.ResponseWriter, status int, kind, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"kind": kind, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
