package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/market/markettest"
)

// marketServer serves a marketplace with two certified models.
func marketServer(t *testing.T) (*markettest.Fixture, *httptest.Server, string) {
	t.Helper()
	f := markettest.Open(t, engine.Config{CacheDir: cacheDir})
	token, err := httpapi.NewToken(f.Engine.DataDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Engine: f.Engine, Market: f.Market, DataDir: f.Engine.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return f, srv, token
}

// TestMCPOverServe drives /mcp with the Go SDK's MCP client: list tools,
// search, rank on a sample, as an agent pointed at `verdict serve` would.
func TestMCPOverServe(t *testing.T) {
	f, srv, _ := marketServer(t)
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL + "/mcp"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 5 {
		t.Fatalf("ListTools: got %v, %v; want 5 tools", tools, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_models", Arguments: map[string]any{"features": []string{"a", "b"}}})
	if err != nil || res.IsError {
		t.Fatalf("search_models: %+v, %v", res, err)
	}
	var found mcpserver.SearchOutput
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &found); err != nil || len(found.Models) != 2 {
		t.Fatalf("search_models: got %s, %v; want 2 models", b, err)
	}
	for _, m := range found.Models {
		if m.CertifiedBy != f.Engine.HostDID() || !m.IssuerTrusted {
			t.Errorf("%s: certified by %s, trusted %v; want this host, trusted", m.ID, m.CertifiedBy, m.IssuerTrusted)
		}
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "rank_models_on_sample", Arguments: map[string]any{
		"task_type": "regression", "metric": "rmse", "sample_csv": string(markettest.Sample), "label_column": "target"}})
	if err != nil || res.IsError {
		t.Fatalf("rank_models_on_sample: %+v, %v", res, err)
	}
	var ranked mcpserver.RankOutput
	b, _ = json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &ranked); err != nil || ranked.Rows != 40 || len(ranked.Models) != 2 || ranked.Models[0].Rank != 1 {
		t.Fatalf("rank_models_on_sample: got %s, %v", b, err)
	}

	for _, tc := range []struct {
		name, method, auth string
		want               int
	}{
		{"GET: no stream", http.MethodGet, "", http.StatusMethodNotAllowed},
		{"a bad host token", http.MethodPost, "Bearer nope", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("got %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
