package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/market"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Defaults of Config.
const (
	// DefaultTop is how many entrants the history chart draws.
	DefaultTop = 5
	// DefaultRefresh is how often an open task's page refreshes its
	// leaderboard in the background.
	DefaultRefresh = 20 * time.Second
)

// Config configures the pages. The zero value serves everything to an
// anonymous visitor.
type Config struct {
	// Market is the engine's marketplace, which the market pages show;
	// nil opens one over the engine (market.New, then CatchUp, whose
	// failure is logged: the pages show what is listed).
	Market *market.Market
	// Viewer says who reads a request; nil means everyone is anonymous
	// (engine.Viewer{}): public leaderboards, the private one after
	// close, credentials, and no submission pages.
	Viewer func(*http.Request) engine.Viewer
	// Log receives one line per failed page; nil discards.
	Log *slog.Logger
	// Top is how many entrants the history chart draws; default DefaultTop.
	Top int
	// Refresh is how often the leaderboard of an open task refreshes
	// itself with a little JavaScript; default DefaultRefresh, negative
	// turns it off.
	Refresh time.Duration
	// Now is the clock credentials are checked at; default time.Now.
	Now func() time.Time
	// API is the path the JSON API (internal/httpapi) is mounted at, for
	// the marketplace's download links; default DefaultAPI, "-" for no
	// links.
	API string
}

// DefaultAPI is where internal/httpapi serves its routes.
const DefaultAPI = "/v1"

// Validate reports a negative Top.
func (c Config) Validate() error {
	if c.Top < 0 {
		return fmt.Errorf("web: config: Top %d must not be negative", c.Top)
	}
	return nil
}

// Server serves the pages over an engine. It is an http.Handler.
type Server struct {
	e     *engine.Engine
	m     *market.Market
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
}

var _ http.Handler = (*Server)(nil)

// New returns the pages over e. It panics on an invalid cfg (see
// Validate): a configuration is the caller's code, not input.
func New(e *engine.Engine, cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if cfg.Viewer == nil {
		cfg.Viewer = func(*http.Request) engine.Viewer { return engine.Viewer{} }
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Top == 0 {
		cfg.Top = DefaultTop
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.API == "" {
		cfg.API = DefaultAPI
	}
	cfg.API = strings.TrimRight(cfg.API, "/")
	if cfg.Market == nil {
		cfg.Market = market.New(e)
		if _, err := cfg.Market.CatchUp(context.Background()); err != nil {
			cfg.Log.Error("market pages: catch up", "err", err)
		}
	}
	s := &Server{e: e, m: cfg.Market, cfg: cfg, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	for _, p := range []string{"tasks", "task", "submission", "credential", "market", "model", "error"} {
		s.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+p+".html"))
	}
	static, _ := fs.Sub(assets, "static") // embedded: cannot fail
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	s.mux.HandleFunc("GET /{$}", s.tasks)
	s.mux.HandleFunc("GET /tasks/{id}", s.task)
	s.mux.HandleFunc("GET /submissions/{id}", s.submission)
	s.mux.HandleFunc("GET /credentials/{id}", s.credential)
	s.mux.HandleFunc("GET /market", s.market)
	s.mux.HandleFunc("GET /market/{id}", s.model)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fmt.Errorf("page %s: %w", r.URL.Path, engine.ErrNotFound))
	})
	return s
}

// ServeHTTP dispatches a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// page is what every template gets: the layout's fields and the page's.
type page struct {
	Title   string
	Refresh int // seconds; 0: no live refresh
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.cfg.Log.Error("web: render", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
	// A page depends on who asks (Config.Viewer) and on the live state.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Vary", "Authorization, Signature, Signature-Input")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders an engine error as a page with its HTTP status; an
// internal error is logged and not shown (no host paths in a page).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, title := http.StatusInternalServerError, "Something went wrong"
	msg := "The server could not build this page. The error was logged."
	switch {
	case errors.Is(err, engine.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Not found", notFoundMessage(err)
	case errors.Is(err, engine.ErrNotAdmitted):
		status, title, msg = http.StatusForbidden, "Invite-only", engine.Message(err)+"."
	case errors.Is(err, engine.ErrForbidden):
		status, title, msg = http.StatusForbidden, "Not yet", engine.Message(err)
	case errors.Is(err, engine.ErrBadRequest):
		status, title, msg = http.StatusBadRequest, "Bad request", engine.Message(err)
	default:
		s.cfg.Log.Error("web: page", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, "error", page{Title: title, Data: map[string]any{"Status": status, "Title": title, "Message": msg}})
}

func notFoundMessage(err error) string {
	return "There is nothing here for you: " + engine.Message(err) + "."
}

// taskRow is one task of the task list.
type taskRow struct {
	engine.TaskInfo
	State    engine.State
	Status   status
	Entrants int
	Leader   *engine.Entry
	Access   string // "" for an open, listed task; else in words
	Hidden   bool   // the viewer is not admitted: no board to show
}

// accessOf says a task's access rules in words, "" for the default (open
// and listed).
func accessOf(a engine.AccessSpec) string {
	switch {
	case a.Invite() && !a.IsListed():
		return "invite-only, unlisted"
	case a.Invite():
		return "invite-only"
	case !a.IsListed():
		return "unlisted"
	}
	return ""
}

// accessRule says who may take part in a task, for its rules.
func accessRule(a engine.AccessSpec) string {
	switch {
	case a.Invite() && !a.IsListed():
		return "invite-only and unlisted: only admitted participants submit, see the leaderboards, or see that the task exists"
	case a.Invite():
		return "invite-only: only admitted participants submit and see the leaderboards"
	case !a.IsListed():
		return "open, unlisted: every participant who signs in may submit; anonymous visitors do not see the task"
	}
	return "open to every participant"
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	v := s.cfg.Viewer(r)
	ts, err := s.e.TasksFor(v) // an unlisted task is not there for whoever may not see it
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]taskRow, 0, len(ts))
	for _, t := range ts {
		st, err := s.e.TaskState(t.Spec.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		row := taskRow{TaskInfo: t.Info(), State: st, Status: statusOf(st), Access: accessOf(t.Spec.Access)}
		board, err := s.e.Leaderboard(t.Spec.ID, v, st.Reveal && t.PrivateRows > 0)
		if errors.Is(err, engine.ErrNotAdmitted) {
			row.Hidden = true // listed, but its board is its participants'
			rows = append(rows, row)
			continue
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i, en := range board {
			if !en.Baseline {
				row.Entrants++
				if row.Leader == nil {
					row.Leader = &board[i]
				}
			}
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "tasks", page{Title: "Tasks", Data: rows})
}

// status is a task's place in its schedule, for people.
type status struct {
	Label string // open, upcoming, closed
	Text  string // "closes Mar 3, 00:00 UTC"
}

func statusOf(st engine.State) status {
	switch {
	case st.Open && !st.End.IsZero():
		return status{"open", "closes " + fmtTime(st.End)}
	case st.Open:
		return status{"open", "open until the host closes it"}
	case st.Reveal:
		return status{"closed", "closed " + fmtTime(st.Closed)}
	case st.Phase != "" && (st.Start.IsZero() || !st.Now.Before(st.Start)):
		// Between phases, or in a final phase without submissions.
		end := "when the host closes it"
		if !st.End.IsZero() {
			end = fmtTime(st.End)
		}
		return status{"upcoming", "phase " + st.Phase + ": no submissions now; results " + end}
	default:
		return status{"upcoming", "opens " + fmtTime(st.Start)}
	}
}

// boardRow is one leaderboard row with a link when the viewer may open
// its submission.
type boardRow struct {
	engine.Entry
	Link string
}

type taskData struct {
	Info        engine.TaskInfo
	Spec        rules
	State       engine.State
	Status      status
	Board       []boardRow
	Private     bool   // Board is the private leaderboard
	Other       string // link to the other board, "" when there is none to see
	Ranked      int
	CIChart     template.HTML
	History     template.HTML
	Credentials []credRow
	Mine        []engine.Submission
	Viewer      engine.Viewer
	// Phases are the task's phases, nil for a task without.
	Phases []engine.Phase
	// Phase names the phase whose board Board is, when one was asked
	// for (?phase=); PhaseBoards link every phase's board that exists.
	Phase       string
	PhaseBoards []phaseBoard
}

// phaseBoard is a link to one phase's board on a task page.
type phaseBoard struct {
	Name  string
	Link  string
	Shown bool // the board on the page
}

// credRow is a credential with its author's display name.
type credRow struct {
	engine.Credential
	Name string
}

// names maps a task's participants to the display names they gave, as
// its leaderboards show them to anyone (the public board, and the private
// one once revealed); an error leaves the map empty: a page then shows ids.
func (s *Server) names(task string) map[string]string {
	out := map[string]string{}
	st, err := s.e.TaskState(task)
	if err != nil {
		return out
	}
	for _, private := range []bool{false, true} {
		if private && !st.Reveal {
			break
		}
		board, err := s.e.Leaderboard(task, engine.Viewer{}, private)
		if err != nil {
			continue
		}
		for _, en := range board {
			if en.Name != "" && !en.Team {
				out[en.Participant] = en.Name
			}
		}
	}
	return out
}

// rules are the parts of a task's spec its participants are told.
type rules struct {
	Mode            string
	Step            float64
	FinalSelections int
	TeamSize        int
	RequireSigned   bool
	Access          string
	PublicPercent   float64
	PublicRows      int
	Gates           []string
}

func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v := s.cfg.Viewer(r)
	t, err := s.e.TaskFor(id, v)
	if err == nil {
		err = s.e.CheckAccess(id, v)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.e.TaskState(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hasPrivate := t.PrivateRows > 0
	private := st.Reveal && hasPrivate
	switch r.URL.Query().Get("board") {
	case "public":
		private = false
	case "private":
		private = hasPrivate
	}
	phase := r.URL.Query().Get("phase")
	board, err := s.e.PhaseLeaderboard(id, v, private, phase)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hist, err := s.e.History(id, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	creds, err := s.e.Credentials(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	phases, err := s.e.Phases(id, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := s.names(id)
	for i := range creds {
		creds[i] = s.e.CredentialFor(creds[i], v)
	}
	engine.SortCredentials(creds)
	var rows []credRow
	for _, c := range creds {
		rows = append(rows, credRow{Credential: c, Name: names[c.Author]})
	}
	pubRows, _ := t.PartRows()
	d := taskData{
		Info: t.Info(), State: st, Status: statusOf(st), Private: private, Credentials: rows, Viewer: v, Phases: phases,
		Spec: rules{
			Mode: t.Spec.Leaderboard.Mode, Step: t.Spec.Leaderboard.Step, FinalSelections: t.Spec.FinalSelections,
			TeamSize: t.Spec.Teams.MaxSize, RequireSigned: t.Spec.RequireSigned, Access: accessRule(t.Spec.Access),
			PublicPercent: math.Round(float64(pubRows) / float64(max(t.Info().Rows, 1)) * 100), PublicRows: pubRows,
			Gates: describeGates(t.Spec.Gates, t.HigherIsBetter),
		},
	}
	switch {
	case private:
		d.Other = "?board=public"
	case hasPrivate && (st.Reveal || v.Host):
		d.Other = "?board=private"
	}
	if d.Other != "" && phase != "" {
		d.Other += "&phase=" + url.QueryEscape(phase)
	}
	for _, p := range phases {
		if p.Final && p.Entered.IsZero() {
			continue // no board before it begins
		}
		if p.ID == phase {
			d.Phase = p.Name
		}
		shown := p.ID == phase || phase == "" && p.Current
		d.PhaseBoards = append(d.PhaseBoards, phaseBoard{Name: p.Name, Link: "?phase=" + url.QueryEscape(p.ID), Shown: shown})
	}
	for _, en := range board {
		row := boardRow{Entry: en}
		if !en.Baseline {
			d.Ranked++
		}
		if v.Host || v.Participant != "" {
			if _, err := s.e.Submission(en.Submission, v); err == nil {
				row.Link = "/submissions/" + en.Submission
			}
		}
		d.Board = append(d.Board, row)
	}
	end := st.Now
	if !st.Closed.IsZero() {
		end = st.Closed
	}
	d.CIChart = ciChart("ci", board, t.Spec.Metric, t.HigherIsBetter)
	d.History = historyChart("history", board, hist, private, s.cfg.Top, end, t.Spec.Metric, t.HigherIsBetter)
	if v.Participant != "" {
		if d.Mine, err = s.e.Submissions(id, v, v.Participant); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p := page{Title: t.Spec.Title, Data: d}
	if st.Open && s.cfg.Refresh > 0 {
		p.Refresh = int(s.cfg.Refresh.Seconds())
	}
	if p.Title == "" {
		p.Title = t.Spec.ID
	}
	s.render(w, r, http.StatusOK, "task", p)
}

// describeGates says each configured gate in words.
func describeGates(g gate.Spec, higher bool) []string {
	var out []string
	if g.MinScore != nil {
		cmp := "≥"
		if !higher {
			cmp = "≤"
		}
		out = append(out, fmt.Sprintf("score %s %s", cmp, fmtScore(*g.MinScore)))
	}
	if g.BeatsBaseline != nil {
		alpha := g.BeatsBaseline.Alpha
		if alpha == 0 {
			alpha = gate.DefaultAlpha
		}
		out = append(out, fmt.Sprintf("beats the baseline (paired bootstrap, p < %g)", alpha))
	}
	if g.MaxLatencyMsPer1kRows != nil {
		out = append(out, fmt.Sprintf("at most %g ms per 1,000 rows", *g.MaxLatencyMsPer1kRows))
	}
	if g.MaxMemoryMB != nil {
		out = append(out, fmt.Sprintf("at most %g MB of memory", *g.MaxMemoryMB))
	}
	if g.Deterministic {
		out = append(out, "deterministic: the same outputs on every run")
	}
	if g.ValidOutputs {
		out = append(out, "valid outputs: finite, probabilities where the task wants them")
	}
	if g.MaxModuleMB != nil {
		out = append(out, fmt.Sprintf("a module of at most %g MB", *g.MaxModuleMB))
	}
	return out
}

// picture is one chart of the submission page.
type picture struct {
	Title string
	SVG   template.HTML
}

type submissionData struct {
	Sub        *engine.Submission
	Info       engine.TaskInfo
	State      engine.State
	Diag       *engine.Diagnostics
	Pictures   []picture
	Credential *engine.Credential
	Viewer     engine.Viewer
}

func (s *Server) submission(w http.ResponseWriter, r *http.Request) {
	v := s.cfg.Viewer(r)
	sub, err := s.e.Submission(r.PathValue("id"), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.e.Task(sub.Task)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.e.TaskState(sub.Task)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := submissionData{Sub: sub, Info: t.Info(), State: st, Viewer: v}
	if d.Diag, err = s.e.Diagnostics(sub.ID, v); err != nil {
		s.fail(w, r, err)
		return
	}
	d.Pictures = pictures(d.Diag)
	creds, err := s.e.Credentials(sub.Task)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i, c := range creds {
		if c.Model == "urn:sha256:"+sub.ModuleSHA256 {
			pub := s.e.CredentialFor(creds[i], v)
			d.Credential = &pub
		}
	}
	p := page{Title: "Submission " + short(sub.ID), Data: d}
	if !st.Reveal && (sub.Status == "received" || sub.Status == "queued" || sub.Status == "running") && s.cfg.Refresh > 0 {
		p.Refresh = 3
	}
	s.render(w, r, http.StatusOK, "submission", p)
}

// pictures draws the diagnostics that fit the task type.
func pictures(d *engine.Diagnostics) []picture {
	var parts []namedPart
	if d.Public != nil {
		parts = append(parts, namedPart{"public", d.Public})
	}
	if d.Private != nil {
		parts = append(parts, namedPart{"private", d.Private})
	}
	var out []picture
	if len(parts) > 0 && len(parts[0].ROC) > 0 {
		out = append(out, picture{"ROC curve", rocChart("roc", parts)})
	}
	for _, p := range parts {
		if p.Confusion != nil {
			out = append(out, picture{"Confusion matrix, " + p.Name + " part", confusionChart("cm-"+p.Name, p.Name, p.Confusion)})
		}
		if p.Scatter != nil {
			out = append(out, picture{"Predicted vs true, " + p.Name + " part", scatterChart("sc-"+p.Name, p.Name, p.Scatter)})
		}
	}
	return out
}

type credentialData struct {
	Cred     *engine.Credential
	Name     string // the author's display name, "" when none
	Higher   bool   // the task's metric: higher is better
	Market   string // the model's marketplace page, "" when it has none
	Result   *credential.ModelResult
	Err      string
	Issuer   string
	Document string // the signed credential, indented
}

func (s *Server) credential(w http.ResponseWriter, r *http.Request) {
	c, err := s.e.Credential(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.e.SeesCredential(c, s.cfg.Viewer(r)) {
		pub := c.Public()
		c = &pub
	}
	d := credentialData{Cred: c, Issuer: s.e.HostDID(), Name: s.names(c.Task)[c.Author], Higher: true}
	if t, err := s.e.Task(c.Task); err == nil {
		d.Higher = t.HigherIsBetter
	}
	if me, err := s.m.Entry(c.ID); err == nil {
		d.Market = "/market/" + me.ID
	}
	res, err := s.verifyAny(r.Context(), c.Signed)
	if err != nil {
		d.Err = err.Error()
	}
	d.Result = res
	var buf bytes.Buffer
	if json.Indent(&buf, c.Signed, "", "  ") == nil {
		d.Document = buf.String()
	}
	s.render(w, r, http.StatusOK, "credential", page{Title: "Credential " + short(c.ID), Data: d})
}

// verify checks a credential as a third party would: the proof, that this
// data dir's host issued it, and its revocation bit in the data dir's
// status list.
func (s *Server) verify(ctx context.Context, signed []byte) (*credential.ModelResult, error) {
	return credential.VerifyModel(ctx, signed, credential.VerifyOptions{
		Issuer:     s.e.HostDID(),
		Now:        s.cfg.Now(),
		StatusList: s.statusList,
	})
}

// statusList reads this data dir's status list, the only one verify
// accepts.
func (s *Server) statusList(_ context.Context, url string) ([]byte, error) {
	if url != s.e.StatusListURL() {
		return nil, fmt.Errorf("status list %s is not this server's", url)
	}
	return os.ReadFile(s.e.StatusListPath())
}

// short is the short form of an id that every page, command and route
// accepts in its place (engine.ShortID).
func short(id string) string { return engine.ShortID(id) }
