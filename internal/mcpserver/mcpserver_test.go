package mcpserver_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verdict-mcp-cache-")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixture is a marketplace with this host's two models and one ingested
// from another host, untrusted.
type fixture struct {
	*markettest.Fixture
	foreign string // the ingested model's id
	other   string // its issuer
}

func newFixture(t *testing.T) *fixture { return newFixtureB(t) }

func newFixtureB(t testing.TB) *fixture {
	t.Helper()
	f := markettest.Open(t, engine.Config{CacheDir: cacheDir})
	g := markettest.Open(t, engine.Config{CacheDir: cacheDir})
	_, b, err := g.Market.Bundle(g.IDs[markettest.Max])
	if err != nil {
		t.Fatal(err)
	}
	me, err := f.Market.Ingest(context.Background(), b, market.IngestOptions{AllowUntrusted: true})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Fixture: f, foreign: me.ID, other: g.Engine.HostDID()}
}

// sessions connects a Go SDK client to the server over each transport:
// in memory, and streamable HTTP through the handler.
func sessions(t testing.TB, f *fixture) map[string]*mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	s := mcpserver.New(mcpserver.Config{Market: f.Market, Version: "test"})
	out := map[string]*mcp.ClientSession{}

	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	out["memory"] = cs

	srv := httptest.NewServer(mcpserver.Handler(s))
	t.Cleanup(srv.Close)
	hs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Close() })
	out["http"] = hs
	return out
}

// call calls a tool and decodes its structured answer into out; it
// returns the tool error text, "" on success.
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any, out any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		var msg []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				msg = append(msg, tc.Text)
			}
		}
		return strings.Join(msg, "; ")
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: decode %s: %v", name, b, err)
	}
	return ""
}

func TestMCP(t *testing.T) {
	f := newFixture(t)
	host := f.Engine.HostDID()
	for transport, cs := range sessions(t, f) {
		t.Run(transport, func(t *testing.T) {
			ctx := context.Background()
			tools, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range tools.Tools {
				names = append(names, tool.Name)
			}
			slices.Sort(names)
			if want := []string{"get_model_card", "predict", "rank_models_on_sample", "search_models", "verify_model"}; !slices.Equal(names, want) {
				t.Errorf("tools: got %v, want %v", names, want)
			}

			t.Run("search_models", func(t *testing.T) {
				var got mcpserver.SearchOutput
				if msg := call(t, cs, "search_models", map[string]any{"task_type": "regression", "features": []string{"A"}}, &got); msg != "" {
					t.Fatal(msg)
				}
				if len(got.Models) != 3 {
					t.Fatalf("got %d models, want 3", len(got.Models))
				}
				for _, m := range got.Models {
					wantTrusted, wantIssuer, wantName := true, host, "this host"
					if m.ID == f.foreign {
						wantTrusted, wantIssuer, wantName = false, f.other, ""
					}
					if m.IssuerTrusted != wantTrusted || m.CertifiedBy != wantIssuer || m.IssuerName != wantName {
						t.Errorf("%s: got certified by %s (trusted %v, %q), want %s (trusted %v, %q)", m.ID, m.CertifiedBy, m.IssuerTrusted, m.IssuerName, wantIssuer, wantTrusted, wantName)
					}
				}
				if msg := call(t, cs, "search_models", map[string]any{"trusted_only": true}, &got); msg != "" || len(got.Models) != 2 {
					t.Errorf("trusted only: got %d models (%s), want 2", len(got.Models), msg)
				}
				if msg := call(t, cs, "search_models", map[string]any{"text": "ada"}, &got); msg != "" || len(got.Models) != 1 || got.Models[0].ID != f.IDs[markettest.Linear] {
					t.Errorf("text ada: got %+v (%s), want ada's model", got.Models, msg)
				}
			})

			t.Run("get_model_card", func(t *testing.T) {
				var got mcpserver.CardOutput
				if msg := call(t, cs, "get_model_card", map[string]any{"id": f.IDs[markettest.Linear][:8]}, &got); msg != "" {
					t.Fatal(msg)
				}
				if got.Card.ID != f.IDs[markettest.Linear] || got.Card.Author != markettest.Linear || !slices.Equal(got.Card.Input.Features, []string{"a", "b"}) ||
					got.Model.CertifiedBy != host || !got.Model.IssuerTrusted {
					t.Errorf("got %+v", got)
				}
			})

			t.Run("verify_model", func(t *testing.T) {
				for _, tc := range []struct {
					id      string
					trusted bool
					issuer  string
				}{{f.IDs[markettest.Max], true, host}, {f.foreign, false, f.other}} {
					var got market.Verification
					if msg := call(t, cs, "verify_model", map[string]any{"id": tc.id}, &got); msg != "" {
						t.Fatal(msg)
					}
					if !got.Valid || !got.StatusChecked || got.Revoked != nil || got.Trusted != tc.trusted || got.Issuer != tc.issuer {
						t.Errorf("%s: got %+v, want valid, status checked, trusted %v, issuer %s", tc.id, got, tc.trusted, tc.issuer)
					}
				}
			})

			t.Run("rank_models_on_sample", func(t *testing.T) {
				want := markettest.Scores(t, "mae")
				var got mcpserver.RankOutput
				if msg := call(t, cs, "rank_models_on_sample", map[string]any{"task_type": "regression", "metric": "mae",
					"sample_csv": string(markettest.Sample), "label_column": "target"}, &got); msg != "" {
					t.Fatal(msg)
				}
				if got.Rows != 40 || len(got.Models) != 3 || got.HigherIsBetter {
					t.Fatalf("got %d rows, %d models, higher is better %v; want 40, 3, false", got.Rows, len(got.Models), got.HigherIsBetter)
				}
				for i, rm := range got.Models {
					if rm.Rank != i+1 || rm.Score == nil || rm.Interval == nil {
						t.Fatalf("place %d: got %+v", i+1, rm)
					}
					if i > 0 && *rm.Score < *got.Models[i-1].Score {
						t.Errorf("place %d: mae %v better than place %d's %v", i+1, *rm.Score, i, *got.Models[i-1].Score)
					}
					who := markettest.Max
					if rm.Model.ID == f.IDs[markettest.Linear] {
						who = markettest.Linear
					}
					if math.Abs(*rm.Score-want[who]) > 1e-12 {
						t.Errorf("%s: got mae %v, want %v (computed directly)", rm.Model.ID, *rm.Score, want[who])
					}
					if rm.Interval.Low > *rm.Score || rm.Interval.High < *rm.Score {
						t.Errorf("%s: interval %+v does not hold %v", rm.Model.ID, rm.Interval, *rm.Score)
					}
				}
				if want[markettest.Linear] < want[markettest.Max] && got.Models[0].Model.ID != f.IDs[markettest.Linear] {
					t.Errorf("best: got %s, want ada's %s", got.Models[0].Model.ID, f.IDs[markettest.Linear])
				}
				if msg := call(t, cs, "rank_models_on_sample", map[string]any{"task_type": "regression", "metric": "mae",
					"sample_csv": string(markettest.Sample), "label_column": "target", "trusted_only": true}, &got); msg != "" || len(got.Models) != 2 {
					t.Errorf("trusted only: got %d models (%s), want 2", len(got.Models), msg)
				}
			})

			t.Run("resources", func(t *testing.T) {
				for _, what := range []string{"card", "credential"} {
					uri := "verdict://models/" + f.foreign + "/" + what
					res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
					if err != nil {
						t.Fatalf("%s: %v", uri, err)
					}
					c := res.Contents[0]
					if !strings.Contains(c.Text, f.foreign) || c.Meta["certified_by"] != f.other || c.Meta["issuer_trusted"] != false {
						t.Errorf("%s: got meta %v, text %.80s", uri, c.Meta, c.Text)
					}
				}
				if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "verdict://models/00000000-0000-0000-0000-000000000000/card"}); err == nil {
					t.Error("unknown model: got a resource, want not found")
				}
			})

			errs := []struct {
				name, tool string
				args       map[string]any
				want       string
			}{
				{"text too long", "search_models", map[string]any{"text": strings.Repeat("x", mcpserver.MaxText+1)}, "text: 201 bytes, more than 200"},
				{"too many features", "search_models", map[string]any{"features": make([]string, mcpserver.MaxFeatures+1)}, "features: 65 names, more than 64"},
				{"limit", "search_models", map[string]any{"limit": 1000}, "limit: 1000 is not in [0, 100]"},
				{"unknown task type", "search_models", map[string]any{"task_type": "poetry"}, `task type "poetry"`},
				{"unknown model", "get_model_card", map[string]any{"id": "ffffffff"}, "not found"},
				{"sample too large", "rank_models_on_sample", map[string]any{"task_type": "regression", "metric": "mae", "sample_csv": strings.Repeat("x", mcpserver.MaxSampleCSV+1)}, "sample_csv: 1048577 bytes, more than 1048576"},
				{"no sample", "rank_models_on_sample", map[string]any{"task_type": "regression", "metric": "mae", "sample_csv": ""}, "sample_csv: required"},
				{"predict without a caller", "predict", map[string]any{"id": f.IDs[markettest.Linear], "rows_csv": string(markettest.Sample)}, "predict is metered to an authenticated caller: " + mcpserver.DefaultNoCaller},
				{"no label", "rank_models_on_sample", map[string]any{"task_type": "regression", "metric": "mae", "sample_csv": string(markettest.Sample)}, `"label"`},
			}
			for _, tc := range errs {
				t.Run("error/"+tc.name, func(t *testing.T) {
					var out any
					if msg := call(t, cs, tc.tool, tc.args, &out); !strings.Contains(msg, tc.want) {
						t.Errorf("got %q, want an error containing %q", msg, tc.want)
					}
				})
			}
		})
	}
}

// TestVerifyRevoked: verify_model reports a revoked model as revoked, not
// valid, with the reason; search leaves it out.
func TestVerifyRevoked(t *testing.T) {
	f := newFixture(t)
	id := f.IDs[markettest.Max]
	if _, err := f.Engine.Revoke(id, "leaked test labels"); err != nil {
		t.Fatal(err)
	}
	cs := sessions(t, f)["memory"]
	var got market.Verification
	if msg := call(t, cs, "verify_model", map[string]any{"id": id}, &got); msg != "" {
		t.Fatal(msg)
	}
	if got.Valid || got.Revoked == nil || got.Revoked.Reason != "leaked test labels" || !got.Trusted {
		t.Errorf("got %+v, want revoked for the reason given, not valid, issuer trusted", got)
	}
	var found mcpserver.SearchOutput
	if msg := call(t, cs, "search_models", map[string]any{}, &found); msg != "" {
		t.Fatal(msg)
	}
	for _, m := range found.Models {
		if m.ID == id {
			t.Errorf("search: got the revoked model %s", id)
		}
	}
	if len(found.Models) != 2 {
		t.Errorf("search: got %d models, want 2 (ada's and the foreign one)", len(found.Models))
	}
}

// TestTrustedByName: once the operator trusts the foreign issuer, answers
// name it as the registry does, at once.
func TestTrustedByName(t *testing.T) {
	f := newFixture(t)
	cs := sessions(t, f)["memory"]
	card := func() mcpserver.ModelSummary {
		t.Helper()
		var got mcpserver.CardOutput
		if msg := call(t, cs, "get_model_card", map[string]any{"id": f.foreign}, &got); msg != "" {
			t.Fatal(msg)
		}
		return got.Model
	}
	if m := card(); m.IssuerTrusted || m.IssuerName != "" {
		t.Fatalf("before: got trusted %v, name %q; want untrusted, no name", m.IssuerTrusted, m.IssuerName)
	}
	ti := market.TrustedIssuer{DID: f.other, Name: "Lab B", Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := f.Market.Trust(context.Background(), ti); err != nil {
		t.Fatal(err)
	}
	if m := card(); !m.IssuerTrusted || m.IssuerName != "Lab B" || m.CertifiedBy != f.other {
		t.Errorf("after trust: got %+v, want certified by %s, trusted, Lab B", m, f.other)
	}
	var found mcpserver.SearchOutput
	if msg := call(t, cs, "search_models", map[string]any{"trusted_only": true}, &found); msg != "" || len(found.Models) != 3 {
		t.Errorf("trusted only: got %d models (%s), want 3", len(found.Models), msg)
	}
}

// TestRankHammer: concurrent rankings over HTTP (more than the server
// runs at once, so some wait for a slot) all get the same answer.
func TestRankHammer(t *testing.T) {
	f := newFixture(t)
	cs := sessions(t, f)["http"]
	args := map[string]any{"task_type": "regression", "metric": "rmse", "sample_csv": string(markettest.Sample), "label_column": "target"}
	const callers = 6
	answers := make([]string, callers)
	errs := make(chan error, callers)
	for i := range callers {
		go func() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "rank_models_on_sample", Arguments: args})
			if err == nil {
				b, _ := json.Marshal(res.StructuredContent)
				answers[i] = string(b)
			}
			errs <- err
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range answers {
		if answers[i] != answers[0] || !strings.Contains(answers[0], `"rank":1`) {
			t.Fatalf("answer %d: got %.200s, want %.200s", i, answers[i], answers[0])
		}
	}
}
