package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/market"
)

// bearer adds an Authorization header to every request of an MCP client.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// mcpSession connects the Go SDK's MCP client to url, sending token (if
// any) as a bearer token.
func mcpSession(t *testing.T, url, token string) *mcp.ClientSession {
	t.Helper()
	hc := http.DefaultClient
	if token != "" {
		hc = &http.Client{Transport: bearer{token}}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// mcpPredict calls the predict tool; it returns the answer, or the tool
// error's text.
func mcpPredict(t *testing.T, cs *mcp.ClientSession, id, rows string) (*mcpserver.PredictOutput, string) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "predict", Arguments: map[string]any{"id": id, "rows_csv": rows}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		var msg []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				msg = append(msg, tc.Text)
			}
		}
		return nil, strings.Join(msg, "; ")
	}
	var out mcpserver.PredictOutput
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out, ""
}

// usage decodes an MCP receipt (the HTTP route's JSON) and checks it as a
// buyer would.
func usage(t *testing.T, out *mcpserver.PredictOutput, rows string) string {
	t.Helper()
	b, _ := json.Marshal(out.Receipt)
	var ur api.UsageReceipt
	if err := json.Unmarshal(b, &ur); err != nil {
		t.Fatal(err)
	}
	return checkReceipt(t, ur, []byte(rows)).Caller
}

// TestBuyerToken: a buyer token the host issues for a did:key uses
// models as a metered service as that DID, over the HTTP route and the
// MCP predict tool, and can do nothing else; over /mcp a visitor's
// predict is refused naming the rule, while the other tools stay public;
// the host acts for a named DID.
func TestBuyerToken(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{Quota: market.Quota{CallsPerDay: 3}, UploadRate: 1000, UploadBurst: 100})
	id := promotedModel(t, v)
	buyer := participantKey(t, "buyer")
	token, err := httpapi.NewBuyerToken(v.data, buyer.DID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := httpapi.NewBuyerToken(v.data, "carol"); err == nil {
		t.Error("a buyer token for a name, not a did:key: made, want an error")
	}
	b := &client{t: t, base: v.srv.URL, token: token}

	t.Run("HTTP predict", func(t *testing.T) {
		req := b.request("POST", "/v1/market/"+id+"/predict", []byte(predictRows), "text/csv")
		req.Header.Set("Accept", "application/json")
		r := b.send(req)
		if r.status != 200 {
			t.Fatalf("predict: %d %s", r.status, r.body)
		}
		var mp api.MeteredPrediction
		if err := json.Unmarshal(r.body, &mp); err != nil {
			t.Fatal(err)
		}
		if rc := checkReceipt(t, mp.Receipt, []byte(predictRows)); rc.Caller != buyer.DID() {
			t.Errorf("receipt caller %s, want the buyer %s", rc.Caller, buyer.DID())
		}
	})

	t.Run("nothing else", func(t *testing.T) {
		for _, tc := range []struct{ method, path, body string }{
			{"POST", "/v1/tasks/contest/close", ""},                       // the host's
			{"POST", "/v1/market/trust", `{"did":"` + buyer.DID() + `"}`}, // the host's
			{"GET", "/v1/market/trust/log", ""},                           // the host's
			{"GET", "/v1/market", ""},                                     // public, but not with this token
			{"GET", "/v1/tasks/contest/leaderboard", ""},                  // public, but not with this token
		} {
			r := b.do(tc.method, tc.path, []byte(tc.body), "application/json")
			if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "a buyer token") {
				t.Errorf("%s %s: got %d %s, want 403 naming the buyer token's scope", tc.method, tc.path, r.status, r.body)
			}
		}
		if r := (&client{t: t, base: v.srv.URL, token: "vdb_nope"}).do("POST", "/v1/market/"+id+"/predict", []byte(predictRows), "text/csv"); r.status != http.StatusUnauthorized {
			t.Errorf("an unknown buyer token: got %d, want 401", r.status)
		}
	})

	t.Run("MCP predict", func(t *testing.T) {
		out, msg := mcpPredict(t, mcpSession(t, v.srv.URL+"/mcp", token), id, predictRows)
		if msg != "" {
			t.Fatal(msg)
		}
		if caller := usage(t, out, predictRows); caller != buyer.DID() || out.Usage.Caller != buyer.DID() || len(out.IDs) != 3 {
			t.Errorf("caller %s (usage %+v), want the buyer %s, 3 rows", caller, out.Usage, buyer.DID())
		}
	})

	t.Run("MCP visitor", func(t *testing.T) {
		cs := mcpSession(t, v.srv.URL+"/mcp", "")
		if _, msg := mcpPredict(t, cs, id, predictRows); !strings.Contains(msg, httpapi.MCPNoCaller) {
			t.Errorf("a visitor's predict: got %q, want the rule %q", msg, httpapi.MCPNoCaller)
		}
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "get_model_card", Arguments: map[string]any{"id": id}})
		if err != nil || res.IsError {
			t.Errorf("a visitor's get_model_card: %+v, %v; want the card", res, err)
		}
	})

	t.Run("MCP host acting for a DID", func(t *testing.T) {
		other := participantKey(t, "other")
		out, msg := mcpPredict(t, mcpSession(t, v.srv.URL+"/mcp?participant="+other.DID(), v.token), id, predictRows)
		if msg != "" {
			t.Fatal(msg)
		}
		if caller := usage(t, out, predictRows); caller != other.DID() {
			t.Errorf("caller %s, want the named %s", caller, other.DID())
		}
		out, msg = mcpPredict(t, mcpSession(t, v.srv.URL+"/mcp", v.token), id, predictRows)
		if msg != "" || usage(t, out, predictRows) != market.HostCaller {
			t.Errorf("the host alone: %q, want a call metered to %q", msg, market.HostCaller)
		}
	})

	t.Run("MCP signed", func(t *testing.T) {
		// A participant's did:key signature on /mcp meters predict to the
		// signer; a body that is not the signed one is refused.
		signer := participantKey(t, "signer")
		body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"predict","arguments":{"id":"` + id + `","rows_csv":"id,a,b\nn1,1,2\n"}}}`)
		post := func(tamper bool) (int, []byte) {
			req := v.as(signer).request("POST", "/mcp", body, "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			if tamper {
				req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("n1,1,2"), []byte("n1,9,2"), 1)))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		code, b := post(false)
		var rpc struct {
			Result struct {
				IsError           bool
				StructuredContent mcpserver.PredictOutput
			}
		}
		if err := json.Unmarshal(b, &rpc); code != 200 || err != nil || rpc.Result.IsError || rpc.Result.StructuredContent.Usage.Caller != signer.DID() {
			t.Fatalf("signed predict: %d %s, want a call metered to %s", code, b, signer.DID())
		}
		if code, b := post(true); code != http.StatusUnauthorized || !strings.Contains(string(b), "Content-Digest") {
			t.Errorf("a body not the signed one: %d %s, want 401 naming Content-Digest", code, b)
		}
	})

	t.Run("MCP quota", func(t *testing.T) {
		// The buyer made 2 of their 3 calls a day.
		cs := mcpSession(t, v.srv.URL+"/mcp", token)
		if _, msg := mcpPredict(t, cs, id, predictRows); msg != "" {
			t.Fatal(msg)
		}
		if _, msg := mcpPredict(t, cs, id, predictRows); !strings.Contains(msg, `quota: `+buyer.DID()+` reached the quota rule "calls per day" (3 used of 3 today; this call needs 1); retry at `) {
			t.Errorf("the fourth call: got %q, want a tool error naming the rule", msg)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		if n, err := httpapi.RevokeBuyerTokens(v.data, buyer.DID()); n != 1 || err != nil {
			t.Fatalf("revoke: %d, %v; want 1", n, err)
		}
		if r := b.do("POST", "/v1/market/"+id+"/predict", []byte(predictRows), "text/csv"); r.status != http.StatusUnauthorized {
			t.Errorf("a revoked buyer token: got %d, want 401", r.status)
		}
	})
}
