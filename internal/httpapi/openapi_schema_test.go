package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/verdictlab/verdict/internal/httpapi"
)

// apiDoc is openapi.json with each response schema compiled by a JSON
// Schema 2020-12 validator (the dialect of OpenAPI 3.1), so that the route
// tests check every response they receive against the document
// (client.send calls checkResponse).
type apiDoc struct {
	paths map[string]map[string]apiOp // path template -> method -> operation
	errs  *jsonschema.Schema          // the Error schema, for refusals of undocumented routes
	whole any                         // the document, decoded

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema // by JSON pointer
}

type apiOp struct {
	Responses map[string]struct {
		Ref     string                     `json:"$ref"`
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

const docURL = "file:///openapi.json"

var (
	docOnce sync.Once
	theDoc  *apiDoc
	docErr  error
)

// loadAPIDoc loads and compiles openapi.json once per test binary.
func loadAPIDoc() (*apiDoc, error) {
	docOnce.Do(func() { theDoc, docErr = newAPIDoc(httpapi.OpenAPI()) })
	return theDoc, docErr
}

func newAPIDoc(raw []byte) (*apiDoc, error) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		return nil, fmt.Errorf("openapi.json is OpenAPI %q, want 3.1.x: its schemas are validated as JSON Schema 2020-12", doc.OpenAPI)
	}
	whole, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, whole); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	d := &apiDoc{paths: map[string]map[string]apiOp{}, whole: whole, compiler: c, compiled: map[string]*jsonschema.Schema{}}
	for path, ops := range doc.Paths {
		d.paths[path] = map[string]apiOp{}
		for method, rawOp := range ops {
			var op apiOp
			if err := json.Unmarshal(rawOp, &op); err != nil {
				return nil, fmt.Errorf("openapi.json: %s %s: %w", method, path, err)
			}
			d.paths[path][strings.ToUpper(method)] = op
		}
	}
	if d.errs, err = d.schema("/components/responses/Error/content/application~1json/schema"); err != nil {
		return nil, err
	}
	return d, nil
}

// schema compiles the schema at a JSON pointer into the document.
func (d *apiDoc) schema(ptr string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.compiled[ptr]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("openapi.json: compile %s: %w", ptr, err)
	}
	d.compiled[ptr] = s
	return s, nil
}

// route is the path template of openapi.json that path matches, preferring
// the one with the most literal segments ("" if none).
func (d *apiDoc) route(path string) string {
	segs := strings.Split(path, "/")
	best, bestLit := "", -1
	for tmpl := range d.paths {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		lit := 0
		for i, t := range ts {
			if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
				if segs[i] == "" {
					lit = -1
					break
				}
				continue
			}
			if t != segs[i] {
				lit = -1
				break
			}
			lit++
		}
		if lit > bestLit {
			best, bestLit = tmpl, lit
		}
	}
	return best
}

// check validates one response against the document: the route and status
// must be documented (a refusal may fall to the operation's default, and
// a refusal of an undocumented route must still be an Error), the content
// type must be one the response lists, and a JSON body must match its
// schema.
func (d *apiDoc) check(method, path string, status int, header http.Header, body []byte) error {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	ok := status >= 200 && status < 300
	tmpl := d.route(path)
	op, found := d.paths[tmpl][method]
	if !found {
		ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
		if !strings.HasPrefix(path, "/v1/") && ct != "application/json" {
			return nil // Config.Pages serves every path outside the API
		}
		if ok {
			return fmt.Errorf("%s %s answered %d, but openapi.json documents no such operation", method, path, status)
		}
		return d.validate(d.errs, body, "the Error schema")
	}
	code := strconv.Itoa(status)
	resp, found := op.Responses[code]
	if !found {
		if ok {
			return fmt.Errorf("%s %s (%s) answered %d, which openapi.json does not list", method, path, tmpl, status)
		}
		code = "default"
		if resp, found = op.Responses[code]; !found {
			return fmt.Errorf("%s %s (%s) answered %d, which openapi.json does not list and has no default", method, path, tmpl, status)
		}
	}
	ptr := "/paths/" + escapePointer(tmpl) + "/" + strings.ToLower(method) + "/responses/" + code
	if resp.Ref != "" {
		if !strings.HasPrefix(resp.Ref, "#/components/responses/") {
			return fmt.Errorf("%s: $ref %s is not a component response", ptr, resp.Ref)
		}
		ptr = strings.TrimPrefix(resp.Ref, "#")
		var r struct {
			Content map[string]json.RawMessage `json:"content"`
		}
		if err := json.Unmarshal(d.pointer(ptr), &r); err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		resp.Content = r.Content
	}
	if len(resp.Content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("%s %s answered %d with a %d-byte body, but %s documents none", method, path, status, len(body), ptr)
		}
		return nil
	}
	ct, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("%s %s answered %d with Content-Type %q: %v", method, path, status, header.Get("Content-Type"), err)
	}
	if _, found := resp.Content[ct]; !found {
		return fmt.Errorf("%s %s answered %d as %s, which %s does not list", method, path, status, ct, ptr)
	}
	if ct != "application/json" && !strings.HasSuffix(ct, "+json") {
		return nil
	}
	where := ptr + "/content/" + escapePointer(ct) + "/schema"
	s, err := d.schema(where)
	if err != nil {
		return err
	}
	return d.validate(s, body, where)
}

func (d *apiDoc) validate(s *jsonschema.Schema, body []byte, where string) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("body is not JSON (%v): %.200s", err, body)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("body does not match %s: %#v\nbody: %.2000s", where, err, body)
	}
	return nil
}

// pointer is the raw JSON at an RFC 6901 pointer into openapi.json.
func (d *apiDoc) pointer(ptr string) []byte {
	at := d.whole
	for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, _ := at.(map[string]any)
		at = m[part]
	}
	b, _ := json.Marshal(at)
	return b
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// checkResponse fails t when a response the route tests received is not
// what openapi.json says it is.
func checkResponse(t testing.TB, req *http.Request, resp response) {
	t.Helper()
	d, err := loadAPIDoc()
	if err != nil {
		t.Errorf("openapi.json: %v", err)
		return
	}
	if err := d.check(req.Method, req.URL.Path, resp.status, resp.header, resp.body); err != nil {
		t.Errorf("response not as openapi.json documents it: %v", err)
	}
}

// checkEvent fails t when the data of a server-sent event of
// /v1/submissions/{id}/events is not the schema openapi.json gives it.
func checkEvent(t testing.TB, name string, data []byte) {
	t.Helper()
	d, err := loadAPIDoc()
	if err != nil {
		t.Errorf("openapi.json: %v", err)
		return
	}
	if err := d.checkEvent(name, data); err != nil {
		t.Errorf("event not as openapi.json documents it: %v", err)
	}
}

func (d *apiDoc) checkEvent(name string, data []byte) error {
	schemas := map[string]string{"status": "StatusEvent", "end": "EndEvent"}
	if schemas[name] == "" {
		return fmt.Errorf("event %q is not documented", name)
	}
	where := "/components/schemas/" + schemas[name]
	s, err := d.schema(where)
	if err != nil {
		return err
	}
	return d.validate(s, data, where)
}

// TestOpenAPICheckCatchesLies checks the response check itself: a missing
// or surplus field, a wrong type, an undocumented status and an
// undocumented route are each caught.
func TestOpenAPICheckCatchesLies(t *testing.T) {
	d, err := loadAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	js := http.Header{"Content-Type": {"application/json"}}
	scored := `{"id":"s","task":"t","participant":"p","module_sha256":"m","created":"2026-01-02T03:04:05Z",` +
		`"status":"scored","scores":{"public":1.5,"private":null},"error":null,"elapsed_ms":3,"updated":"2026-01-02T03:04:05Z"}`
	cases := []struct {
		name, method, path string
		status             int
		body               string
		ok                 bool
	}{
		{"health", "GET", "/healthz", 200, `{"status":"ok","queue":{"queued":0,"running":1}}`, true},
		{"refusal", "GET", "/v1/tasks/x", 404, `{"error":{"kind":"not_found","message":"m"}}`, true},
		{"refusal of an unknown route", "GET", "/nope", 404, `{"error":{"kind":"not_found","message":"m"}}`, true},
		{"refusal not an Error", "GET", "/v1/tasks/x", 404, `{"kind":"not_found"}`, false},
		{"undocumented route", "GET", "/v1/nope", 200, `{}`, false},
		{"undocumented route outside /v1/", "GET", "/nope", 200, `{}`, false},
		{"undocumented status", "GET", "/v1/tasks/x", 201, `{}`, false},
		{"selections", "GET", "/v1/tasks/x/selections", 200, `{"participant":"p","submissions":["a"]}`, true},
		{"surplus field", "GET", "/v1/tasks/x/selections", 200, `{"participant":"p","submissions":[],"extra":1}`, false},
		{"wrong type", "GET", "/v1/tasks/x/selections", 200, `{"participant":1,"submissions":[]}`, false},
		{"missing required field", "GET", "/v1/tasks/x/selections", 200, `{"submissions":[]}`, false},
		{"scored submission", "GET", "/v1/submissions/s", 200, scored, true},
		{"submission with an undocumented field", "GET", "/v1/submissions/s", 200, strings.Replace(scored, `"id"`, `"secret":1,"id"`, 1), false},
		{"submission without created", "GET", "/v1/submissions/s", 200, strings.Replace(scored, `"created"`, `"made"`, 1), false},
		{"submission with a bad date", "GET", "/v1/submissions/s", 200, strings.Replace(scored, `"2026-01-02T03:04:05Z"`, `"yesterday"`, 1), false},
	}
	running := strings.Replace(scored, `"scored"`, `"running"`, 1)
	events := []struct {
		name, event, data string
		ok                bool
	}{
		{"status", "status", strings.TrimSuffix(running, `}`) + `,"rows_done":1,"rows_total":2}`, true},
		{"status without rows", "status", running, true},
		{"status with an undocumented field", "status", strings.Replace(running, `"id"`, `"rows_left":1,"id"`, 1), false},
		{"end", "end", `{"reason":"scored"}`, true},
		{"end without reason", "end", `{}`, false},
		{"undocumented event", "log", `{}`, false},
	}
	for _, c := range events {
		t.Run("event "+c.name, func(t *testing.T) {
			err := d.checkEvent(c.event, []byte(c.data))
			if (err == nil) != c.ok {
				t.Errorf("checkEvent = %v, want ok %v", err, c.ok)
			}
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := d.check(c.method, c.path, c.status, js, []byte(c.body))
			if (err == nil) != c.ok {
				t.Errorf("check = %v, want ok %v", err, c.ok)
			}
		})
	}
}
