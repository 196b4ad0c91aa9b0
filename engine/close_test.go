package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// waitCredentials waits (generously: the certifier reruns the models in
// the background) until the task has n credentials.
func waitCredentials(t *testing.T, e *engine.Engine, task string, n int) []engine.Credential {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cs, err := e.Credentials(task)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) >= n {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %q: got %d credentials after 30 s, want %d: no promotion after the schedule's close", task, len(cs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestScheduleCloseCertifies: a task closed by its schedule is certified
// by the engine the first time it sees it closed, once, without a
// Promote; a later Promote reads the same outcome back.
func TestScheduleCloseCertifies(t *testing.T) {
	ctx := context.Background()
	e, clk := contest(t, "schedule: {end: 2026-03-02T00:00:00Z}\n", engine.Config{})
	mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "bob", cmodel)
	clk.Set(day0.Add(48 * time.Hour))
	if _, err := e.Leaderboard("contest", engine.Viewer{Participant: "ada"}, true); err != nil {
		t.Fatal(err)
	}
	cs := waitCredentials(t, e, "contest", 2)
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var ids []string
	for _, c := range cs {
		if !c.ValidFrom.Equal(end) {
			t.Errorf("%s: valid from %s, want the schedule's end %s", c.Author, c.ValidFrom, end)
		}
		ids = append(ids, c.ID)
	}
	proms, err := e.Promote(ctx, "contest")
	if err != nil {
		t.Fatal(err)
	}
	var again []string
	for _, p := range proms {
		if p.Credential != nil {
			again = append(again, p.Credential.ID)
		}
	}
	slices.Sort(ids)
	slices.Sort(again)
	if !slices.Equal(ids, again) {
		t.Errorf("Promote after the certifier: got credentials %v, want the same %v", again, ids)
	}
	if cs, _ := e.Credentials("contest"); len(cs) != 2 {
		t.Errorf("got %d credentials, want 2: issued once", len(cs))
	}
}

// TestPublicOnlyTaskCertifies: with public_fraction 1 there is no private
// part, so the final ranking is the public one and closing certifies its
// winner, gates measured on the public part.
func TestPublicOnlyTaskCertifies(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: day0.Add(9 * time.Hour)}
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	data, err := filepath.Abs("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: contest\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 1}\nlimits: {memory_mb: 16}\ngates: {deterministic: true, min_score: 1000}\npromote_top: 1\n", data)
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, path); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "cy", konst)
	public, err := e.Leaderboard("contest", engine.Host, false)
	if err != nil || len(public) != 2 {
		t.Fatalf("public board: %+v, %v", public, err)
	}
	if _, err := e.CloseTask(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	final, err := e.Leaderboard("contest", engine.Viewer{Participant: "cy"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != 2 || final[0].Participant != public[0].Participant || final[0].Rank != 1 {
		t.Errorf("final board: got %+v, want the public ranking %+v", final, public)
	}
	proms, err := e.Promote(ctx, "contest")
	if err != nil {
		t.Fatal(err)
	}
	if len(proms) != 1 || proms[0].Participant != public[0].Participant || proms[0].Credential == nil {
		t.Fatalf("got promotions %+v, want a credential for the public winner %s", proms, public[0].Participant)
	}
}
