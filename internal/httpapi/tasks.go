package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// TaskView is a task's public face, the competition rules a participant
// plays by, and where it is in its schedule. It never carries the split
// seed or the data path.
type TaskView struct {
	engine.TaskInfo
	// PublicRows and PrivateRows are how many rows score each board.
	PublicRows  int `json:"public_rows"`
	PrivateRows int `json:"private_rows"`
	// FinalSelections, Teams, Leaderboard and RequireSigned are the rules
	// of the spec.
	FinalSelections int                    `json:"final_selections"`
	Teams           engine.TeamsSpec       `json:"teams"`
	Leaderboard     engine.LeaderboardSpec `json:"leaderboard"`
	RequireSigned   bool                   `json:"require_signed,omitempty"`
	State           engine.State           `json:"state"`
}

func (s *Server) taskView(t engine.Task) (TaskView, error) {
	st, err := s.e.TaskState(t.Spec.ID)
	if err != nil {
		return TaskView{}, err
	}
	return TaskView{TaskInfo: t.Info(), PublicRows: t.PublicRows, PrivateRows: t.PrivateRows,
		FinalSelections: t.Spec.FinalSelections, Teams: t.Spec.Teams, Leaderboard: t.Spec.Leaderboard,
		RequireSigned: t.Spec.RequireSigned, State: st}, nil
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.identify(w, r, s.cfg.MaxBodyBytes); err != nil {
		s.fail(w, err)
		return
	}
	ts, err := s.e.Tasks()
	if err != nil {
		s.fail(w, err)
		return
	}
	out := make([]TaskView, 0, len(ts))
	for _, t := range ts {
		v, err := s.taskView(t)
		if err != nil {
			s.fail(w, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.identify(w, r, s.cfg.MaxBodyBytes); err != nil {
		s.fail(w, err)
		return
	}
	t, err := s.e.Task(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	v, err := s.taskView(*t)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// createTask makes a task from a multipart upload: a "spec" part (the YAML
// spec, whose data.test is a bare file name) and a "data" part (the
// held-out dataset). Host only.
func (s *Server) createTask(w http.ResponseWriter, r *http.Request) {
	// The caller is known from the Authorization header alone: the dataset
	// is streamed to disk, never held in memory, so a participant's
	// signature (over the body) is refused unread.
	if credential.IsSignedRequest(r.Header) {
		s.fail(w, refuse(http.StatusForbidden, "forbidden", "create a task: only the host may"))
		return
	}
	c, _, err := s.identify(w, withoutBody(r), 0)
	if err == nil {
		err = needHost(c, "create a task")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	dir, err := os.MkdirTemp("", "verdict-task-*")
	if err != nil {
		s.fail(w, err)
		return
	}
	defer os.RemoveAll(dir)
	specPath, err := s.receiveTask(w, r, dir)
	if err != nil {
		s.fail(w, err)
		return
	}
	t, err := s.e.CreateTask(r.Context(), specPath)
	if err != nil {
		s.fail(w, err)
		return
	}
	v, err := s.taskView(*t)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Location", "/v1/tasks/"+t.Spec.ID)
	writeJSON(w, http.StatusCreated, v)
}

// withoutBody is r with no body, for identifying a caller by header only.
func withoutBody(r *http.Request) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Body = http.NoBody
	return r2
}

// receiveTask stores the spec and data parts in dir and returns the spec's
// path.
func (s *Server) receiveTask(w http.ResponseWriter, r *http.Request, dir string) (string, error) {
	bad := func(format string, args ...any) error {
		return refuse(http.StatusBadRequest, "bad_request", "create task: "+format, args...)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return "", bad("want multipart/form-data with a spec and a data part")
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxDatasetBytes+engine.MaxSpecBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", bad("%v", err)
	}
	var spec []byte
	var data string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", tooLargeOr(err, bad)
		}
		switch p.FormName() {
		case "spec":
			if spec, err = io.ReadAll(io.LimitReader(p, engine.MaxSpecBytes+1)); err != nil {
				return "", tooLargeOr(err, bad)
			}
			if len(spec) > engine.MaxSpecBytes {
				return "", refuse(http.StatusRequestEntityTooLarge, "too_large", "create task: spec larger than %d bytes", engine.MaxSpecBytes)
			}
		case "data":
			if data, err = saveData(p, dir, s.cfg.MaxDatasetBytes); err != nil {
				return "", tooLargeOr(err, bad)
			}
		default:
			return "", bad("unknown part %q (want spec and data)", p.FormName())
		}
	}
	if spec == nil || data == "" {
		return "", bad("want both a spec and a data part")
	}
	parsed, err := engine.ParseSpec(spec)
	if err != nil {
		return "", err
	}
	name := parsed.Data.Test
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", bad("data.test %q: in an upload it is the data file's bare name (e.g. test.csv)", name)
	}
	if err := os.Rename(data, filepath.Join(dir, name)); err != nil {
		return "", err
	}
	specPath := filepath.Join(dir, "task.yaml")
	if name == "task.yaml" {
		specPath = filepath.Join(dir, "spec.yaml")
	}
	return specPath, os.WriteFile(specPath, spec, 0o600)
}

// saveData copies an uploaded dataset to a file in dir.
func saveData(p *multipart.Part, dir string, limit int64) (string, error) {
	f, err := os.CreateTemp(dir, ".data-*")
	if err != nil {
		return "", err
	}
	n, err := io.Copy(f, io.LimitReader(p, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if n > limit {
		return "", refuse(http.StatusRequestEntityTooLarge, "too_large", "create task: dataset larger than the server's %d bytes", limit)
	}
	return f.Name(), nil
}

func tooLargeOr(err error, bad func(string, ...any) error) error {
	var mbe *http.MaxBytesError
	var ae *apiError
	if errors.As(err, &mbe) || errors.As(err, &ae) {
		return err
	}
	return bad("%v", err)
}

func (s *Server) closeTask(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err == nil {
		err = needHost(c, "close a task")
	}
	if err == nil {
		err = s.e.CloseTask(r.PathValue("id"))
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	st, err := s.e.TaskState(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) promote(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err == nil {
		err = needHost(c, "promote a task")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	ps, err := s.e.Promote(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if ps == nil {
		ps = []engine.Promotion{}
	}
	writeJSON(w, http.StatusOK, ps)
}

// boolQuery reads an optional boolean query parameter.
func boolQuery(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, refuse(http.StatusBadRequest, "bad_request", "%s: %q is not a boolean", name, v)
	}
	return b, nil
}

// Leaderboard is a task's ranking as the caller may see it.
type Leaderboard struct {
	Task    string         `json:"task"`
	Private bool           `json:"private"`
	Entries []engine.Entry `json:"entries"`
}

func (s *Server) leaderboard(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, err)
		return
	}
	private, err := boolQuery(r, "private")
	if err != nil {
		s.fail(w, err)
		return
	}
	id := r.PathValue("id")
	entries, err := s.e.Leaderboard(id, c.viewer(), private)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Leaderboard{Task: id, Private: private, Entries: entries})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, err)
		return
	}
	evs, err := s.e.History(r.PathValue("id"), c.viewer())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, evs)
}

// Selections are the submissions a participant (or their team) chose for
// the private leaderboard.
type Selections struct {
	Participant string   `json:"participant"`
	Submissions []string `json:"submissions"`
}

func (s *Server) selections(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := actingAs(c, r, true)
	if err != nil {
		s.fail(w, err)
		return
	}
	task := r.PathValue("id")
	if _, err := s.e.Task(task); err != nil {
		s.fail(w, err)
		return
	}
	ids, err := s.e.Selections(task, who)
	if err != nil {
		s.fail(w, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, Selections{Participant: who, Submissions: ids})
}

func (s *Server) selectSubmissions(w http.ResponseWriter, r *http.Request) {
	c, body, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := actingAs(c, r, true)
	if err != nil {
		s.fail(w, err)
		return
	}
	var in struct {
		Submissions []string `json:"submissions"`
	}
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, err)
		return
	}
	task := r.PathValue("id")
	if err := s.e.Select(task, who, in.Submissions); err != nil {
		s.fail(w, err)
		return
	}
	ids, err := s.e.Selections(task, who)
	if err != nil {
		s.fail(w, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, Selections{Participant: who, Submissions: ids})
}

// decodeJSON decodes a request body strictly: one object, no unknown
// members.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "request body: %v", err)
	}
	if dec.More() {
		return refuse(http.StatusBadRequest, "bad_request", "request body: more than one JSON value")
	}
	return nil
}

func (s *Server) teams(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.identify(w, r, s.cfg.MaxBodyBytes); err != nil {
		s.fail(w, err)
		return
	}
	ts, err := s.e.Teams(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if ts == nil {
		ts = []engine.Team{}
	}
	writeJSON(w, http.StatusOK, ts)
}

// joinTeam adds participants to a team. A participant joins only
// themself (an empty body, or their own DID); the host adds anyone.
func (s *Server) joinTeam(w http.ResponseWriter, r *http.Request) {
	c, body, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err == nil {
		err = needCaller(c, "join a team")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in struct {
		Participants []string `json:"participants"`
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeJSON(body, &in); err != nil {
			s.fail(w, err)
			return
		}
	}
	if !c.host {
		for _, p := range in.Participants {
			if p != c.participant {
				s.fail(w, refuse(http.StatusForbidden, "forbidden", "participant %s may not add %q to a team", c.participant, p))
				return
			}
		}
		in.Participants = []string{c.participant}
	}
	if len(in.Participants) == 0 {
		s.fail(w, refuse(http.StatusBadRequest, "bad_request", "join team: name the participants"))
		return
	}
	tm, err := s.e.JoinTeam(r.PathValue("id"), r.PathValue("team"), in.Participants...)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}

// mergeTeams moves team {team} into the team named by "into". Host only: a
// merge needs both teams' consent, which the host arbitrates.
func (s *Server) mergeTeams(w http.ResponseWriter, r *http.Request) {
	c, body, err := s.identify(w, r, s.cfg.MaxBodyBytes)
	if err == nil {
		err = needHost(c, "merge teams")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in struct {
		Into string `json:"into"`
	}
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, err)
		return
	}
	if in.Into == "" {
		s.fail(w, refuse(http.StatusBadRequest, "bad_request", "merge: name the team to merge into (\"into\")"))
		return
	}
	tm, err := s.e.MergeTeams(r.PathValue("id"), r.PathValue("team"), in.Into)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}
