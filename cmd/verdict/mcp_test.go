package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/market/markettest"
)

// certifiedDataDir builds a data dir with two certified models
// (markettest) and closes it, for a verdict process to open.
func certifiedDataDir(t *testing.T) (string, *markettest.Fixture) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	f := markettest.Open(t, engine.Config{DataDir: dir, CacheDir: os.Getenv("VERDICT_CACHE_DIR")})
	if err := f.Engine.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dir, f
}

// TestMCPWithNpmClient runs the official TypeScript MCP client
// (@modelcontextprotocol/sdk, pinned in testdata/mcpclient) against
// `verdict mcp` over stdio: it lists the tools, searches, reads a card,
// predicts (metered), ranks the models on a labelled sample (scores
// checked against the models' definitions) and is refused an over-long
// argument. Skipped only when npm is missing
// outside CI.
func TestMCPWithNpmClient(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: npm ci")
	}
	npm := newcomerTool(t, "npm")
	node := newcomerTool(t, "node")
	data, f := certifiedDataDir(t)
	bin := verdictBinary(t)

	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "client.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "mcpclient", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ci := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	ci.Dir = dir
	if out, err := ci.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	keyFile := filepath.Join(t.TempDir(), "agent.key")
	key, err := credential.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := credential.WriteKeyFile(keyFile, key); err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join(t.TempDir(), "sample.csv")
	if err := os.WriteFile(sample, markettest.Sample, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "client.mjs", bin, "mcp", "--data-dir", data, "--key", keyFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VERDICT_DATA_DIR=", "VERDICT_SAMPLE="+sample)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		Server struct{ Name string }
		Tools  []string
		Models []struct {
			ID            string `json:"id"`
			CertifiedBy   string `json:"certified_by"`
			IssuerTrusted bool   `json:"issuer_trusted"`
		}
		Card struct {
			Card struct {
				ID    string
				Input struct{ Features []string }
			}
		}
		Refused struct {
			IsError bool
			Text    string
		}
		Predict struct {
			IsError bool
			Text    string
			Result  mcpserver.PredictOutput
		}
		Rank struct {
			IsError bool
			Text    string
			Result  mcpserver.RankOutput
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	if want := []string{"get_model_card", "predict", "rank_models_on_sample", "search_models", "verify_model"}; got.Server.Name != "verdict" || !slices.Equal(got.Tools, want) {
		t.Errorf("server %q tools %v, want verdict with %v", got.Server.Name, got.Tools, want)
	}
	if len(got.Models) != 2 {
		t.Fatalf("search_models: got %d models, want 2", len(got.Models))
	}
	for _, m := range got.Models {
		if m.CertifiedBy != f.Engine.HostDID() || !m.IssuerTrusted || (m.ID != f.IDs[markettest.Linear] && m.ID != f.IDs[markettest.Max]) {
			t.Errorf("model %+v: want one of %v, certified by %s, trusted", m, f.IDs, f.Engine.HostDID())
		}
	}
	if got.Card.Card.ID != got.Models[0].ID || !slices.Equal(got.Card.Card.Input.Features, []string{"a", "b"}) {
		t.Errorf("get_model_card: got %+v, want %s's card reading a, b", got.Card, got.Models[0].ID)
	}
	if p := got.Predict; p.IsError || len(p.Result.IDs) != 2 || p.Result.Usage.Caller != key.DID() || p.Result.Usage.Rows != 2 || p.Result.Receipt.Checkpoint == "" {
		t.Errorf("predict: got %+v, want 2 rows metered to %s with a receipt", p, key.DID())
	}
	if r := got.Rank; r.IsError || r.Result.Rows != 40 || len(r.Result.Models) != 2 {
		t.Errorf("rank_models_on_sample: got %+v, want both models ranked on 40 rows", r)
	} else {
		want := markettest.Scores(t, "mae")
		for i, m := range r.Result.Models {
			who := ""
			for name, id := range f.IDs {
				if id == m.Model.ID {
					who = name
				}
			}
			if m.Rank != i+1 || m.Score == nil || *m.Score != want[who] {
				t.Errorf("rank_models_on_sample place %d: got rank %d, %s score %v, want rank %d, score %v", i+1, m.Rank, m.Model.ID, m.Score, i+1, want[who])
			}
			if i > 0 && *r.Result.Models[i-1].Score > *m.Score {
				t.Errorf("rank_models_on_sample: mae %v ranked above %v", *r.Result.Models[i-1].Score, *m.Score)
			}
		}
	}
	if !got.Refused.IsError || !strings.Contains(got.Refused.Text, "more than 200") {
		t.Errorf("over-long text: got %+v, want a tool error naming the bound", got.Refused)
	}
}

// TestMCPKey runs `verdict mcp` under the Go SDK's MCP client
// (CommandTransport, over stdio): with --key FILE predict is metered to
// that key's did:key and its receipt is in the data dir's ledger, which
// verdict ledger verify accepts; without --key predict is refused,
// naming the flag, and search still answers.
func TestMCPKey(t *testing.T) {
	data, f := certifiedDataDir(t)
	bin := verdictBinary(t)
	keyFile := filepath.Join(t.TempDir(), "agent.key")
	key, err := credential.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := credential.WriteKeyFile(keyFile, key); err != nil {
		t.Fatal(err)
	}
	connect := func(args ...string) *mcp.ClientSession {
		cmd := exec.Command(bin, append([]string{"mcp", "--data-dir", data}, args...)...)
		cmd.Env = append(os.Environ(), "VERDICT_DATA_DIR=")
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	predict := func(cs *mcp.ClientSession) *mcp.CallToolResult {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "predict", Arguments: map[string]any{
			"id": f.IDs[markettest.Linear], "rows_csv": "id,a,b\nr1,1,2\nr2,0.5,0.25\nr3,3,1\n"}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	cs := connect("--key", keyFile)
	res := predict(cs)
	cs.Close()
	if res.IsError {
		t.Fatalf("predict with --key: %+v", res.Content)
	}
	var out mcpserver.PredictOutput
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Usage.Caller != key.DID() || out.Usage.Rows != 3 || out.Receipt.Index != 0 {
		t.Fatalf("usage %+v, receipt index %d; want 3 rows metered to %s, the ledger's first entry", out.Usage, out.Receipt.Index, key.DID())
	}
	receipt := filepath.Join(t.TempDir(), "receipt.json")
	rb, _ := json.Marshal(out.Receipt)
	if err := os.WriteFile(receipt, rb, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli(t, "--data-dir", data, "ledger", "verify", receipt); code != 0 {
		t.Errorf("verdict ledger verify of the MCP receipt: exit %d\n%s%s", code, stdout, stderr)
	}

	cs = connect()
	defer cs.Close()
	res = predict(cs)
	if text := toolText(res); !res.IsError || !strings.Contains(text, "--key FILE") {
		t.Errorf("predict without --key: got %q, want a tool error naming --key", text)
	}
	if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_models", Arguments: map[string]any{}}); err != nil || res.IsError {
		t.Errorf("search without --key: %+v, %v", res, err)
	}
}

// toolText is a tool result's text.
func toolText(res *mcp.CallToolResult) string {
	var msg []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			msg = append(msg, tc.Text)
		}
	}
	return strings.Join(msg, "; ")
}
