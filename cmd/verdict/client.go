package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
)

// remote is the CLI as a client of `verdict serve` (--server URL): the
// same commands, the same output, over the HTTP API. It acts as the host
// with VERDICT_TOKEN, as a participant with --key (every request signed),
// else as a visitor.
type remote struct {
	base  string
	token string
	key   *credential.KeyPair
	hc    *http.Client
}

const serverUsage = "act as a client of a running `verdict serve` at this URL (host with env VERDICT_TOKEN)"

// newRemote checks the server URL and reads the key file, if any.
func newRemote(server, keyFile string) (*remote, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badInput(fmt.Errorf("--server %q: want http(s)://HOST[:PORT]", server))
	}
	c := &remote{base: strings.TrimRight(server, "/"), token: os.Getenv("VERDICT_TOKEN"), hc: &http.Client{Timeout: 10 * time.Minute}}
	if keyFile != "" {
		k, err := credential.ReadKeyFile(keyFile)
		if err != nil {
			return nil, badInput(err)
		}
		c.key, c.token = &k, ""
	}
	return c, nil
}

// request makes a request, authenticated as the remote is.
func (c *remote) request(ctx context.Context, method, path string, body []byte, ct string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch {
	case c.key != nil:
		var nonce [16]byte
		if _, err := rand.Read(nonce[:]); err != nil {
			return nil, err
		}
		if err := credential.SignRequest(req, body, *c.key, time.Now(), hex.EncodeToString(nonce[:])); err != nil {
			return nil, err
		}
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// call sends a request and decodes a JSON answer into out (nil: discard).
func (c *remote) call(ctx context.Context, method, path string, body []byte, ct string, out any) error {
	req, err := c.request(ctx, method, path, body, ct)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.base+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.base+path, err)
	}
	if resp.StatusCode >= 300 {
		return remoteError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, c.base+path, err)
	}
	return nil
}

// remoteKinds map the API's error kinds to the engine's sentinels, so that
// a refusal by a server exits and reads (--json kind) as the same refusal
// in-process would.
var remoteKinds = map[string]error{
	"not_found":   engine.ErrNotFound,
	"forbidden":   engine.ErrForbidden,
	"bad_request": engine.ErrBadRequest,
	"closed":      engine.ErrClosed,
	"not_open":    engine.ErrNotOpen,
	"exists":      engine.ErrExists,
	"quota":       engine.ErrQuotaExceeded,
	"queue_full":  engine.ErrQueueFull,
	"team":        engine.ErrTeam,
	"signature":   engine.ErrSignature,
	"replayed":    engine.ErrReplayed,
}

// serverError is a refusal by the server; it unwraps to the engine's
// sentinel for its kind, if any.
type serverError struct {
	status   int
	kind     string
	msg      string
	sentinel error
}

func (e *serverError) Error() string {
	return fmt.Sprintf("server: %s (%d %s)", e.msg, e.status, e.kind)
}

func (e *serverError) Unwrap() error { return e.sentinel }

// remoteError reads a refusal: a 4xx is bad input (exit 2), anything else
// a failure (exit 1).
func remoteError(status int, body []byte) error {
	var e struct {
		Error httpapi.Error `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Kind == "" {
		e.Error = httpapi.Error{Kind: "http", Message: strings.TrimSpace(string(body))}
	}
	err := &serverError{status: status, kind: e.Error.Kind, msg: e.Error.Message, sentinel: remoteKinds[e.Error.Kind]}
	if status >= 400 && status < 500 {
		return badInput(err)
	}
	return err
}

// task reads a task's view and rebuilds from it the engine.Task the
// printers take (its public fields only).
func (c *remote) task(ctx context.Context, id string) (*engine.Task, *httpapi.TaskView, error) {
	var v httpapi.TaskView
	if err := c.call(ctx, "GET", "/v1/tasks/"+url.PathEscape(id), nil, "", &v); err != nil {
		return nil, nil, err
	}
	t := &engine.Task{
		Spec: engine.Spec{ID: v.ID, Title: v.Title, Type: v.Type, Metric: v.Metric, Limits: v.Limits,
			FinalSelections: v.FinalSelections, Teams: v.Teams, Leaderboard: v.Leaderboard,
			Gates: v.Gates, PromoteTop: v.PromoteTop, RequireSigned: v.RequireSigned},
		HigherIsBetter: v.HigherIsBetter, Features: v.Features, Outputs: v.Outputs, Classes: v.Classes,
		Rows: v.Rows, PublicRows: v.PublicRows, PrivateRows: v.PrivateRows,
		DatasetSHA256: v.DatasetSHA256, Created: v.Created,
	}
	return t, &v, nil
}

// follow reads a submission's event stream until its evaluation ends,
// calling progress with each status, and returns the last submission seen.
func (c *remote) follow(ctx context.Context, id string, progress func(engine.Submission)) (*engine.Submission, error) {
	for {
		req, err := c.request(ctx, "GET", "/v1/submissions/"+url.PathEscape(id)+"/events", nil, "")
		if err != nil {
			return nil, err
		}
		resp, err := (&http.Client{}).Do(req) // no timeout: the stream is long
		if err != nil {
			return nil, fmt.Errorf("follow submission %s: %w", id, err)
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			return nil, remoteError(resp.StatusCode, b)
		}
		var last *engine.Submission
		ended := ""
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "status":
				var s engine.Submission
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &s); err == nil {
					last = &s
					progress(s)
				}
			case strings.HasPrefix(line, "data: ") && event == "end":
				ended = strings.TrimPrefix(line, "data: ")
			}
			if ended != "" {
				break
			}
		}
		resp.Body.Close()
		if last != nil && (last.Status == "scored" || last.Status == "failed") {
			return last, nil
		}
		if err := ctx.Err(); err != nil {
			return last, err
		}
		if ended == "" && sc.Err() != nil {
			return last, fmt.Errorf("follow submission %s: %w", id, sc.Err())
		}
		// The stream ended early (time limit, server restart): reconnect.
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// isTerminal reports whether w is a terminal, for progress output.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// spinner writes one self-overwriting progress line to a terminal, and
// nothing elsewhere.
type spinner struct {
	w     io.Writer
	on    bool
	frame int
	start time.Time
}

func newSpinner(w io.Writer) *spinner {
	return &spinner{w: w, on: isTerminal(w), start: time.Now()}
}

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (s *spinner) show(format string, args ...any) {
	if !s.on {
		return
	}
	s.frame++
	fmt.Fprintf(s.w, "\r\033[K%s %s  %s", spinFrames[s.frame%len(spinFrames)], fmt.Sprintf(format, args...),
		time.Since(s.start).Round(100*time.Millisecond))
}

func (s *spinner) done() {
	if s.on {
		fmt.Fprint(s.w, "\r\033[K")
	}
}

// errNoRemote refuses a flag that has no meaning against a server.
func errNoRemote(flag string) error {
	return badInput(errors.New(flag + " cannot be used with --server"))
}
