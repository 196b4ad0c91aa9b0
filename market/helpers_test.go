package market_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// cacheDir is shared by every engine in this test binary so that each
// module is compiled once: under -race wazero's own compiler is slow.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verdict-market-cache-")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// clock is an injected clock: it moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// day0 is the first day of every test contest.
var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

var (
	linear = sandboxtest.Wasm(sandboxtest.Linear)
	cmodel = sandboxtest.Wasm(sandboxtest.CModel)
	konst  = sandboxtest.Wasm(sandboxtest.Const)
)

// zeros is an entropy source of zero bytes: a fixed host key and fixed
// credential ids, for golden files.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// contest opens an engine on a fake clock at day0+9h, with its marketplace,
// and creates a regression task "contest" on testdata/contest.csv, with
// extra spec lines appended.
func contest(t testing.TB, extra string, cfg engine.Config) (*engine.Engine, *market.Market, *clock) {
	t.Helper()
	e, clk := contestEngine(t, extra, cfg)
	return e, open(t, e), clk
}

// contestEngine is contest without the marketplace: what a CLI command
// that promotes has open.
func contestEngine(t testing.TB, extra string, cfg engine.Config) (*engine.Engine, *clock) {
	t.Helper()
	clk := &clock{t: day0.Add(9 * time.Hour)}
	cfg.Now, cfg.CacheDir = clk.Now, cacheDir
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
	}
	e, err := engine.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: contest\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n%s", data, extra)
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(context.Background(), path); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	return e, clk
}

// open opens e's marketplace.
func open(t testing.TB, e *engine.Engine) *market.Market {
	t.Helper()
	m, err := market.Open(context.Background(), e)
	if err != nil {
		t.Fatalf("market.Open: %v", err)
	}
	return m
}

func mustSubmit(t testing.TB, e *engine.Engine, who string, module []byte) *engine.Submission {
	t.Helper()
	sub, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "contest", Participant: who, Module: module})
	if err != nil || sub.Failed() {
		t.Fatalf("Submit(%s): %+v, %v", who, sub, err)
	}
	return sub
}
