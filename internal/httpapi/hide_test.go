package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/market"
)

// hiddenAuthorName is the display name alice gives with her submission.
const hiddenAuthorName = "Ada-Hidden-7"

// hiddenModel promotes alice's model, submitted under hiddenAuthorName,
// and returns its credential id and marketplace id.
func hiddenModel(t *testing.T, v *env, alice *client) (credID, marketID string) {
	t.Helper()
	v.createTask("contest", "")
	r := alice.submit("contest", module(""), "?name="+hiddenAuthorName)
	if r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if waitScored(t, v.e, []string{r.json(t)["id"].(string)}) != 1 {
		t.Fatal("alice's model not scored")
	}
	if r := v.host().do("POST", "/v1/tasks/contest/close", nil, ""); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	creds := v.host().get("/v1/credentials?task=contest").json(t)["list"].([]any)
	list := v.host().get("/v1/market").json(t)["list"].([]any)
	if len(creds) != 1 || len(list) != 1 {
		t.Fatalf("got %d credentials, %d market entries; want 1, 1", len(creds), len(list))
	}
	return creds[0].(map[string]any)["id"].(string), list[0].(map[string]any)["id"].(string)
}

// untar returns a bundle tar's members.
func untar(t *testing.T, b []byte) *market.Bundle {
	t.Helper()
	bu, err := market.ReadBundleTar(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("bundle: %v", err)
	}
	return bu
}

// TestDisclosureBundleHTTP: GET /v1/market/{id}/bundle?hide_author=true
// is a disclosure bundle for the model's author or the host, 403 naming
// the rule for anyone else; without it, the bundle is the full one.
func TestDisclosureBundleHTTP(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	aliceKey := participantKey(t, "alice")
	alice, bob, host, anon := v.as(aliceKey), v.as(participantKey(t, "bob")), v.host(), v.anonymous()
	_, mid := hiddenModel(t, v, alice)
	path := "/v1/market/" + mid + "/bundle"
	for _, tc := range []struct {
		name    string
		c       *client
		query   string
		status  int
		derived bool
	}{
		{"AuthorHides", alice, "?hide_author=true", 200, true},
		{"HostHides", host, "?hide_author=true", 200, true},
		{"OtherParticipant", bob, "?hide_author=true", 403, false},
		{"Visitor", anon, "?hide_author=true", 403, false},
		{"BadValue", alice, "?hide_author=maybe", 400, false},
		{"VisitorFull", anon, "", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.get(path + tc.query)
			if r.status != tc.status {
				t.Fatalf("got %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			if r.status == 403 && !strings.Contains(string(r.body), "the model's author") {
				t.Errorf("403 does not name the rule: %s", r.body)
			}
			if r.status != 200 {
				return
			}
			b := untar(t, r.body)
			kinds, err := credential.Kinds(b.Credential)
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds[0] == credential.KindBBSDerived; got != tc.derived {
				t.Errorf("credential proofs %v: derived %v, want %v", kinds, got, tc.derived)
			}
			if leaks := bytes.Contains(r.body, []byte(aliceKey.DID())); leaks == tc.derived {
				t.Errorf("bundle names the author: %v, want %v", leaks, !tc.derived)
			}
			if tc.derived {
				if _, _, err := market.VerifyBundle(context.Background(), b, market.IngestOptions{Issuer: v.e.HostDID(), BBSKey: v.e.HostBBSDID()}, v.e.Now()); err != nil {
					t.Errorf("the disclosure bundle does not verify: %v", err)
				}
			}
		})
	}
}

// TestHideCredential: once alice hides her credential, a visitor (and
// any other participant) gets, on every route that shows it, only a form
// that names neither her DID nor her display name, which still verifies
// and still shows revocation; alice and the host still get it in full.
func TestHideCredential(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	aliceKey := participantKey(t, "alice")
	alice, bob, host, anon := v.as(aliceKey), v.as(participantKey(t, "bob")), v.host(), v.anonymous()
	id, mid := hiddenModel(t, v, alice)
	hide := "/v1/credentials/" + id + "/hide"
	reveal := map[string]any{"reveal": []string{"/credentialSubject/task/metric"}}
	for _, tc := range []struct {
		name   string
		c      *client
		body   any
		status int
		kind   string
	}{
		{"Visitor", anon, reveal, 401, "unauthorized"},
		{"OtherParticipant", bob, reveal, 403, "forbidden"},
		{"RevealsAuthor", alice, map[string]any{"reveal": []string{"/credentialSubject/author"}}, 400, "bad_request"},
		{"BadPointer", alice, map[string]any{"reveal": []string{"/credentialSubject/nothing"}}, 400, "bad_request"},
		{"Author", alice, reveal, 200, ""},
		{"HostAgain", host, map[string]any{}, 200, ""},
		{"AuthorAgain", alice, reveal, 200, ""},
	} {
		t.Run("Hide"+tc.name, func(t *testing.T) {
			r := tc.c.postJSON("POST", hide, tc.body)
			if r.status != tc.status || (tc.kind != "" && r.kind() != tc.kind) {
				t.Fatalf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
			}
		})
	}

	did := aliceKey.DID()
	leak := func(t *testing.T, what string, body []byte) {
		t.Helper()
		for _, s := range []string{did, strings.TrimPrefix(did, "did:key:"), hiddenAuthorName} {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("%s names the author (%s): %.400s", what, s, body)
			}
		}
	}
	routes := []string{"/v1/credentials", "/v1/credentials?task=contest", "/v1/credentials/" + id,
		"/v1/market", "/v1/market/" + mid, "/v1/market/" + mid + "/bundle", "/v1/market/" + mid + "/bundle?hide_author=true"}
	for _, c := range []struct {
		name string
		c    *client
	}{{"Visitor", anon}, {"OtherParticipant", bob}} {
		t.Run("Leak"+c.name, func(t *testing.T) {
			for _, p := range routes {
				r := c.c.get(p)
				if r.status != 200 {
					t.Errorf("GET %s: %d %s", p, r.status, r.body)
				}
				leak(t, "GET "+p, r.body)
			}
		})
	}
	t.Run("LeakMCP", func(t *testing.T) {
		ctx := context.Background()
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
			&mcp.StreamableClientTransport{Endpoint: v.srv.URL + "/mcp"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		for _, what := range []string{"card", "credential"} {
			res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "verdict://models/" + mid + "/" + what})
			if err != nil || len(res.Contents) != 1 {
				t.Fatalf("read %s: %v", what, err)
			}
			leak(t, "MCP "+what, []byte(res.Contents[0].Text))
		}
		for _, tool := range []string{"search_models", "get_model_card"} {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{"id": mid}})
			if tool == "search_models" {
				res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
			}
			if err != nil || res.IsError {
				t.Fatalf("%s: %+v, %v", tool, res, err)
			}
			b, _ := json.Marshal(res.StructuredContent)
			leak(t, "MCP "+tool, b)
		}
	})

	// The author and the host still see it whole.
	for _, c := range []*client{alice, host} {
		if r := c.get("/v1/credentials/" + id); !bytes.Contains(r.body, []byte(did)) {
			t.Errorf("the author or host gets no full credential: %.300s", r.body)
		}
		if r := c.get("/v1/market/" + mid); !bytes.Contains(r.body, []byte(did)) {
			t.Errorf("the author or host gets no full market entry: %.300s", r.body)
		}
	}

	// What a visitor gets verifies against the host's BBS key and status
	// list, reveals what alice chose, and shows the revocation.
	pub := anon.get("/v1/credentials/" + id).json(t)
	derived, _ := json.Marshal(pub["credential"])
	res, err := credential.VerifyDerived(context.Background(), derived, derivedOpts(t, v, host))
	if err != nil {
		t.Fatalf("the public form does not verify: %v\n%s", err, derived)
	}
	if !res.StatusChecked || res.ID != id || res.Subject["task"].(map[string]any)["metric"] == nil {
		t.Errorf("public form: got %+v, want its id, status checked, the metric revealed", res)
	}
	if _, ok := res.Subject["rank"]; ok || pub["author"] != "" || pub["rank"] != 0.0 {
		t.Errorf("public form reveals the rank or author: %v", pub)
	}
	if status, title := verifyAtVCAPI(t, anon, derived); status != 200 {
		t.Errorf("VC-API verify of the public form: got %d %q, want 200", status, title)
	}
	if r := host.postJSON("POST", "/v1/credentials/"+id+"/revoke", map[string]string{"reason": "by " + hiddenAuthorName}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	checkDerivedRevoked(t, v, host, derived)
	// The task's audit trail, which visitors read, says it was revoked
	// without its rank.
	r := anon.get("/v1/tasks/contest/audit")
	if !bytes.Contains(r.body, []byte("credential "+id+" revoked")) {
		t.Errorf("audit trail: got %.600s, want the revocation without the rank", r.body)
	}
	leak(t, "GET /v1/tasks/contest/audit", r.body)
	r = anon.get("/v1/credentials/" + id)
	if m := r.json(t); m["revoked"] == nil {
		t.Errorf("a visitor does not see the revocation: %s", r.body)
	}
	leak(t, "GET revoked credential", r.body)
}
