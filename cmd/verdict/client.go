package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
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
		Error api.Error `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Kind == "" {
		e.Error = api.Error{Kind: "http", Message: strings.TrimSpace(string(body))}
	}
	err := &serverError{status: status, kind: e.Error.Kind, msg: e.Error.Message, sentinel: remoteKinds[e.Error.Kind]}
	if status >= 400 && status < 500 {
		return badInput(err)
	}
	return err
}

// task reads a task's view and rebuilds from it the engine.Task the
// printers take (its public fields only).
func (c *remote) task(ctx context.Context, id string) (*engine.Task, *api.Task, error) {
	var v api.Task
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
// calling progress with each status event (with its rows while it runs),
// and returns the last submission seen.
func (c *remote) follow(ctx context.Context, id string, progress func(api.StatusEvent)) (*engine.Submission, error) {
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
				var ev api.StatusEvent
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err == nil {
					s := ev.Submission
					last = &s
					progress(ev)
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

// spinner animates one self-overwriting progress line on a terminal (and
// writes nothing elsewhere) until stop.
type spinner struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
	msg   string
	stopc chan struct{}
	done  chan struct{}
}

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// startSpinner starts a spinner on w, or a silent one if w is not a
// terminal.
func startSpinner(w io.Writer) *spinner {
	s := &spinner{w: w, start: time.Now(), stopc: make(chan struct{}), done: make(chan struct{})}
	if !isTerminal(w) {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for frame := 0; ; frame++ {
			s.mu.Lock()
			fmt.Fprintf(s.w, "\r\033[K%s %s  %s", spinFrames[frame%len(spinFrames)], s.msg, time.Since(s.start).Round(100*time.Millisecond))
			s.mu.Unlock()
			select {
			case <-s.stopc:
				fmt.Fprint(s.w, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// set changes the line shown.
func (s *spinner) set(format string, args ...any) {
	s.mu.Lock()
	s.msg = fmt.Sprintf(format, args...)
	s.mu.Unlock()
}

// stop clears the line.
func (s *spinner) stop() {
	select {
	case <-s.stopc:
	default:
		close(s.stopc)
	}
	<-s.done
}

// statusLine is the spinner's line for what (e.g. "submission ID") in
// status, with its rows done and to do while it runs (total 0: unknown):
// "submission ID: running: 40,960 / 100,000 rows (40%)", then ", scoring"
// once every row is predicted.
func statusLine(what, status string, done, total int) string {
	line := what + ": " + status
	if status == "running" && total > 0 {
		line += fmt.Sprintf(": %s / %s rows (%d%%)", groupDigits(done), groupDigits(total), int(int64(done)*100/int64(total)))
		if done >= total {
			line += ", scoring"
		}
	}
	return line
}

// groupDigits writes n with a comma between groups of three digits.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i, d := range []byte(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(d)
	}
	return b.String()
}

// countingReader reports how much of a body was read.
type countingReader struct {
	r     io.Reader
	n     atomic.Int64
	total int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// submitOptions are submit's flags.
type submitOptions struct {
	task, participant, keyFile, license, name, predictions string
	private, baseline                                      bool
}

// submitRemote uploads module to the server, follows its evaluation with a
// spinner on a terminal's stderr, and prints the result as a local submit
// does.
func submitRemote(ctx context.Context, g *globals, server string, o submitOptions, module []byte) error {
	if o.predictions != "" {
		return errNoRemote("--predictions")
	}
	c, err := newRemote(server, o.keyFile)
	if err != nil {
		return err
	}
	t, _, err := c.task(ctx, o.task)
	if err != nil {
		return err
	}
	q := url.Values{}
	var statement []byte
	if c.key != nil {
		if o.participant != "" && o.participant != c.key.DID() {
			return badInput(fmt.Errorf("--participant %q: a signed submission is by the key's %s", o.participant, c.key.DID()))
		}
		sum := sha256.Sum256(module)
		st, err := credential.SignSubmission(*c.key, o.task, hex.EncodeToString(sum[:]), time.Now())
		if err != nil {
			return badInput(fmt.Errorf("sign submission: %w", err))
		}
		statement = st.Raw
	} else {
		q.Set("participant", o.participant)
	}
	if o.baseline {
		q.Set("baseline", "true")
	}
	if o.license != "" {
		q.Set("license", o.license)
	}
	if o.name != "" {
		q.Set("name", o.name)
	}
	path := "/v1/tasks/" + url.PathEscape(o.task) + "/submissions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	req, err := c.request(ctx, "POST", path, module, "application/wasm")
	if err != nil {
		return err
	}
	if statement != nil {
		req.Header.Set(api.StatementHeader, string(statement))
	}
	body := &countingReader{r: bytes.NewReader(module), total: int64(len(module))}
	req.Body, req.GetBody, req.ContentLength = io.NopCloser(body), nil, int64(len(module))
	sp := startSpinner(g.stderr)
	defer sp.stop()
	stopUpload := make(chan struct{})
	go func() {
		for {
			sp.set("uploading %s: %d / %d KiB", o.task, body.n.Load()>>10, body.total>>10)
			select {
			case <-stopUpload:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	resp, err := c.hc.Do(req)
	close(stopUpload)
	if err != nil {
		return fmt.Errorf("upload to %s: %w", c.base, err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("upload to %s: %w", c.base, err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return remoteError(resp.StatusCode, b)
	}
	var acc engine.Submission
	if err := json.Unmarshal(b, &acc); err != nil {
		return fmt.Errorf("upload to %s: decode answer: %w", c.base, err)
	}
	sp.set("%s", statusLine("submission "+acc.ID, string(acc.Status), 0, 0))
	sub, err := c.follow(ctx, acc.ID, func(ev api.StatusEvent) {
		sp.set("%s", statusLine("submission "+ev.ID, string(ev.Status), ev.RowsDone, ev.RowsTotal))
	})
	if err != nil {
		return err
	}
	sp.stop()
	sub.Duplicate = acc.Duplicate
	if !o.private {
		sub.Scores.Private, sub.Scores.PrivateCI = nil, nil
	}
	if g.json {
		if err := g.emit(sub); err != nil {
			return err
		}
	} else {
		printSubmission(g.stdout, t, sub)
	}
	if sub.Failed() {
		return errSubmissionFailed
	}
	return nil
}

// errNoRemote refuses a flag that has no meaning against a server.
func errNoRemote(flag string) error {
	return badInput(errors.New(flag + " cannot be used with --server"))
}
