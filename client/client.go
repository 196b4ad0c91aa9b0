package client

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
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds each request but the event stream (a whole
	// upload, a task's creation with its dataset).
	DefaultTimeout = 10 * time.Minute
	// DefaultReconnect is how long Follow waits before reconnecting to an
	// event stream that ended early.
	DefaultReconnect = time.Second
	// MaxAnswerBytes bounds a JSON answer the client reads.
	MaxAnswerBytes = 64 << 20
)

// Config configures a Client. Only URL is required; Token and Key are
// exclusive.
type Config struct {
	// URL is the server's base URL, http(s)://HOST[:PORT][/PREFIX].
	URL string
	// Token is a host token: every request carries it as a bearer token.
	Token string
	// Key is a participant's key: every request is signed by it.
	Key *credential.KeyPair
	// HTTPClient sends the requests; default one with DefaultTimeout
	// (the event stream uses its Transport without the timeout).
	HTTPClient *http.Client
	// Now is the clock signatures are dated by; default time.Now.
	Now func() time.Time
	// Reconnect is Follow's wait before reconnecting; default
	// DefaultReconnect.
	Reconnect time.Duration
}

// Validate reports a URL that is not http(s)://HOST and a Config with both
// a token and a key.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("client: server URL %q: want http(s)://HOST[:PORT]", c.URL)
	}
	if c.Token != "" && c.Key != nil {
		return errors.New("client: a token (host) and a key (participant) are exclusive")
	}
	return nil
}

// Client calls one server's API as one caller. It is safe for concurrent
// use.
type Client struct {
	base string
	cfg  Config
	hc   *http.Client
}

// New returns a client of cfg.URL.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Reconnect == 0 {
		cfg.Reconnect = DefaultReconnect
	}
	return &Client{base: strings.TrimRight(cfg.URL, "/"), cfg: cfg, hc: cfg.HTTPClient}, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base }

// Participant is the did:key the client signs as, "" for the host or a
// visitor.
func (c *Client) Participant() string {
	if c.cfg.Key == nil {
		return ""
	}
	return c.cfg.Key.DID()
}

// Signed reports whether the client signs its requests (a participant).
func (c *Client) Signed() bool { return c.cfg.Key != nil }

// NewRequest makes a request to path (with its query) carrying body,
// authenticated as the client is: signed over body with a fresh nonce, or
// with the host token.
func (c *Client) NewRequest(ctx context.Context, method, path string, body []byte, contentType string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch {
	case c.cfg.Key != nil:
		if err := credential.SignRequest(req, body, *c.cfg.Key, c.cfg.Now(), NewNonce()); err != nil {
			return nil, err
		}
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	return req, nil
}

// NewNonce returns a fresh request nonce: 32 lowercase hex digits.
func NewNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Do sends req and decodes a JSON answer with status want into out (nil:
// discard); any other status is an *Error.
func (c *Client) Do(req *http.Request, want int, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if resp.StatusCode != want {
		return readError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Redacted(), err)
	}
	return nil
}

// call makes, sends and decodes one request.
func (c *Client) call(ctx context.Context, method, path string, body []byte, contentType string, want int, out any) error {
	req, err := c.NewRequest(ctx, method, path, body, contentType)
	if err != nil {
		return err
	}
	return c.Do(req, want, out)
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.call(ctx, "GET", path, nil, "", http.StatusOK, out)
}

func (c *Client) postJSON(ctx context.Context, method, path string, in any, want int, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	return c.call(ctx, method, path, body, ct, want, out)
}

func esc(s string) string { return url.PathEscape(s) }

// withQuery appends q's non-empty values to path.
func withQuery(path string, q url.Values) string {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// Health reads GET /healthz.
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	var h api.Health
	return &h, c.get(ctx, "/healthz", &h)
}

// Host reads who issues the server's credentials (GET /v1/host).
func (c *Client) Host(ctx context.Context) (*api.HostInfo, error) {
	var h api.HostInfo
	return &h, c.get(ctx, "/v1/host", &h)
}

// Tasks lists the tasks (GET /v1/tasks).
func (c *Client) Tasks(ctx context.Context) ([]api.Task, error) {
	var ts []api.Task
	return ts, c.get(ctx, "/v1/tasks", &ts)
}

// Task reads one task (GET /v1/tasks/{id}).
func (c *Client) Task(ctx context.Context, id string) (*api.Task, error) {
	var t api.Task
	if err := c.get(ctx, "/v1/tasks/"+esc(id), &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateTask creates a task from its YAML spec, whose data.test is
// dataName, and its held-out dataset, streamed from data (POST /v1/tasks,
// host only). A signed client is refused by the server: the upload is
// never signed.
func (c *Client) CreateTask(ctx context.Context, spec []byte, dataName string, data io.Reader) (*api.Task, error) {
	var t api.Task
	err := c.upload(ctx, "/v1/tasks", []formPart{{"spec", "task.yaml", bytes.NewReader(spec)}, {"data", dataName, data}}, http.StatusCreated, &t)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// PhaseData is a phase's own held-out dataset in an upload: Name is the
// bare file name the spec's phases[i].data.test gives it.
type PhaseData struct {
	Name string
	Data io.Reader
}

// CreatePhasedTask is CreateTask for a spec whose phases have their own
// data: each is uploaded as a phase_data part under the name the spec
// gives it.
func (c *Client) CreatePhasedTask(ctx context.Context, spec []byte, dataName string, data io.Reader, phases ...PhaseData) (*api.Task, error) {
	var t api.Task
	parts := []formPart{{"spec", "task.yaml", bytes.NewReader(spec)}, {"data", dataName, data}}
	for _, p := range phases {
		parts = append(parts, formPart{"phase_data", p.Name, p.Data})
	}
	if err := c.upload(ctx, "/v1/tasks", parts, http.StatusCreated, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// CloseTask closes a task and certifies it (POST /v1/tasks/{id}/close,
// host only).
func (c *Client) CloseTask(ctx context.Context, id string) (*api.Closed, error) {
	var cl api.Closed
	if err := c.call(ctx, "POST", "/v1/tasks/"+esc(id)+"/close", nil, "", http.StatusOK, &cl); err != nil {
		return nil, err
	}
	return &cl, nil
}

// Promote re-runs a closed task's promotion (POST
// /v1/tasks/{id}/promote, host only).
func (c *Client) Promote(ctx context.Context, id string) ([]engine.Promotion, error) {
	var ps []engine.Promotion
	return ps, c.call(ctx, "POST", "/v1/tasks/"+esc(id)+"/promote", nil, "", http.StatusOK, &ps)
}

// Rescore re-runs a task's submissions with their stored modules and
// reports what changed (POST /v1/tasks/{id}/rescore, host only). With
// data, the task's held-out dataset is replaced by it first (dataName is
// its file name: its extension says its format). Asking again after an
// interruption resumes the rescore.
func (c *Client) Rescore(ctx context.Context, id string, opts api.RescoreOptions, dataName string, data io.Reader) (*engine.RescoreReport, error) {
	path := "/v1/tasks/" + esc(id) + "/rescore"
	var rep engine.RescoreReport
	if data == nil {
		body, err := json.Marshal(opts)
		if err != nil {
			return nil, err
		}
		return &rep, c.call(ctx, "POST", path, body, "application/json", http.StatusOK, &rep)
	}
	options, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	err = c.upload(ctx, path, []formPart{{"options", "options.json", bytes.NewReader(options)}, {"data", dataName, data}}, http.StatusOK, &rep)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

// VerifyTask re-runs a task's submissions without storing anything and
// compares every stored score and interval bit for bit (POST
// /v1/tasks/{id}/verify, host only).
func (c *Client) VerifyTask(ctx context.Context, id string, opts api.VerifyOptions) (*engine.VerifyReport, error) {
	body, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	var rep engine.VerifyReport
	return &rep, c.call(ctx, "POST", "/v1/tasks/"+esc(id)+"/verify", body, "application/json", http.StatusOK, &rep)
}

// Audit reads a task's audit trail (GET /v1/tasks/{id}/audit): the host
// reads who and why; others the time, action and summary.
func (c *Client) Audit(ctx context.Context, id string) ([]engine.AuditEntry, error) {
	var trail []engine.AuditEntry
	return trail, c.get(ctx, "/v1/tasks/"+esc(id)+"/audit", &trail)
}

// Phases reads a task's phases (GET /v1/tasks/{id}/phases).
func (c *Client) Phases(ctx context.Context, id string) ([]engine.Phase, error) {
	var ps []engine.Phase
	return ps, c.get(ctx, "/v1/tasks/"+esc(id)+"/phases", &ps)
}

// AdvancePhase moves a task into its next phase now (POST
// /v1/tasks/{id}/phases/advance, host only); entering a final phase
// re-runs the selections before it answers.
func (c *Client) AdvancePhase(ctx context.Context, id, reason string) ([]engine.Phase, error) {
	body, err := json.Marshal(api.PhaseAdvance{Reason: reason})
	if err != nil {
		return nil, err
	}
	var ps []engine.Phase
	return ps, c.call(ctx, "POST", "/v1/tasks/"+esc(id)+"/phases/advance", body, "application/json", http.StatusOK, &ps)
}

// formPart is one part of a multipart upload.
type formPart struct {
	name, file string
	r          io.Reader
}

// upload streams parts as a multipart/form-data POST, as the host.
func (c *Client) upload(ctx context.Context, path string, parts []formPart, want int, out any) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, p := range parts {
				w, err := mw.CreateFormFile(p.name, p.file)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, p.r); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, pr)
	if err != nil {
		pr.Close()
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	if err := c.Do(req, want, out); err != nil {
		pr.Close()
		return err
	}
	return nil
}

// Leaderboard reads a task's public (or, once revealed or for the host,
// private) leaderboard (GET /v1/tasks/{id}/leaderboard).
func (c *Client) Leaderboard(ctx context.Context, task string, private bool) (*api.Leaderboard, error) {
	return c.PhaseLeaderboard(ctx, task, private, "")
}

// PhaseLeaderboard reads one phase's leaderboard of a task with phases
// (GET /v1/tasks/{id}/leaderboard?phase=), "" the current phase's.
func (c *Client) PhaseLeaderboard(ctx context.Context, task string, private bool, phase string) (*api.Leaderboard, error) {
	q := url.Values{}
	if private {
		q.Set("private", "true")
	}
	if phase != "" {
		q.Set("phase", phase)
	}
	var lb api.Leaderboard
	if err := c.get(ctx, withQuery("/v1/tasks/"+esc(task)+"/leaderboard", q), &lb); err != nil {
		return nil, err
	}
	return &lb, nil
}

// History reads every change of a task's leaderboards the caller may see
// (GET /v1/tasks/{id}/history).
func (c *Client) History(ctx context.Context, task string) ([]engine.Event, error) {
	var evs []engine.Event
	return evs, c.get(ctx, "/v1/tasks/"+esc(task)+"/history", &evs)
}

// Submissions lists a task's submissions the caller may see: a
// participant's own and their team's; for the host every one, or
// participant's if not "" (GET /v1/tasks/{id}/submissions).
func (c *Client) Submissions(ctx context.Context, task, participant string) ([]engine.Submission, error) {
	var subs []engine.Submission
	return subs, c.get(ctx, withQuery("/v1/tasks/"+esc(task)+"/submissions", url.Values{"participant": {participant}}), &subs)
}

// UploadOptions are an upload's parameters.
type UploadOptions struct {
	// Participant is who the host uploads for; a participant uploads as
	// their key and leaves it "".
	Participant string
	// Baseline marks the host's reference submission.
	Baseline bool
	// License and Name are the model's licence and display name.
	License, Name string
	// Sign adds a signed submission statement (credential.SignSubmission)
	// by the client's key, so the submission is attributed to the key
	// verifiably. A participant's client signs when Sign is set.
	Sign bool
	// Body, if set, wraps the module's reader (e.g. to count the bytes
	// sent for a progress line).
	Body func(io.Reader) io.Reader
}

// Upload submits module to task (POST /v1/tasks/{id}/submissions) and
// returns the submission as queued, or as first submitted for a
// duplicate (Duplicate set).
func (c *Client) Upload(ctx context.Context, task string, module []byte, o UploadOptions) (*api.Accepted, error) {
	q := url.Values{"participant": {o.Participant}, "license": {o.License}, "name": {o.Name}}
	if o.Baseline {
		q.Set("baseline", "true")
	}
	req, err := c.NewRequest(ctx, "POST", withQuery("/v1/tasks/"+esc(task)+"/submissions", q), module, "application/wasm")
	if err != nil {
		return nil, err
	}
	if o.Sign {
		if c.cfg.Key == nil {
			return nil, errors.New("client: a signed submission needs a key")
		}
		sum := sha256.Sum256(module)
		st, err := credential.SignSubmission(*c.cfg.Key, task, hex.EncodeToString(sum[:]), c.cfg.Now())
		if err != nil {
			return nil, fmt.Errorf("sign submission: %w", err)
		}
		req.Header.Set(api.StatementHeader, string(st.Raw))
	}
	if o.Body != nil {
		req.Body, req.GetBody, req.ContentLength = io.NopCloser(o.Body(bytes.NewReader(module))), nil, int64(len(module))
	}
	var acc api.Accepted
	if err := c.Do(req, http.StatusAccepted, &acc); err != nil {
		return nil, err
	}
	if acc.Submission == nil {
		return nil, fmt.Errorf("upload to %s: the answer has no submission", c.base)
	}
	return &acc, nil
}

// Selections reads the submissions chosen for the private leaderboard: the
// client's own, or participant's for the host (GET …/selections).
func (c *Client) Selections(ctx context.Context, task, participant string) (*api.Selections, error) {
	var s api.Selections
	if err := c.get(ctx, withQuery("/v1/tasks/"+esc(task)+"/selections", url.Values{"participant": {participant}}), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Select replaces the submissions chosen for the private leaderboard (PUT
// …/selections); participant as for Selections.
func (c *Client) Select(ctx context.Context, task, participant string, ids []string) (*api.Selections, error) {
	if ids == nil {
		ids = []string{}
	}
	var s api.Selections
	path := withQuery("/v1/tasks/"+esc(task)+"/selections", url.Values{"participant": {participant}})
	if err := c.postJSON(ctx, "PUT", path, api.Select{Submissions: ids}, http.StatusOK, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Teams lists a task's teams (GET /v1/tasks/{id}/teams).
func (c *Client) Teams(ctx context.Context, task string) ([]engine.Team, error) {
	var ts []engine.Team
	return ts, c.get(ctx, "/v1/tasks/"+esc(task)+"/teams", &ts)
}

// Join adds participants to team (POST …/teams/{team}/members): a
// participant joins only themself (no participants), the host adds
// anyone.
func (c *Client) Join(ctx context.Context, task, team string, participants ...string) (*engine.Team, error) {
	var in any
	if len(participants) > 0 {
		in = api.Join{Participants: participants}
	}
	var tm engine.Team
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/teams/"+esc(team)+"/members", in, http.StatusOK, &tm); err != nil {
		return nil, err
	}
	return &tm, nil
}

// Merge moves team from into team into (POST …/teams/{team}/merge, host
// only).
func (c *Client) Merge(ctx context.Context, task, from, into string) (*engine.Team, error) {
	var tm engine.Team
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/teams/"+esc(from)+"/merge", api.Merge{Into: into}, http.StatusOK, &tm); err != nil {
		return nil, err
	}
	return &tm, nil
}

// Submission reads one submission (GET /v1/submissions/{id}).
func (c *Client) Submission(ctx context.Context, id string) (*engine.Submission, error) {
	var s engine.Submission
	if err := c.get(ctx, "/v1/submissions/"+esc(id), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Events reads one connection of a submission's event stream (GET
// /v1/submissions/{id}/events), calling status with each status event,
// until the stream ends. It returns the "end" event's reason ("" when the
// stream broke off without one) and the last submission seen.
func (c *Client) Events(ctx context.Context, id string, status func(api.StatusEvent)) (reason string, last *engine.Submission, err error) {
	req, err := c.NewRequest(ctx, "GET", "/v1/submissions/"+esc(id)+"/events", nil, "")
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	hc := &http.Client{Transport: c.hc.Transport} // no timeout: the stream is long
	resp, err := hc.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("follow submission %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return "", nil, readError(resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			event = ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == api.EventStatus:
			var ev api.StatusEvent
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
				return "", last, fmt.Errorf("follow submission %s: decode status event: %w", id, err)
			}
			s := ev.Submission
			last = &s
			if status != nil {
				status(ev)
			}
		case strings.HasPrefix(line, "data: ") && event == api.EventEnd:
			var end struct {
				Reason string `json:"reason"`
			}
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &end)
			if end.Reason == "" {
				end.Reason = "end"
			}
			return end.Reason, last, nil
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return "", last, fmt.Errorf("follow submission %s: %w", id, err)
	}
	return "", last, ctx.Err()
}

// Follow reads a submission's events until its evaluation ends, calling
// status with each, reconnecting when a stream ends early (its time limit,
// a server restart), and returns the submission as scored or failed.
func (c *Client) Follow(ctx context.Context, id string, status func(api.StatusEvent)) (*engine.Submission, error) {
	var last *engine.Submission
	for {
		_, l, err := c.Events(ctx, id, status)
		if l != nil {
			last = l
		}
		if last != nil && last.Status.Terminal() {
			return last, nil
		}
		var ae *Error
		if errors.As(err, &ae) || (err != nil && last == nil) {
			// A refusal, or a server never reached: reconnecting would
			// not help.
			return last, err
		}
		if err := ctx.Err(); err != nil {
			return last, err
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(c.cfg.Reconnect):
		}
	}
}

// Credentials lists the credentials issued, for task if not "" (GET
// /v1/credentials).
func (c *Client) Credentials(ctx context.Context, task string) ([]engine.Credential, error) {
	var cs []engine.Credential
	return cs, c.get(ctx, withQuery("/v1/credentials", url.Values{"task": {task}}), &cs)
}

// Credential reads one credential (GET /v1/credentials/{id}).
func (c *Client) Credential(ctx context.Context, id string) (*engine.Credential, error) {
	var cr engine.Credential
	if err := c.get(ctx, "/v1/credentials/"+esc(id), &cr); err != nil {
		return nil, err
	}
	return &cr, nil
}

// Revoke revokes a credential for reason (POST
// /v1/credentials/{id}/revoke, host only).
func (c *Client) Revoke(ctx context.Context, id, reason string) (*engine.Credential, error) {
	var cr engine.Credential
	if err := c.postJSON(ctx, "POST", "/v1/credentials/"+esc(id)+"/revoke", api.Revoke{Reason: reason}, http.StatusOK, &cr); err != nil {
		return nil, err
	}
	return &cr, nil
}

// Verify asks the server to verify a credential document, issued by
// issuer ("" for the server's host) (POST /v1/credentials/verify). A
// credential that does not verify is not an error: see
// Verification.Error.
func (c *Client) Verify(ctx context.Context, doc []byte, issuer string) (*api.Verification, error) {
	var v api.Verification
	path := withQuery("/v1/credentials/verify", url.Values{"issuer": {issuer}})
	if err := c.call(ctx, "POST", path, doc, "application/json", http.StatusOK, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Market searches the marketplace (GET /v1/market).
func (c *Client) Market(ctx context.Context, q market.Query) ([]market.Entry, error) {
	v := url.Values{"task_type": {q.TaskType}, "metric": {q.Metric}, "task": {q.Task}, "q": {q.Text},
		"features": {strings.Join(q.Features, ",")}}
	if q.MinScore != nil {
		v.Set("min_score", strconv.FormatFloat(*q.MinScore, 'g', -1, 64))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.IncludeRevoked {
		v.Set("include_revoked", "true")
	}
	var es []market.Entry
	return es, c.get(ctx, withQuery("/v1/market", v), &es)
}

// MarketEntry reads one marketplace entry (GET /v1/market/{id}).
func (c *Client) MarketEntry(ctx context.Context, id string) (*market.Entry, error) {
	var me market.Entry
	if err := c.get(ctx, "/v1/market/"+esc(id), &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// BundleTar reads an entry's bundle as the server sends it, a tar archive
// (GET /v1/market/{id}/bundle).
func (c *Client) BundleTar(ctx context.Context, id string) ([]byte, error) {
	req, err := c.NewRequest(ctx, "GET", "/v1/market/"+esc(id)+"/bundle", nil, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET bundle %s: %w", id, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, market.MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET bundle %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp.StatusCode, b)
	}
	if len(b) > market.MaxBundleBytes {
		return nil, fmt.Errorf("GET bundle %s: larger than %d bytes", id, market.MaxBundleBytes)
	}
	return b, nil
}

// Bundle reads an entry's bundle and unpacks it (market.ReadBundleTar).
func (c *Client) Bundle(ctx context.Context, id string) (*market.Bundle, error) {
	b, err := c.BundleTar(ctx, id)
	if err != nil {
		return nil, err
	}
	return market.ReadBundleTar(bytes.NewReader(b))
}

// Ingest adds a bundle, a tar archive of its files, to the server's
// marketplace, accepting only issuer's credentials if not "", and an
// issuer the server does not trust only if allowUntrusted (POST
// /v1/market, host only).
func (c *Client) Ingest(ctx context.Context, bundleTar []byte, issuer string, allowUntrusted bool) (*market.Entry, error) {
	var me market.Entry
	q := url.Values{"issuer": {issuer}}
	if allowUntrusted {
		q.Set("allow_untrusted", "true")
	}
	path := withQuery("/v1/market", q)
	if err := c.call(ctx, "POST", path, bundleTar, "application/x-tar", http.StatusCreated, &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// IngestBundle is Ingest of b, archived as market.WriteBundleTar does.
func (c *Client) IngestBundle(ctx context.Context, b *market.Bundle, issuer string, allowUntrusted bool) (*market.Entry, error) {
	var buf bytes.Buffer
	if err := market.WriteBundleTar(&buf, b); err != nil {
		return nil, err
	}
	return c.Ingest(ctx, buf.Bytes(), issuer, allowUntrusted)
}

// Admissions lists the participants admitted to an invite-only task (GET
// …/admissions, host only).
func (c *Client) Admissions(ctx context.Context, task string) ([]engine.Admission, error) {
	var as []engine.Admission
	return as, c.get(ctx, "/v1/tasks/"+esc(task)+"/admissions", &as)
}

// Admit admits did:keys to an invite-only task (POST …/admissions, host
// only) and returns those not admitted before.
func (c *Client) Admit(ctx context.Context, task, reason string, participants ...string) ([]string, error) {
	var out api.Admitted
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/admissions", api.Admit{Participants: participants, Reason: reason}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.Participants, nil
}

// RevokeAccess withdraws admissions to an invite-only task (POST
// …/admissions/revoke, host only) and returns those that were admitted.
func (c *Client) RevokeAccess(ctx context.Context, task, reason string, participants ...string) ([]string, error) {
	var out api.Admitted
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/admissions/revoke", api.Admit{Participants: participants, Reason: reason}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out.Participants, nil
}

// Invite makes n single-use invitation codes (POST …/invitations, host
// only), each valid for ttl (0: until the task closes).
func (c *Client) Invite(ctx context.Context, task string, n int, ttl time.Duration, reason string) ([]engine.Invitation, error) {
	in := api.Invite{Count: n, Reason: reason}
	if ttl != 0 {
		in.Expires = ttl.String()
	}
	var out api.Invitations
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/invitations", in, http.StatusCreated, &out); err != nil {
		return nil, err
	}
	return out.Invitations, nil
}

// Redeem redeems an invitation code as the client's participant (POST
// …/invitations/redeem, signed): the key's did:key is admitted.
func (c *Client) Redeem(ctx context.Context, task, code string) (*api.Redeemed, error) {
	var out api.Redeemed
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/invitations/redeem", api.Redeem{Code: code}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AdmitByCredential presents a Verifiable Credential about the client's
// participant (POST …/admissions/credential, signed): admitted if a rule of
// the task accepts it.
func (c *Client) AdmitByCredential(ctx context.Context, task string, vc []byte) (*api.Redeemed, error) {
	var out api.Redeemed
	if err := c.call(ctx, "POST", "/v1/tasks/"+esc(task)+"/admissions/credential", vc, "application/json", http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
