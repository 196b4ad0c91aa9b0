package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// gatedTask creates a breast-cancer task with the given gates.
func gatedTask(t *testing.T, e *engine.Engine, id, gates string) {
	t.Helper()
	data, err := filepath.Abs("../examples/data/breast_cancer_test.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: %s\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\nsplit: {public_fraction: 0.3, seed: s}\nlimits: {memory_mb: 64}\n%s", id, data, gates)
	path := filepath.Join(t.TempDir(), id+".yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(context.Background(), path); err != nil {
		t.Fatalf("CreateTask %s: %v", id, err)
	}
}

func TestPromoteAndRevoke(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	clk := &clock{t: day0}
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Close(ctx) }()
	const gates = `gates:
  min_score: 0.9
  beats_baseline: {alpha: 0.05}
  max_latency_ms_per_1k_rows: 1e6
  max_memory_mb: 64
  deterministic: true
  valid_outputs: true
  max_module_mb: 10
promote_top: 1
`
	gatedTask(t, e, "bc-gates", gates)
	createContest(t, e, "strict", "gates: {min_score: 0.0001}\n") // rmse: nobody gets that low
	alice, bob, konst := exampleModule(t, "alice"), exampleModule(t, "bob"), sandboxtest.Wasm(sandboxtest.Const)

	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "bc-gates", Participant: "host", Module: konst, Baseline: true}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		task, who string
		module    []byte
		gates     int
	}{{"bc-gates", "alice", alice, 7}, {"bc-gates", "bob", bob, 7}, {"strict", "ada", linear, 1}, {"strict", "bob", cmodel, 1}} {
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: s.task, Participant: s.who, Module: s.module})
		if err != nil || sub.Failed() {
			t.Fatalf("%s on %s: %+v, %v", s.who, s.task, sub, err)
		}
		if len(sub.Gates) != s.gates || (s.task == "strict" && sub.Gates[0].Passed) {
			t.Errorf("%s on %s: got gate results %+v, want %d (min_score failed on strict)", s.who, s.task, sub.Gates, s.gates)
		}
	}
	if _, err := e.Promote(ctx, "bc-gates"); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Promote before close: got %v, want ErrBadRequest", err)
	}

	clk.Add(time.Hour)
	closedAt := clk.Now()
	for _, task := range []string{"bc-gates", "strict"} {
		if _, err := e.CloseTask(context.Background(), task); err != nil {
			t.Fatal(err)
		}
	}
	strict, err := e.Promote(ctx, "strict")
	if err != nil {
		t.Fatal(err)
	}
	if len(strict) != engine.DefaultPromoteTop-1 { // two ranked participants
		t.Errorf("strict: got %d promotions, want 2", len(strict))
	}
	for _, p := range strict {
		if p.Credential != nil || p.Gates[0].Passed {
			t.Errorf("strict %s: got credential %v, gates %+v; want none, min_score failed", p.Participant, p.Credential, p.Gates)
		}
	}
	proms, err := e.Promote(ctx, "bc-gates")
	if err != nil {
		t.Fatal(err)
	}
	if len(proms) != 1 || proms[0].Rank != 1 || proms[0].Credential == nil {
		t.Fatalf("bc-gates: got %+v, want one credential for rank 1", proms)
	}
	for _, g := range proms[0].Gates {
		if !g.Passed {
			t.Errorf("gate %s: got failed (%v vs %v), want passed", g.Name, g.Value, g.Threshold)
		}
	}
	cred := proms[0].Credential
	module := alice
	if proms[0].Participant == "bob" {
		module = bob
	}
	list := func(context.Context, string) ([]byte, error) { return os.ReadFile(e.StatusListPath()) }
	res, err := credential.VerifyModel(ctx, cred.Signed, credential.VerifyOptions{
		Issuer: e.HostDID(), Module: module, StatusList: list, Now: clk.Now(),
	})
	if err != nil {
		t.Fatalf("VerifyModel: %v", err)
	}
	sub := res.Credential.Subject
	if !res.StatusChecked || sub.Task.ID != "bc-gates" || sub.Rank != 1 || sub.RankedParticipants != 2 ||
		sub.Scores.Private == nil || len(sub.Gates) != 7 ||
		!res.Credential.ValidFrom.Equal(closedAt) || sub.EngineVersion != engine.Version {
		t.Errorf("verified credential: got %+v, status checked %v", res.Credential, res.StatusChecked)
	}
	// An unsigned participant's name is a relative IRI, which JSON-LD
	// drops: the credential names it by an absolute one, the engine by its id.
	if want := "urn:verdict:participant:bc-gates:" + proms[0].Participant; sub.Author != want || cred.Author != proms[0].Participant {
		t.Errorf("author: credential says %q, engine %q; want %q, %q", sub.Author, cred.Author, want, proms[0].Participant)
	}
	if os.Getenv("VERDICT_PRINT_CREDENTIAL") != "" {
		t.Logf("%s", cred.Signed)
	}

	t.Run("Idempotent", func(t *testing.T) {
		again, err := e.Promote(ctx, "bc-gates")
		if err != nil || len(again) != 1 || again[0].Credential.ID != cred.ID {
			t.Errorf("Promote again: got %+v, %v; want the same credential", again, err)
		}
		all, err := e.Credentials("")
		if err != nil || len(all) != 1 {
			t.Errorf("Credentials: got %d, %v; want 1", len(all), err)
		}
	})
	t.Run("ErrBadSignature", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(cred.Signed, &doc); err != nil {
			t.Fatal(err)
		}
		doc["credentialSubject"].(map[string]any)["rank"] = 2
		tampered, _ := json.Marshal(doc)
		_, err := credential.VerifyModel(ctx, tampered, credential.VerifyOptions{Issuer: e.HostDID(), Now: clk.Now()})
		if !errors.Is(err, credential.ErrBadSignature) {
			t.Errorf("tampered: got %v, want ErrBadSignature", err)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		clk.Add(time.Hour)
		r, err := e.Revoke(cred.ID, "leaked test labels")
		if err != nil || r.Revoked == nil || r.Revoked.Reason != "leaked test labels" {
			t.Fatalf("Revoke: got %+v, %v", r, err)
		}
		_, err = credential.VerifyModel(ctx, cred.Signed, credential.VerifyOptions{
			Issuer: e.HostDID(), StatusList: list, Now: clk.Now(),
		})
		if !errors.Is(err, credential.ErrRevoked) {
			t.Errorf("after Revoke: got %v, want ErrRevoked", err)
		}
		if _, err := e.Revoke(cred.ID, "again"); !errors.Is(err, engine.ErrBadRequest) {
			t.Errorf("Revoke twice: got %v, want ErrBadRequest", err)
		}
		if _, err := e.Revoke("urn:uuid:00000000-0000-4000-8000-000000000000", ""); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Revoke unknown: got %v, want ErrNotFound", err)
		}
	})
	t.Run("HostKeyKept", func(t *testing.T) {
		did := e.HostDID()
		e.Close(ctx)
		fi, err := os.Stat(filepath.Join(dir, "host.key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("host.key: got %v, %v; want mode 0600", fi, err)
		}
		e, err = engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if e.HostDID() != did {
			t.Errorf("reopened: got host %s, want %s", e.HostDID(), did)
		}
		c, err := e.Credential(cred.ID)
		if err != nil || c.Revoked == nil {
			t.Errorf("reopened: credential %+v, %v; want it, revoked", c, err)
		}
	})
}

// TestRevokeHammer promotes a task closed by its schedule (no CloseTask)
// and revokes every credential at once: each revocation re-signs the one
// status list, so none may be lost.
func TestRevokeHammer(t *testing.T) {
	ctx := context.Background()
	e, clk := contest(t, "schedule: {end: 2026-03-02T00:00:00Z}\n", engine.Config{})
	for who, m := range map[string][]byte{"ada": linear, "bob": cmodel, "cy": konst} {
		mustSubmit(t, e, who, m)
	}
	clk.Set(day0.Add(48 * time.Hour))
	proms, err := e.Promote(ctx, "contest")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	indexes := map[int]bool{}
	for _, p := range proms {
		if p.Credential == nil {
			t.Fatalf("%s: no credential (no gates): %+v", p.Participant, p.Gates)
		}
		ids = append(ids, p.Credential.ID)
		indexes[p.Credential.StatusIndex] = true
	}
	if len(ids) != 3 || len(indexes) != 3 {
		t.Fatalf("got %d credentials with %d distinct status indexes, want 3 and 3", len(ids), len(indexes))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(ids))
	for _, id := range ids {
		wg.Add(2)
		go func() { defer wg.Done(); _, err := e.Revoke(id, "hammer"); errs <- err }()
		go func() { defer wg.Done(); _, err := e.Credentials("contest"); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := os.ReadFile(e.StatusListPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range proms {
		_, err := credential.VerifyModel(ctx, p.Credential.Signed, credential.VerifyOptions{
			Issuer: e.HostDID(), Now: clk.Now(),
			StatusList: func(context.Context, string) ([]byte, error) { return list, nil },
		})
		if !errors.Is(err, credential.ErrRevoked) {
			t.Errorf("%s: got %v, want ErrRevoked", p.Participant, err)
		}
	}
}

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// zeros is an entropy source of zero bytes: a fixed host key and fixed
// credential ids, so that an issued credential is reproducible.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestCredentialGolden: on an injected clock and entropy, the credential a
// promotion issues is byte for byte testdata/credential.golden.json (run
// with -update after a deliberate change).
func TestCredentialGolden(t *testing.T) {
	e, clk := contest(t, "gates: {min_score: 5, valid_outputs: true, max_module_mb: 1, deterministic: true}\npromote_top: 1\n",
		engine.Config{Rand: zeros{}, BaseURL: "https://verdict.example/"})
	mustSubmit(t, e, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", linear)
	mustSubmit(t, e, "bob", cmodel)
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	proms, err := e.Promote(context.Background(), "contest")
	if err != nil || len(proms) != 1 || proms[0].Credential == nil {
		t.Fatalf("Promote: got %+v, %v; want one credential", proms, err)
	}
	got := proms[0].Credential.Signed
	golden := filepath.Join("testdata", "credential.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("credential differs from %s (run with -update if intended):\ngot\n%s\nwant\n%s", golden, got, want)
	}
}
