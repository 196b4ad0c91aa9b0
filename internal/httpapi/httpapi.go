package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/issuer"
	"github.com/verdictlab/verdict/market"
)

// Defaults of Config.
const (
	// DefaultMaxDatasetBytes bounds a held-out dataset uploaded with a new
	// task.
	DefaultMaxDatasetBytes = 256 << 20
	// DefaultMaxBodyBytes bounds every other request body (JSON, a
	// credential to verify).
	DefaultMaxBodyBytes = 1 << 20
	// DefaultUploadRate and DefaultUploadBurst are the token bucket of
	// each participant's uploads (per second, and how many at once).
	DefaultUploadRate  = 1.0
	DefaultUploadBurst = 10
	// DefaultIPUploadRate and DefaultIPUploadBurst are the token bucket of
	// signed uploads from one client address, whoever signs them.
	DefaultIPUploadRate  = 5.0
	DefaultIPUploadBurst = 50
	// DefaultAnonymousRate and DefaultAnonymousBurst are the token bucket
	// of anonymous uploads and ingests (each refused) from one client
	// address, a budget no signed request shares.
	DefaultAnonymousRate  = 5.0
	DefaultAnonymousBurst = 50
	// DefaultMaxInflightBytes bounds the request bodies the server holds
	// at once; DefaultClientInflightBytes those of one client (a
	// participant, the host, an anonymous address). A client's bound is
	// above the largest default upload (engine.DefaultMaxModuleMB) and
	// bundle.
	DefaultMaxInflightBytes    = 256 << 20
	DefaultClientInflightBytes = 96 << 20
	// DefaultPollInterval is how often a submission's event stream reads
	// its stored status.
	DefaultPollInterval = 100 * time.Millisecond
)

// Config configures a Server. Only Engine is required; zero values take the
// documented defaults.
type Config struct {
	// Engine is the engine the API is an adapter over.
	Engine *engine.Engine
	// Market is the engine's marketplace, which the /v1/market routes
	// serve; nil opens one over Engine (market.Open).
	Market *market.Market
	// Quota bounds each caller's metered use of marketplace models per
	// UTC day (POST /v1/market/{id}/predict); zero fields take the
	// market defaults (market.DefaultRowsPerDay, DefaultCallsPerDay).
	Quota market.Quota
	// Log receives one JSON line per request and each internal error; nil
	// discards.
	Log *slog.Logger
	// DataDir holds the host tokens (see CreateToken); "" accepts no host
	// token, so only participants and visitors are served.
	DataDir string
	// Pages, if set, serves every path outside the API (the web pages,
	// internal/web); nil answers them with a JSON 404.
	Pages http.Handler
	// MaxDatasetBytes bounds a dataset uploaded with a new task; default
	// DefaultMaxDatasetBytes. A module upload is bounded by its task's
	// limits.max_module_mb.
	MaxDatasetBytes int64
	// MaxBodyBytes bounds other request bodies; default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// UploadRate and UploadBurst limit each participant's uploads;
	// defaults DefaultUploadRate, DefaultUploadBurst. The host is not
	// limited.
	UploadRate  float64
	UploadBurst int
	// IPUploadRate and IPUploadBurst limit signed uploads per client
	// address, counted once the signature holds; defaults
	// DefaultIPUploadRate, DefaultIPUploadBurst.
	IPUploadRate  float64
	IPUploadBurst int
	// AnonymousRate and AnonymousBurst limit anonymous uploads and
	// ingests per client address (answered 401, or 429 past the budget);
	// defaults DefaultAnonymousRate, DefaultAnonymousBurst.
	AnonymousRate  float64
	AnonymousBurst int
	// MaxInflightBytes bounds the request bodies held at once, and
	// ClientInflightBytes those of one client; defaults
	// DefaultMaxInflightBytes, DefaultClientInflightBytes. A body is
	// reserved (its Content-Length, else the most its caller may send)
	// only once its caller is identified and allowed to send it; a request
	// beyond a bound is refused (413 if it alone exceeds it, 429 for the
	// client's bound, 503 for the server's), never read.
	MaxInflightBytes    int64
	ClientInflightBytes int64
	// SignatureWindow is how far a signed request's time may be from the
	// server's clock; default credential.DefaultRequestWindow.
	SignatureWindow time.Duration
	// PollInterval is how often an event stream reads a submission's
	// status; default DefaultPollInterval.
	PollInterval time.Duration
	// Now is the clock signatures are checked against; default time.Now.
	Now func() time.Time
	// Issuer, if set, serves the VC-API issuer (POST /credentials/issue
	// and /credentials/status, GET /issuer/status/{purpose}) to the host;
	// nil answers them 404. POST /credentials/verify is always served.
	Issuer *issuer.Issuer
}

// Validate reports a missing engine and negative limits.
func (c Config) Validate() error {
	if c.Engine == nil {
		return errors.New("httpapi: config: Engine is nil")
	}
	if c.MaxDatasetBytes < 0 || c.MaxBodyBytes < 0 || c.UploadRate < 0 || c.UploadBurst < 0 ||
		c.IPUploadRate < 0 || c.IPUploadBurst < 0 || c.AnonymousRate < 0 || c.AnonymousBurst < 0 ||
		c.MaxInflightBytes < 0 || c.ClientInflightBytes < 0 || c.SignatureWindow < 0 || c.PollInterval < 0 {
		return fmt.Errorf("httpapi: config: limits must not be negative: %+v", c.limits())
	}
	return nil
}

func (c Config) limits() map[string]any {
	return map[string]any{"max_dataset_bytes": c.MaxDatasetBytes, "max_body_bytes": c.MaxBodyBytes,
		"upload_rate": c.UploadRate, "upload_burst": c.UploadBurst, "ip_upload_rate": c.IPUploadRate,
		"ip_upload_burst": c.IPUploadBurst, "anonymous_rate": c.AnonymousRate, "anonymous_burst": c.AnonymousBurst,
		"max_inflight_bytes": c.MaxInflightBytes, "client_inflight_bytes": c.ClientInflightBytes,
		"signature_window": c.SignatureWindow, "poll_interval": c.PollInterval}
}

// Server serves the API over an engine. It is an http.Handler.
type Server struct {
	cfg      Config
	e        *engine.Engine
	m        *market.Market
	log      *slog.Logger
	mux      *http.ServeMux
	tokens   *tokens
	buyers   *tokens // buyer tokens (buyertokens.go)
	replays  *replays
	ipRate   *limiter
	whoRate  *limiter
	anonRate *limiter
	inflight *inflight
	metrics  *metrics
	// mcpHandler serves /mcp (mcp.go).
	mcpHandler http.Handler

	idPrefix  string // this server's start, in base 36: request ids are idPrefix-N
	requestID atomic.Uint64

	stopOnce sync.Once
	stopping chan struct{} // closed by CloseStreams
}

var _ http.Handler = (*Server)(nil)

// New returns the API over cfg.Engine. It registers an observer on the
// engine for the evaluation metrics.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxDatasetBytes == 0 {
		cfg.MaxDatasetBytes = DefaultMaxDatasetBytes
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.UploadRate == 0 {
		cfg.UploadRate = DefaultUploadRate
	}
	if cfg.UploadBurst == 0 {
		cfg.UploadBurst = DefaultUploadBurst
	}
	if cfg.IPUploadRate == 0 {
		cfg.IPUploadRate = DefaultIPUploadRate
	}
	if cfg.IPUploadBurst == 0 {
		cfg.IPUploadBurst = DefaultIPUploadBurst
	}
	if cfg.AnonymousRate == 0 {
		cfg.AnonymousRate = DefaultAnonymousRate
	}
	if cfg.AnonymousBurst == 0 {
		cfg.AnonymousBurst = DefaultAnonymousBurst
	}
	if cfg.MaxInflightBytes == 0 {
		cfg.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if cfg.ClientInflightBytes == 0 {
		cfg.ClientInflightBytes = DefaultClientInflightBytes
	}
	if cfg.SignatureWindow == 0 {
		cfg.SignatureWindow = credential.DefaultRequestWindow
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Market == nil {
		m, err := market.Open(context.Background(), cfg.Engine)
		if err != nil {
			return nil, err
		}
		cfg.Market = m
	}
	cfg.Market.SetQuota(cfg.Quota)
	s := &Server{
		cfg: cfg, e: cfg.Engine, m: cfg.Market, log: cfg.Log, mux: http.NewServeMux(),
		tokens:   &tokens{dir: cfg.DataDir},
		buyers:   &tokens{dir: cfg.DataDir, file: BuyerTokenFile, prefix: buyerTokenPrefix},
		replays:  newReplays(cfg.SignatureWindow),
		ipRate:   newLimiter(cfg.IPUploadRate, cfg.IPUploadBurst),
		whoRate:  newLimiter(cfg.UploadRate, cfg.UploadBurst),
		anonRate: newLimiter(cfg.AnonymousRate, cfg.AnonymousBurst),
		inflight: newInflight(cfg.MaxInflightBytes, cfg.ClientInflightBytes),
		metrics:  newMetrics(),
		idPrefix: strconv.FormatInt(time.Now().UnixNano(), 36),
		stopping: make(chan struct{}),
	}
	s.e.Observe(s.metrics.evaluation)
	s.mcpHandler = s.newMCPHandler()
	for _, rt := range s.routes() {
		s.mux.HandleFunc(rt.method+" "+rt.path, rt.handler)
	}
	s.mux.HandleFunc("/", s.notFound)
	return s, nil
}

// SetPages sets Config.Pages: the handler of every path outside the API.
// Call it before serving; it is for pages that need the Server itself
// (its Viewer).
func (s *Server) SetPages(h http.Handler) { s.cfg.Pages = h }

// CloseStreams ends the event streams in flight and refuses new ones, so
// that http.Server.Shutdown need not wait for them: register it with
// http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() {
	s.stopOnce.Do(func() { close(s.stopping) })
}

// ServeHTTP dispatches the request, then logs it and counts it. Each
// request gets an id, sent back as X-Request-Id and logged; a panic in a
// handler is logged with it and answered 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := fmt.Sprintf("%s-%d", s.idPrefix, s.requestID.Add(1))
	w.Header().Set("X-Request-Id", id)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		for _, release := range rec.release {
			release()
		}
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("http handler panic", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, http.StatusInternalServerError, "internal", "internal error (request "+id+")")
			}
		}
		d := time.Since(start)
		route := r.Pattern
		if route == "/" || route == "" {
			route = "other"
		}
		s.metrics.request(route, rec.status, d)
		s.log.Info("http", "request_id", id, "method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
			"bytes", rec.bytes, "ms", float64(d.Microseconds())/1000, "remote", clientIP(r), "who", rec.who)
	}()
	s.mux.ServeHTTP(rec, r)
}

// statusRecorder keeps what the log line needs. It passes Flush through,
// for the event streams.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	who    string
	wrote  bool
	// release returns the request's bytes in flight (readBody), when the
	// request ends.
	release []func()
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status, r.wrote = code, true
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT"} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := s.mux.Handler(r2); pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" "+r.URL.Path+": allowed: "+strings.Join(allow, ", "))
		return
	}
	if s.cfg.Pages != nil && !strings.HasPrefix(r.URL.Path, "/v1/") {
		s.cfg.Pages.ServeHTTP(w, r)
		return
	}
	writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
}

// apiError is a refusal decided by the API itself (not the engine).
type apiError struct {
	status int
	kind   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func refuse(status int, kind, format string, args ...any) error {
	return &apiError{status: status, kind: kind, msg: fmt.Sprintf(format, args...)}
}

// fail maps an error to its HTTP status and a stable kind.
func (s *Server) fail(w http.ResponseWriter, err error) {
	status, kind := http.StatusInternalServerError, "internal"
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status, kind = ae.status, ae.kind
	case errors.As(err, &mbe):
		status, kind = http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, engine.ErrNotFound):
		status, kind = http.StatusNotFound, "not_found"
	case errors.Is(err, engine.ErrNotAdmitted):
		status, kind = http.StatusForbidden, "not_admitted"
	case errors.Is(err, engine.ErrInvitation):
		status, kind = http.StatusForbidden, "invitation"
	case errors.Is(err, engine.ErrCredentialRefused):
		status, kind = http.StatusForbidden, "credential_refused"
	case errors.Is(err, engine.ErrForbidden):
		status, kind = http.StatusForbidden, "forbidden"
	case errors.Is(err, engine.ErrReplayed):
		status, kind = http.StatusConflict, "replayed"
	case errors.Is(err, engine.ErrSignature), errors.Is(err, engine.ErrUnsigned):
		status, kind = http.StatusBadRequest, "signature"
	case errors.Is(err, market.ErrBundle):
		status, kind = http.StatusBadRequest, "bundle"
	case errors.Is(err, engine.ErrBadRequest), errors.Is(err, engine.ErrInvalidSpec):
		status, kind = http.StatusBadRequest, "bad_request"
	case errors.Is(err, engine.ErrExists):
		status, kind = http.StatusConflict, "exists"
	case errors.Is(err, engine.ErrClosed):
		status, kind = http.StatusConflict, "closed"
	case errors.Is(err, engine.ErrNotOpen):
		status, kind = http.StatusConflict, "not_open"
	case errors.Is(err, engine.ErrTeam):
		status, kind = http.StatusConflict, "team"
	case errors.Is(err, engine.ErrQuotaExceeded):
		status, kind = http.StatusTooManyRequests, "quota"
	case errors.Is(err, engine.ErrQueueFull):
		status, kind = http.StatusServiceUnavailable, "queue_full"
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, engine.ErrEngineClosed):
		status, kind = http.StatusServiceUnavailable, "shutting_down"
		w.Header().Set("Retry-After", "5")
	}
	msg := engine.Message(err) // the sentence, without the sentinels' package prefixes
	if status == http.StatusInternalServerError {
		s.log.Error("http internal error", "err", err)
		msg = "internal error" // never leak host paths or store details
	}
	writeError(w, status, kind, msg)
}

func writeError(w http.ResponseWriter, status int, kind, msg string) {
	writeJSON(w, status, api.ErrorBody{Error: api.Error{Kind: kind, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
