package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// cacheDir is one wazero compilation cache for the package's tests.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "httpapi-cache-*")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a server over a real engine and Badger store in a temp dir.
type env struct {
	t     testing.TB
	e     *engine.Engine
	api   *httpapi.Server
	srv   *httptest.Server
	data  string
	token string // a host token
}

// newEnv starts a server; cfg's Engine and DataDir are filled in.
func newEnv(t testing.TB, ecfg engine.Config, cfg httpapi.Config) *env {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	ecfg.DataDir, ecfg.CacheDir = data, cacheDir
	e, err := engine.Open(context.Background(), ecfg)
	if err != nil {
		t.Fatal(err)
	}
	token, err := httpapi.NewToken(data, "test")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Engine, cfg.DataDir = e, data
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	srv.Config.RegisterOnShutdown(api.CloseStreams)
	t.Cleanup(func() {
		api.CloseStreams()
		srv.Close()
		e.Close(context.Background())
	})
	return &env{t: t, e: e, api: api, srv: srv, data: data, token: token}
}

// contestSpec is a regression task on testdata/contest.csv (40 rows) with
// extra YAML lines.
func contestSpec(id, extra string) string {
	return fmt.Sprintf("id: %s\ntype: regression\nmetric: rmse\ndata: {test: contest.csv}\nsplit: {public_fraction: 0.5, seed: s}\n%s", id, extra)
}

// createTask creates a task through the API as the host.
func (v *env) createTask(id, extra string) {
	v.t.Helper()
	resp := v.host().upload("POST", "/v1/tasks", taskForm(v.t, contestSpec(id, extra)))
	if resp.status != http.StatusCreated {
		v.t.Fatalf("create task %s: %d %s", id, resp.status, resp.body)
	}
}

// form is a multipart body and its content type.
type form struct {
	body []byte
	ct   string
}

func taskForm(t testing.TB, spec string) form {
	t.Helper()
	data, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	return multipartForm(t, map[string][]byte{"spec": []byte(spec), "data": data})
}

func multipartForm(t testing.TB, parts map[string][]byte) form {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for name, content := range parts {
		w, err := mw.CreateFormFile(name, name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	mw.Close()
	return form{body: b.Bytes(), ct: mw.FormDataContentType()}
}

// client calls the API as the host (token), a participant (key) or a
// visitor (neither).
type client struct {
	t     testing.TB
	base  string
	token string
	key   *credential.KeyPair
	hc    *http.Client
}

var nonces atomic.Int64

func (v *env) host() *client      { return &client{t: v.t, base: v.srv.URL, token: v.token} }
func (v *env) anonymous() *client { return &client{t: v.t, base: v.srv.URL} }
func (v *env) as(k credential.KeyPair) *client {
	return &client{t: v.t, base: v.srv.URL, key: &k}
}

// participantKey is a fixed key per name.
func participantKey(t testing.TB, name string) credential.KeyPair {
	t.Helper()
	seed := make([]byte, 32)
	copy(seed, name)
	k, err := credential.NewKeyPair(seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.body)
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"list": v}
}

// kind is the error kind of a refusal.
func (r response) kind() string {
	var e struct {
		Error api.Error `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Kind
}

func (c *client) request(method, path string, body []byte, ct string) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.key != nil {
		if err := credential.SignRequest(req, body, *c.key, time.Now(), fmt.Sprintf("n%d", nonces.Add(1))); err != nil {
			c.t.Fatal(err)
		}
	}
	return req
}

// send does req and checks the response against openapi.json.
func (c *client) send(req *http.Request) response {
	c.t.Helper()
	hc := c.hc
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	checkResponse(c.t, req, r)
	return r
}

func (c *client) do(method, path string, body []byte, ct string) response {
	c.t.Helper()
	return c.send(c.request(method, path, body, ct))
}

func (c *client) get(path string) response { c.t.Helper(); return c.do("GET", path, nil, "") }

func (c *client) postJSON(method, path string, v any) response {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(method, path, b, "application/json")
}

func (c *client) upload(method, path string, f form) response {
	c.t.Helper()
	return c.do(method, path, f.body, f.ct)
}

// submit uploads module (raw body) to task and returns the response.
func (c *client) submit(task string, module []byte, query string) response {
	c.t.Helper()
	return c.do("POST", "/v1/tasks/"+task+"/submissions"+query, module, "application/wasm")
}

// mustSubmit uploads and returns the accepted submission's id.
func (c *client) mustSubmit(task string, module []byte) string {
	c.t.Helper()
	r := c.submit(task, module, "")
	if r.status != http.StatusAccepted {
		c.t.Fatalf("upload to %s: got %d, want 202: %s", task, r.status, r.body)
	}
	id, _ := r.json(c.t)["id"].(string)
	return id
}

// module returns the Linear fixture with a custom section naming variant,
// so that each variant is a distinct module (a distinct SHA-256) that
// predicts the same.
func module(variant string) []byte {
	b := sandboxtest.Wasm(sandboxtest.Linear)
	if variant == "" {
		return b
	}
	name := "verdict-test"
	payload := append(uleb(len(name)), name...)
	payload = append(payload, variant...)
	b = append(b, 0) // custom section id
	b = append(b, uleb(len(payload))...)
	return append(b, payload...)
}

func uleb(n int) []byte {
	var out []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}

// waitScored waits until every id is scored or failed, reading the
// engine directly, and returns how many were scored.
func waitScored(t testing.TB, e *engine.Engine, ids []string) int {
	t.Helper()
	scored := 0
	for _, id := range ids {
		for {
			s, err := e.Submission(id, engine.Host)
			if err != nil {
				t.Fatalf("submission %s: %v", id, err)
			}
			if s.Status == "scored" {
				scored++
				break
			}
			if s.Status == "failed" {
				t.Errorf("submission %s failed: %+v", id, s.Error)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return scored
}

// sseEvents reads a server-sent event stream until "end", returning each
// event name and its data, each checked against openapi.json.
func sseEvents(t testing.TB, body io.Reader) [][2]string {
	t.Helper()
	var out [][2]string
	var name string
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			out = append(out, [2]string{name, strings.TrimPrefix(line, "data: ")})
			checkEvent(t, name, []byte(strings.TrimPrefix(line, "data: ")))
			if name == "end" {
				return out
			}
		}
	}
	return out
}

// withDigest signs req (method, path and query set; its body is body) as k
// again, with the Content-Digest field value digest instead of
// SignRequest's sha-256 alone: what a client sending several RFC 9530
// algorithms does.
func withDigest(t testing.TB, req *http.Request, k credential.KeyPair, digest string) *http.Request {
	t.Helper()
	req.Header.Set("Content-Digest", digest)
	params := fmt.Sprintf(`("@method" "@path" "@query" "content-digest");created=%d;keyid="%s";alg="ed25519";nonce="n%d"`,
		time.Now().Unix(), k.DID(), nonces.Add(1))
	base := fmt.Sprintf("\"@method\": %s\n\"@path\": %s\n\"@query\": ?%s\n\"content-digest\": %s\n\"@signature-params\": %s",
		req.Method, req.URL.EscapedPath(), req.URL.RawQuery, digest, params)
	req.Header.Set("Signature-Input", "verdict="+params)
	req.Header.Set("Signature", "verdict=:"+base64.StdEncoding.EncodeToString(ed25519.Sign(ed25519.NewKeyFromSeed(k.Seed()), []byte(base)))+":")
	return req
}

// sha512Digest is body's RFC 9530 sha-512 Content-Digest member.
func sha512Digest(body []byte) string {
	sum := sha512.Sum512(body)
	return "sha-512=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}
