package market_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// TestCatchUp: models certified (and revoked) while no marketplace was
// listening are listed (and marked) when one opens, once: opening again
// lists nothing and signs no card again.
func TestCatchUp(t *testing.T) {
	ctx := context.Background()
	e, clk := contestEngine(t, "", engine.Config{})
	mustSubmit(t, e, "ada", linear)
	mustSubmit(t, e, "bob", cmodel)
	clk.Add(time.Hour)
	proms, err := e.CloseTask(ctx, "contest")
	if err != nil || len(proms) != 2 || proms[0].Credential == nil || proms[1].Credential == nil {
		t.Fatalf("CloseTask: got %+v, %v; want two credentials", proms, err)
	}
	first, second := proms[0].Credential, proms[1].Credential
	if _, err := e.Revoke(second.ID, "withdrawn"); err != nil {
		t.Fatal(err)
	}

	m := market.New(e)
	if ms, err := m.List(market.Query{IncludeRevoked: true}); err != nil || len(ms) != 0 {
		t.Fatalf("List before CatchUp: got %d entries, %v; want none (hooks are not retroactive)", len(ms), err)
	}
	n, err := m.CatchUp(ctx)
	if err != nil || n != 2 {
		t.Fatalf("CatchUp: got %d, %v; want 2 listed", n, err)
	}
	if ms, err := m.List(market.Query{}); err != nil || len(ms) != 1 || "urn:uuid:"+ms[0].ID != first.ID {
		t.Errorf("List after CatchUp: got %+v, %v; want only %s (the other revoked)", ms, err, first.ID)
	}
	revoked, err := m.Entry(second.ID)
	if err != nil || revoked.Revoked == nil || revoked.Revoked.Reason != "withdrawn" {
		t.Fatalf("revoked entry: got %+v, %v; want revoked, reason %q", revoked, err, "withdrawn")
	}
	listed, err := m.Entry(first.ID)
	if err != nil || listed.Origin != "promoted" || listed.Card.Rank != first.Rank {
		t.Fatalf("listed entry: got %+v, %v", listed, err)
	}

	m2, err := market.Open(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m2.CatchUp(ctx); err != nil || n != 0 {
		t.Errorf("CatchUp again: got %d, %v; want 0 listed", n, err)
	}
	again, err := m2.Entry(first.ID)
	if err != nil || !bytes.Equal(again.SignedCard, listed.SignedCard) {
		t.Errorf("entry after a second Open: card re-signed or lost (%v)", err)
	}

	// From now on the hooks keep the catalogue current: a revocation is
	// marked at once.
	if _, err := e.Revoke(first.ID, "license dispute"); err != nil {
		t.Fatal(err)
	}
	if me, err := m.Entry(first.ID); err != nil || me.Revoked == nil || me.Revoked.Reason != "license dispute" {
		t.Errorf("entry after Revoke: got %+v, %v; want revoked at once", me, err)
	}
}

// TestCatchUpAfterCrash: a promotion that stops between issuing a
// credential and listing it (here a hook before the marketplace's fails,
// as a crash would stop it) leaves a credential and no listing; the
// marketplace opened on the data dir afterwards lists it.
func TestCatchUpAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, clk := contestEngine(t, "promote_top: 1\n", engine.Config{DataDir: dir})
	crash := errors.New("crash before the listing")
	e.OnCertified(func(context.Context, *engine.Credential) error { return crash })
	m := market.New(e)
	mustSubmit(t, e, "ada", linear)
	clk.Add(time.Hour)
	if _, err := e.CloseTask(ctx, "contest"); !errors.Is(err, crash) {
		t.Fatalf("CloseTask: got %v, want the hook's error", err)
	}
	cs, err := e.Credentials("contest")
	if err != nil || len(cs) != 1 {
		t.Fatalf("after the crash: got %d credentials, %v; want 1", len(cs), err)
	}
	if ms, err := m.List(market.Query{}); err != nil || len(ms) != 0 {
		t.Fatalf("after the crash: got %d listed, %v; want none", len(ms), err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}

	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	m2 := open(t, e2)
	me, err := m2.Entry(cs[0].ID)
	if err != nil || me.Card.Author != "ada" || me.Revoked != nil {
		t.Fatalf("after reopening: got %+v, %v; want ada's model listed", me, err)
	}
	// The promotion resumes, and the model is not listed twice.
	if _, err := e2.Promote(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	if ms, err := m2.List(market.Query{}); err != nil || len(ms) != 1 {
		t.Errorf("after Promote: got %d listed, %v; want 1", len(ms), err)
	}
}
