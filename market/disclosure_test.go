package market_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
)

// TestDisclosureBundle: a promoted model exported as a disclosure bundle
// (author hidden) is ingested by a second data dir that records the
// issuer's BBS key, verified against it, and listed, shown and searched
// with its author not disclosed; without the key, with another key,
// with a card that names the author, and once revoked it is refused.
func TestDisclosureBundle(t *testing.T) {
	ctx := context.Background()
	e, m, clk := contest(t, "", engine.Config{})
	ada := mustKey(t)
	signedSubmit(t, e, clk.Now(), ada, linear, "MIT")
	clk.Add(time.Hour)
	if _, err := e.CloseTask(ctx, "contest"); err != nil {
		t.Fatal(err)
	}
	proms, err := e.Promote(ctx, "contest")
	if err != nil || len(proms) != 1 || proms[0].Credential == nil {
		t.Fatalf("Promote: got %+v, %v; want one credential", proms, err)
	}
	id := strings.TrimPrefix(proms[0].Credential.ID, "urn:uuid:")
	full, fullBundle, err := m.Bundle(id)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := m.DisclosureBundle(id)
	if err != nil {
		t.Fatalf("DisclosureBundle: %v", err)
	}
	if strings.Contains(string(b.Credential), ada.DID()) || strings.Contains(string(b.Card), ada.DID()) {
		t.Fatalf("the disclosure bundle names its author:\n%s\n%s", b.Credential, b.Card)
	}
	if kinds, err := credential.Kinds(b.Credential); err != nil || len(kinds) != 1 || kinds[0] != credential.KindBBSDerived {
		t.Fatalf("credential kinds: got %v, %v; want one bbs-2023 derived proof", kinds, err)
	}

	// A second data dir whose operator trusts the first host, with or
	// without its BBS key.
	e2, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data2"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	m2 := open(t, e2)
	trust := func(bbsDID string) {
		t.Helper()
		if err := m2.Trust(ctx, market.TrustedIssuer{DID: e.HostDID(), Name: "host one", Since: day0, BBSDID: bbsDID}); err != nil {
			t.Fatal(err)
		}
	}
	withCard := *b
	withCard.Card = fullBundle.Card
	otherBBS := mustBBSKey(t).DID()
	refusals := []struct {
		name   string
		bbsDID string
		bundle *market.Bundle
		want   error
		file   string
	}{
		{"ErrBBSKeyUnknown", "", b, credential.ErrBBSKeyUnknown, market.BundleCredential},
		{"ErrIssuerMismatch/another BBS key", otherBBS, b, credential.ErrIssuerMismatch, market.BundleCredential},
		{"ErrCardMismatch/card names the author", e.HostBBSDID(), &withCard, market.ErrCardMismatch, market.BundleCard},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			trust(tc.bbsDID)
			_, err := m2.Ingest(ctx, tc.bundle, market.IngestOptions{})
			var be *market.BundleError
			if !errors.Is(err, tc.want) || !errors.As(err, &be) || be.File != tc.file {
				t.Fatalf("got %v, want a BundleError on %s wrapping %v", err, tc.file, tc.want)
			}
			if tc.want == credential.ErrBBSKeyUnknown && !strings.Contains(err.Error(), "bbs key unknown for issuer "+`"`+e.HostDID()) {
				t.Errorf("got %q, want it to say bbs key unknown for issuer %s", err, e.HostDID())
			}
		})
	}
	if ms, err := m2.List(market.Query{IncludeRevoked: true}); err != nil || len(ms) != 0 {
		t.Fatalf("after refusals: got %v, %v; want an empty marketplace", ms, err)
	}

	trust(e.HostBBSDID())
	got, err := m2.Ingest(ctx, b, market.IngestOptions{})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if got.Card.Author != "" || got.Card.AuthorName() != market.AuthorNotDisclosed || !got.Trusted || got.Origin != "ingested" ||
		got.Score != full.Score || got.Card.Task != full.Card.Task || got.Card.License != "MIT" {
		t.Errorf("ingested entry: got %+v, want %+v without its author", got, full)
	}
	listed, err := m2.List(market.Query{})
	if err != nil || len(listed) != 1 || listed[0].ID != id || listed[0].Card.AuthorName() != market.AuthorNotDisclosed {
		t.Fatalf("List: got %+v, %v; want the entry, author not disclosed", listed, err)
	}
	if ms, err := m2.List(market.Query{Text: ada.DID()}); err != nil || len(ms) != 0 {
		t.Errorf("search by the hidden author: got %v, %v; want nothing", ms, err)
	}
	if ms, err := m2.List(market.Query{Metric: "rmse"}); err != nil || len(ms) != 1 {
		t.Errorf("search by metric: got %v, %v; want the entry", ms, err)
	}
	// Its bundle exports and verifies again, as a disclosure.
	_, again, err := m2.Bundle(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := market.VerifyBundle(ctx, again, market.IngestOptions{BBSKey: e.HostBBSDID()}, clk.Now()); err != nil {
		t.Errorf("VerifyBundle of the re-exported bundle: %v", err)
	}

	t.Run("ErrRevoked", func(t *testing.T) {
		if _, err := e.Revoke(id, "withdrawn"); err != nil {
			t.Fatal(err)
		}
		list, err := os.ReadFile(e.StatusListPath())
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = market.VerifyBundle(ctx, b, market.IngestOptions{BBSKey: e.HostBBSDID(), StatusList: list}, clk.Now())
		if !errors.Is(err, credential.ErrRevoked) {
			t.Errorf("got %v, want %v", err, credential.ErrRevoked)
		}
		// The marketplace that listed it learns of it from the newer list.
		r, err := m2.Refresh(ctx, list)
		if err != nil || r.Checked != 1 || len(r.Revoked) != 1 || r.Revoked[0].ID != id {
			t.Fatalf("Refresh: got %+v, %v; want the disclosure checked and revoked", r, err)
		}
		if me, err := m2.Entry(id); err != nil || me.Revoked == nil {
			t.Errorf("entry after Refresh: got %+v, %v; want revoked", me, err)
		}
	})
	t.Run("ErrBadRequest/ingested", func(t *testing.T) {
		if _, _, err := m2.DisclosureBundle(id); !errors.Is(err, engine.ErrBadRequest) {
			t.Errorf("DisclosureBundle of an ingested entry: got %v, want ErrBadRequest", err)
		}
	})
}
