package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestPhasePage: a phased task's page lists its phases, the current one
// marked, and says what the final phase does.
func TestPhasePage(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	data, err := filepath.Abs(filepath.Join("testdata", "regression.csv"))
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`id: phased
title: Phased cup
type: regression
metric: rmse
data: {test: %q}
split: {public_fraction: 0.5, seed: web}
phases:
  - {id: dev, name: Development, schedule: {start: "2026-01-01T00:00:00Z"}, limits: {daily_limit: 4, total_limit: 20, timeout_s: 12}}
  - {id: final, name: Final round, final: true, schedule: {start: "2099-01-01T00:00:00Z"}}
`, data)
	path := filepath.Join(t.TempDir(), "phased.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, path); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(e, Config{Viewer: testViewer}))
	defer srv.Close()
	page := get(t, srv, "/tasks/phased", "", http.StatusOK)
	contains(t, "phased task page", page, "<h3>Phases</h3>", `aria-current="step"><strong>Development</strong> (now)`,
		"<strong>Final round</strong>", "no submissions", "the final leaderboard is decided here",
		"submissions accepted, 4 a day, at most 20, 256 MiB and 12 s per model")
	lacks(t, "unphased", get(t, srv, "/", "", http.StatusOK), "<h3>Phases</h3>")
	// Each phase's board: the current one's by default, another by
	// ?phase=, none for a final phase that has not begun.
	contains(t, "phased task page", page, `Boards by phase: <strong aria-current="page">Development</strong>.`)
	lacks(t, "phased task page", page, `?phase=final`)
	dev := get(t, srv, "/tasks/phased?phase=dev", "", http.StatusOK)
	contains(t, "dev board page", dev, "Public leaderboard — phase Development", `<strong aria-current="page">Development</strong>`)
	get(t, srv, "/tasks/phased?phase=nope", "", http.StatusNotFound)
}
