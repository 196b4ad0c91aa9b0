package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

func (s *Server) taskView(t engine.Task) (api.Task, error) {
	st, err := s.e.TaskState(t.Spec.ID)
	if err != nil {
		return api.Task{}, err
	}
	return api.NewTask(t, st), nil
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	ts, err := s.e.TasksFor(c.viewer())
	if err != nil {
		s.fail(w, err)
		return
	}
	out := make([]api.Task, 0, len(ts))
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
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	t, err := s.e.TaskFor(r.PathValue("id"), c.viewer())
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
	c, err := s.identify(w, r)
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
		s.fail(w, uploadError(err, dir))
		return
	}
	v, err := s.taskView(*t)
	if err != nil {
		s.fail(w, err)
		return
	}
	v.Warnings = t.Warnings
	for _, warning := range t.Warnings {
		s.log.Warn("create task", "task", t.Spec.ID, "warning", warning)
	}
	w.Header().Set("Location", "/v1/tasks/"+t.Spec.ID)
	writeJSON(w, http.StatusCreated, v)
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
	var phaseData []phaseUpload
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
		case "phase_data":
			if len(phaseData) >= engine.MaxPhases {
				return "", bad("more phase_data parts than a spec may have phases (%d)", engine.MaxPhases)
			}
			path, err := saveData(p, dir, s.cfg.MaxDatasetBytes)
			if err != nil {
				return "", tooLargeOr(err, bad)
			}
			phaseData = append(phaseData, phaseUpload{name: p.FileName(), path: path})
		default:
			return "", bad("unknown part %q (want spec, data and, for each phase with its own data, a phase_data part named as its data.test)", p.FormName())
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
	if err := placePhaseData(parsed, phaseData, name, dir, bad); err != nil {
		return "", err
	}
	specPath := filepath.Join(dir, "task.yaml")
	if name == "task.yaml" {
		specPath = filepath.Join(dir, "spec.yaml")
	}
	return specPath, os.WriteFile(specPath, spec, 0o600)
}

// phaseUpload is one uploaded phase_data part: the file name it was sent
// under and where it was saved.
type phaseUpload struct{ name, path string }

// placePhaseData puts each uploaded phase_data part where the spec's
// phases expect it: beside the task's data, under the bare name the
// phase's data.test gives. A part is matched to its phase by its file
// name; a lone part for the spec's lone phase with its own data needs no
// name.
func placePhaseData(spec engine.Spec, parts []phaseUpload, dataName, dir string, bad func(string, ...any) error) error {
	var wants []string
	for i, p := range spec.Phases {
		if p.Data == nil {
			continue
		}
		want := p.Data.Test
		if want != filepath.Base(want) || strings.ContainsAny(want, `/\`) || want == "." || want == ".." || want == dataName || want == "task.yaml" || want == "spec.yaml" {
			return bad("phases[%d].data.test %q: in an upload it is the phase's data file's bare name, other than data.test's", i, want)
		}
		if slices.Contains(wants, want) {
			return bad("phases[%d].data.test %q: another phase names the same file; in an upload each phase's own data is its own file", i, want)
		}
		wants = append(wants, want)
	}
	if len(wants) == 1 && len(parts) == 1 {
		return os.Rename(parts[0].path, filepath.Join(dir, wants[0]))
	}
	byName := make(map[string]string, len(parts))
	for _, p := range parts {
		if _, dup := byName[p.name]; dup {
			return bad("two phase_data parts named %q", p.name)
		}
		byName[p.name] = p.path
	}
	for _, want := range wants {
		path, ok := byName[want]
		if !ok {
			return bad("a phase has its own data (%s): upload it as a phase_data part named %q", want, want)
		}
		if err := os.Rename(path, filepath.Join(dir, want)); err != nil {
			return err
		}
		delete(byName, want)
	}
	for name := range byName {
		return bad("a phase_data part named %q, but no phase of the spec has its own data under that name", name)
	}
	return nil
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

// uploadError makes the refusal of an uploaded spec or dataset that the
// engine did not take: a dataset's (a *datasets.ParseError: a bad value,
// a missing column, an unsupported codec) is 400 invalid_dataset, or 413
// too_large past a limit; a spec's (also one that does not fit its data)
// is 400 bad_request. The message is what `verdict task create` prints
// for the same files in their directory: the upload's directory, a
// temporary one of the server's, is cut from it. Anything else (the
// store, the disk) stays an internal error.
func uploadError(err error, dir string) error {
	var pe *datasets.ParseError
	var status int
	var kind string
	switch {
	case errors.As(err, &pe) && errors.Is(err, datasets.ErrTooLarge):
		status, kind = http.StatusRequestEntityTooLarge, "too_large"
	case errors.As(err, &pe):
		status, kind = http.StatusBadRequest, "invalid_dataset"
	case errors.Is(err, engine.ErrInvalidSpec), errors.Is(err, datasets.ErrBadSchema):
		status, kind = http.StatusBadRequest, "bad_request"
	default:
		return err
	}
	return refuse(status, kind, "%s", strings.ReplaceAll(engine.Message(err), dir+string(filepath.Separator), ""))
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
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "close a task")
	}
	var ps []engine.Promotion
	if err == nil {
		// The certification outlives a client that hangs up: the task is
		// closed either way, and its places are decided now.
		ps, err = s.e.CloseTask(context.WithoutCancel(hostActor(r, c, "")), r.PathValue("id"))
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
	if ps == nil {
		ps = []engine.Promotion{}
	}
	writeJSON(w, http.StatusOK, api.Closed{State: st, Promotions: ps})
}

func (s *Server) promote(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "promote a task")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	ps, err := s.e.Promote(context.WithoutCancel(hostActor(r, c, "")), r.PathValue("id"))
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
