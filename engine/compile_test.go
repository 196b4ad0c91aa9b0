package engine_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestCompileBombs: a module that is small but slow to compile must not
// stall the queue. Compiling counts against the task's time limit, so the
// whole evaluation is stopped by the limit, fails with kind timeout
// and counts toward its submitter's limit; a module whose code the
// sandbox's pre-decoder refuses (40,000 nested blocks) fails at once. A
// good model queued behind them is scored. Before, both bombs compiled
// to the end and were recorded scored (the 40,000-deep nest after 24.7 s
// on a 2 s task), and the good model waited 28.6 s behind them.
func TestCompileBombs(t *testing.T) {
	const timeout = 4 * time.Second
	e, _ := contest(t, "limits: {daily_limit: 1, timeout_s: 4}\n", engine.Config{Workers: 1})
	ctx := context.Background()
	bombs := []struct {
		who, kind, fragment string
		module              []byte
	}{
		{"ada", "timeout", "time limit of 4s exceeded in compile", sandboxtest.SlowCompile(512, 4000)}, // 20 MB, 25 s to compile on an idle machine
		{"cy", "invalid_module", "blocks nested more than 8192 deep", sandboxtest.NestedBlocks(40_000)},
	}
	var ids []string
	for _, b := range bombs {
		sub, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: b.who, Module: b.module})
		if err != nil {
			t.Fatalf("Enqueue(%s): %v", b.who, err)
		}
		ids = append(ids, sub.ID)
	}
	start := time.Now()
	good, err := submit(t, e, "bob", linear)
	waited := time.Since(start)
	t.Logf("good model behind the bombs waited %v", waited)
	if err != nil || good.Status != "scored" {
		t.Fatalf("good model behind the bombs: got %+v, %v; want scored", good, err)
	}
	// How long it waited is logged, not asserted (no timed assertions: the
	// machine is shared). That the bombs were stopped by the limit, not
	// compiled to the end, is asserted below by their kind and message.
	for i, b := range bombs {
		got, err := e.Submission(ids[i], engine.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s's bomb: %s after %v ms: %+v", b.who, got.Status, got.ElapsedMS, got.Error)
		if got.Status != "failed" || got.Error == nil || got.Error.Kind != b.kind {
			t.Errorf("%s's bomb: got status %q, error %+v after %v ms; want failed with kind %q",
				b.who, got.Status, got.Error, got.ElapsedMS, b.kind)
			continue
		}
		if !strings.Contains(got.Error.Message, b.fragment) {
			t.Errorf("%s's bomb: message %q, want fragment %q", b.who, got.Error.Message, b.fragment)
		}
		if b.kind == "timeout" && got.ElapsedMS < float64(timeout.Milliseconds()) {
			t.Errorf("%s's bomb: timed out after %v ms, before the %v limit", b.who, got.ElapsedMS, timeout)
		}
	}
	// A compile timeout is the model's failure: it counts toward the limit.
	if _, err := submit(t, e, "ada", linear); !errors.Is(err, engine.ErrQuotaExceeded) {
		t.Errorf("ada's second submission after a compile timeout: got %v, want ErrQuotaExceeded", err)
	}
}

// TestCacheBound: Config.CacheMaxBytes reaches the sandbox: with a bound
// smaller than any compiled module, the cache keeps only the entry of the
// module compiled last. Before, every module compiled stayed on disk.
func TestCacheBound(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cache, CacheMaxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	createContest(t, e, "contest", "")
	for _, who := range []string{"ada", "bob"} {
		m := map[string][]byte{"ada": linear, "bob": cmodel}[who]
		if sub, err := submit(t, e, who, m); err != nil || sub.Status != "scored" {
			t.Fatalf("%s: got %+v, %v; want scored", who, sub, err)
		}
	}
	var entries []string
	filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			entries = append(entries, path)
		}
		return nil
	})
	if len(entries) != 1 {
		t.Errorf("cache bounded to 1 byte after two modules: holds %d entries %v, want 1 (the last module's)", len(entries), entries)
	}
}
