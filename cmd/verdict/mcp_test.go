package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
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
// `verdict mcp` over stdio: it lists the tools, searches, reads a card
// and is refused an over-long argument. Skipped only when npm is missing
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
	cmd := exec.Command(node, "client.mjs", bin, "mcp", "--data-dir", data)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VERDICT_DATA_DIR=")
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
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	if want := []string{"get_model_card", "rank_models_on_sample", "search_models", "verify_model"}; got.Server.Name != "verdict" || !slices.Equal(got.Tools, want) {
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
	if !got.Refused.IsError || !strings.Contains(got.Refused.Text, "more than 200") {
		t.Errorf("over-long text: got %+v, want a tool error naming the bound", got.Refused)
	}
}
