package market_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

func mustKey(t testing.TB) credential.KeyPair {
	t.Helper()
	k, err := credential.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedSubmit submits module to "contest" signed with k, with a license.
func signedSubmit(t *testing.T, e *engine.Engine, now time.Time, k credential.KeyPair, module []byte, license string) *engine.Submission {
	t.Helper()
	sum := sha256.Sum256(module)
	s, err := credential.SignSubmission(k, "contest", hex.EncodeToString(sum[:]), now)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "contest", Module: module, Signed: s.Raw, License: license})
	if err != nil || sub.Failed() {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}
	if sub.License != license {
		t.Errorf("submission license: got %q, want %q", sub.License, license)
	}
	return sub
}

// TestMarketplace is the whole flow: signed submissions, close, promotion
// into the marketplace, search, export, ingest into a second data dir,
// predict there; tampered and revoked bundles refused.
func TestMarketplace(t *testing.T) {
	ctx := context.Background()
	e, m, clk := contest(t, "", engine.Config{})
	ada, bob := mustKey(t), mustKey(t)
	signedSubmit(t, e, clk.Now(), ada, linear, "Apache-2.0")
	signedSubmit(t, e, clk.Now(), bob, cmodel, "")
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: "eve", Module: konst, License: "bad\x00license"}); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Submit with a control character in the license: got %v, want ErrBadRequest", err)
	}

	if ms, err := m.List(market.Query{}); err != nil || len(ms) != 0 {
		t.Fatalf("Market before close: got %v, %v; want empty", ms, err)
	}
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	proms, err := e.Promote(ctx, "contest")
	if err != nil || len(proms) != 2 || proms[0].Credential == nil || proms[1].Credential == nil {
		t.Fatalf("Promote: got %+v, %v; want two credentials", proms, err)
	}
	byDID := map[string]*engine.Credential{}
	for _, p := range proms {
		byDID[p.Participant] = p.Credential
	}
	adaCred, bobCred := byDID[ada.DID()], byDID[bob.DID()]
	if adaCred == nil || bobCred == nil {
		t.Fatalf("credentials by author: got %v, want ada's and bob's", byDID)
	}
	list := func(context.Context, string) ([]byte, error) { return os.ReadFile(e.StatusListPath()) }
	if _, err := credential.VerifyModel(ctx, adaCred.Signed, credential.VerifyOptions{
		Issuer: e.HostDID(), Module: linear, StatusList: list, Now: clk.Now(),
	}); err != nil {
		t.Fatalf("ada's credential: %v", err)
	}

	// Search.
	adaID := strings.TrimPrefix(adaCred.ID, "urn:uuid:")
	bobID := strings.TrimPrefix(bobCred.ID, "urn:uuid:")
	minScore := func(v float64) *float64 { return &v }
	all, err := m.List(market.Query{})
	if err != nil || len(all) != 2 {
		t.Fatalf("Market: got %v, %v; want 2 entries", all, err)
	}
	searches := []struct {
		name string
		q    market.Query
		want []string
	}{
		{"all, best rmse first", market.Query{}, []string{all[0].ID, all[1].ID}},
		{"task type", market.Query{TaskType: "regression"}, []string{all[0].ID, all[1].ID}},
		{"other task type", market.Query{TaskType: "binary"}, nil},
		{"metric", market.Query{Metric: "rmse"}, []string{all[0].ID, all[1].ID}},
		{"other metric", market.Query{Metric: "mae"}, nil},
		{"features, any case", market.Query{Features: []string{"A", "b"}}, []string{all[0].ID, all[1].ID}},
		{"missing feature", market.Query{Features: []string{"a", "c"}}, nil},
		{"min score (rmse: at most)", market.Query{MinScore: minScore(all[0].Score)}, []string{all[0].ID}},
		{"text", market.Query{Text: "CONTEST"}, []string{all[0].ID, all[1].ID}},
		{"author", market.Query{Text: ada.DID()}, []string{adaID}},
		{"limit", market.Query{Limit: 1}, []string{all[0].ID}},
	}
	for _, tc := range searches {
		t.Run("search/"+tc.name, func(t *testing.T) {
			got, err := m.List(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
	if all[0].Score > all[1].Score {
		t.Errorf("rmse ranking: got %v before %v, want the lower first", all[0].Score, all[1].Score)
	}
	for _, q := range []market.Query{{TaskType: "vision"}, {Metric: "nope"}, {Limit: -1}} {
		if _, err := m.List(q); !errors.Is(err, engine.ErrBadRequest) {
			t.Errorf("Market(%+v): got %v, want ErrBadRequest", q, err)
		}
	}

	// Show: by id, urn, or a unique prefix; the card says it all.
	for _, id := range []string{adaID, adaCred.ID, adaID[:8]} {
		me, err := m.Entry(id)
		if err != nil {
			t.Fatalf("MarketEntry(%s): %v", id, err)
		}
		c := me.Card
		if me.ID != adaID || c.License != "Apache-2.0" || c.Author != ada.DID() || c.Input.IDColumn != "id" ||
			strings.Join(c.Input.Features, ",") != "a,b" || strings.Join(c.Output.Columns, ",") != "p" ||
			c.Task.Type != "regression" || c.Task.Metric != "rmse" || c.ModuleBytes != len(linear) || c.Issuer != e.HostDID() ||
			me.Origin != "promoted" || len(me.Credential) == 0 || len(me.SignedCard) == 0 {
			t.Errorf("MarketEntry(%s): got %+v", id, me)
		}
	}
	if me, err := m.Entry(bobID); err != nil || me.Card.License != market.UnspecifiedLicense {
		t.Errorf("bob's card license: got %+v, %v; want %q", me, err, market.UnspecifiedLicense)
	}
	for _, id := range []string{"zzzz-none", "", "../x"} {
		if _, err := m.Entry(id); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("MarketEntry(%q): got %v, want ErrNotFound", id, err)
		}
	}

	// Export, then ingest into a second data dir, then predict there.
	adaDir, bobDir := filepath.Join(t.TempDir(), "ada"), filepath.Join(t.TempDir(), "bob")
	for id, dir := range map[string]string{adaID: adaDir, bobID: bobDir} {
		if _, err := m.ExportBundle(id, dir); err != nil {
			t.Fatalf("ExportBundle(%s): %v", id, err)
		}
	}
	if _, err := m.ExportBundle(adaID, adaDir); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("export into a non-empty dir: got %v, want ErrBadRequest", err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data2"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	m2 := open(t, e2)
	b, err := market.ReadBundle(adaDir)
	if err != nil {
		t.Fatal(err)
	}
	// An issuer the second data dir does not trust is refused by default,
	// pinned or not, naming the issuer and the two ways on.
	for name, opts := range map[string]market.IngestOptions{"default": {}, "issuer pinned": {Issuer: e.HostDID()}} {
		_, err := m2.Ingest(ctx, b, opts)
		var be *market.BundleError
		if !errors.As(err, &be) || be.File != market.BundleCredential || !errors.Is(err, market.ErrUntrustedIssuer) || !errors.Is(err, engine.ErrBadRequest) {
			t.Fatalf("Ingest from an unknown issuer (%s): got %v, want a BundleError on credential.json wrapping ErrUntrustedIssuer", name, err)
		}
		for _, want := range []string{e.HostDID(), "verdict market trust add " + e.HostDID(), "--allow-untrusted"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Ingest from an unknown issuer (%s): error %q does not say %q", name, err, want)
			}
		}
	}
	if ms, err := m2.List(market.Query{IncludeRevoked: true}); err != nil || len(ms) != 0 {
		t.Fatalf("after a refused issuer: got %v, %v; want an empty marketplace", ms, err)
	}
	got, err := m2.Ingest(ctx, b, market.IngestOptions{Issuer: e.HostDID(), AllowUntrusted: true})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if got.ID != adaID || got.Origin != "ingested" || got.Card.Issuer != e.HostDID() || got.Trusted {
		t.Errorf("Ingest allowed untrusted: got %+v, want ada's entry, not trusted", got)
	}
	if _, err := m2.Ingest(ctx, b, market.IngestOptions{AllowUntrusted: true}); !errors.Is(err, engine.ErrExists) {
		t.Errorf("Ingest again: got %v, want ErrExists", err)
	}
	found, err := m2.List(market.Query{TaskType: "regression", Features: []string{"a"}})
	if err != nil || len(found) != 1 || found[0].ID != adaID {
		t.Fatalf("second dir Market: got %+v, %v; want ada's model", found, err)
	}
	// Trust: the first host trusts its own; the second, only once its
	// operator registers the first host as an issuer, and no longer after.
	if mine, err := m.Entry(adaID); err != nil || !mine.Trusted {
		t.Errorf("promoted entry on its own host: got %+v, %v; want trusted", mine, err)
	}
	trustedOn := func(step string, want bool) {
		t.Helper()
		me, err := m2.Entry(adaID)
		ms, lerr := m2.List(market.Query{})
		if err != nil || lerr != nil || me.Trusted != want || len(ms) != 1 || ms[0].Trusted != want {
			t.Errorf("%s: Entry trusted %v (%v), List %+v (%v); want trusted %v", step, me != nil && me.Trusted, err, ms, lerr, want)
		}
	}
	trustedOn("ingested from an unregistered issuer", false)
	if err := m2.Trust(ctx, market.TrustedIssuer{DID: e.HostDID(), Name: "first host", Since: day0}); err != nil {
		t.Fatal(err)
	}
	trustedOn("issuer registered", true)
	if err := m2.Untrust(ctx, e.HostDID()); err != nil {
		t.Fatal(err)
	}
	trustedOn("issuer removed", false)
	in := "b,id,a,extra\n3,n1,1,x\n0.25,n2,0.5,y\n" // columns by name, in any order
	preds, err := m2.Predict(ctx, adaID, strings.NewReader(in), "new.csv")
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	// linear predicts the mean of the features.
	if strings.Join(preds.IDs, ",") != "n1,n2" || len(preds.Values) != 1 || preds.Values[0][0] != 2 || preds.Values[0][1] != 0.375 {
		t.Errorf("Predict: got %+v, want n1: 2, n2: 0.375", preds)
	}
	if _, err := m2.Predict(ctx, adaID, strings.NewReader("id,a\nn1,1\n"), "new.csv"); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("Predict without feature b: got %v, want ErrBadRequest", err)
	}
	// The ingested entry exports again, with the status list it was checked against.
	if _, err := m2.ExportBundle(adaID, filepath.Join(t.TempDir(), "again")); err != nil {
		t.Errorf("export an ingested entry: %v", err)
	}

	// Tampering: each is refused, naming the file and the cause.
	bobBundle, err := market.ReadBundle(bobDir)
	if err != nil {
		t.Fatal(err)
	}
	mallory := mustKey(t)
	resign := func(signed []byte, k credential.KeyPair, edit func(map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(signed, &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "proof")
		doc["issuer"] = k.DID()
		if edit != nil {
			edit(doc)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out, err := credential.Sign(raw, k, credential.ProofOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	otherList, err := credential.NewStatusList(0)
	if err != nil {
		t.Fatal(err)
	}
	malloryList, err := credential.IssueStatusList(engine.DefaultBaseURL+"/status/1", otherList, mallory, clk.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	tampers := []struct {
		name string
		edit func(b *market.Bundle)
		opts market.IngestOptions
		file string
		want error
	}{
		{"wasm", func(b *market.Bundle) { b.Module = append(bytes.Clone(b.Module), 0, 1, 'x') }, market.IngestOptions{},
			market.BundleModule, credential.ErrModelMismatch},
		{"credential rank", func(b *market.Bundle) {
			b.Credential = bytes.Replace(b.Credential, []byte(`"rankedParticipants": 2`), []byte(`"rankedParticipants": 3`), 1)
		}, market.IngestOptions{}, market.BundleCredential, credential.ErrBadSignature},
		{"credential bbs-2023 proof of another credential", func(b *market.Bundle) {
			// The eddsa proof still holds; the bbs-2023 base proof of the
			// set is bob's, and both must verify.
			var doc, bobs map[string]any
			if json.Unmarshal(b.Credential, &doc) != nil || json.Unmarshal(bobBundle.Credential, &bobs) != nil {
				t.Fatal("decode credentials")
			}
			doc["proof"].([]any)[1] = bobs["proof"].([]any)[1]
			b.Credential, _ = json.Marshal(doc)
		}, market.IngestOptions{}, market.BundleCredential, credential.ErrBadSignature},
		{"credential issued by another key", func(b *market.Bundle) { b.Credential = resign(b.Credential, mallory, nil) },
			market.IngestOptions{Issuer: e.HostDID()}, market.BundleCredential, credential.ErrIssuerMismatch},
		{"card license", func(b *market.Bundle) {
			b.Card = bytes.Replace(b.Card, []byte(`"license": "Apache-2.0"`), []byte(`"license": "MIT"`), 1)
		}, market.IngestOptions{}, market.BundleCard, credential.ErrBadSignature},
		{"card features re-signed by another key", func(b *market.Bundle) {
			b.Card = resign(b.Card, mallory, func(d map[string]any) { d["input"].(map[string]any)["features"] = []string{"b", "a"} })
		}, market.IngestOptions{}, market.BundleCard, market.ErrCardMismatch},
		{"card of another model", func(b *market.Bundle) { b.Card = bobBundle.Card }, market.IngestOptions{},
			market.BundleCard, market.ErrCardMismatch},
		{"card not JSON", func(b *market.Bundle) { b.Card = []byte("{") }, market.IngestOptions{},
			market.BundleCard, credential.ErrMalformed},
		{"no status list", func(b *market.Bundle) { b.StatusList = nil }, market.IngestOptions{},
			market.BundleStatusList, credential.ErrStatus},
		{"status list of another issuer", func(b *market.Bundle) { b.StatusList = malloryList }, market.IngestOptions{},
			market.BundleStatusList, credential.ErrIssuerMismatch},
	}
	e3, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data3"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Close(ctx)
	m3 := open(t, e3)
	for _, tc := range tampers {
		t.Run("tamper/"+tc.name, func(t *testing.T) {
			tb := *b
			tc.edit(&tb)
			_, err := m3.Ingest(ctx, &tb, tc.opts)
			var be *market.BundleError
			if !errors.As(err, &be) || be.File != tc.file || !errors.Is(err, tc.want) || !errors.Is(err, market.ErrBundle) {
				t.Fatalf("got %v, want a BundleError on %s wrapping %v", err, tc.file, tc.want)
			}
			if !errors.Is(err, engine.ErrBadRequest) {
				t.Errorf("got %v, want it to match ErrBadRequest too", err)
			}
		})
	}
	if ms, err := m3.List(market.Query{IncludeRevoked: true}); err != nil || len(ms) != 0 {
		t.Errorf("after refused bundles: got %v, %v; want an empty marketplace", ms, err)
	}
	// Trust is scoped: trusted for another task is not trusted for this
	// one; trusted for it, the bundle is ingested without an allowance and
	// listed as trusted.
	if err := m3.Trust(ctx, market.TrustedIssuer{DID: e.HostDID(), Name: "first host", Since: day0, Tasks: []string{"another"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m3.Ingest(ctx, b, market.IngestOptions{}); !errors.Is(err, market.ErrUntrustedIssuer) {
		t.Errorf("Ingest with the issuer trusted for another task: got %v, want ErrUntrustedIssuer", err)
	}
	if err := m3.Trust(ctx, market.TrustedIssuer{DID: e.HostDID(), Name: "first host", Since: day0, Tasks: []string{"contest"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := m3.Ingest(ctx, b, market.IngestOptions{}); err != nil || got.ID != adaID || !got.Trusted {
		t.Errorf("Ingest with the issuer trusted: got %+v, %v; want ada's entry, trusted", got, err)
	}
	if err := m3.Untrust(ctx, e.HostDID()); err != nil {
		t.Fatal(err)
	}
	if ms, err := m3.List(market.Query{}); err != nil || len(ms) != 1 || ms[0].Trusted {
		t.Errorf("List once the issuer's trust is removed: got %+v, %v; want ada's entry flagged untrusted", ms, err)
	}

	// Revocation: hidden from search, marked in list, not exported, not
	// run, and its earlier bundle refused against the current list.
	clk.Add(time.Minute)
	if _, err := e.Revoke(bobCred.ID, "trained on the test set"); err != nil {
		t.Fatal(err)
	}
	if ms, err := m.List(market.Query{}); err != nil || len(ms) != 1 || ms[0].ID != adaID {
		t.Errorf("search after revocation: got %+v, %v; want ada's only", ms, err)
	}
	ms, err := m.List(market.Query{IncludeRevoked: true})
	if err != nil || len(ms) != 2 {
		t.Fatalf("list after revocation: got %v, %v", ms, err)
	}
	for _, m := range ms {
		if (m.ID == bobID) != (m.Revoked != nil) {
			t.Errorf("entry %s: got revoked %v", m.ID, m.Revoked)
		}
	}
	if me, err := m.Entry(bobID); err != nil || me.Revoked == nil || me.Revoked.Reason != "trained on the test set" {
		t.Errorf("MarketEntry(bob) after revocation: got %+v, %v", me, err)
	}
	if _, err := m.ExportBundle(bobID, filepath.Join(t.TempDir(), "x")); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("export revoked: got %v, want ErrBadRequest", err)
	}
	if _, err := m.Predict(ctx, bobID, strings.NewReader(in), "in.csv"); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("predict with revoked: got %v, want ErrBadRequest", err)
	}
	current, err := os.ReadFile(e.StatusListPath())
	if err != nil {
		t.Fatal(err)
	}
	_, err = m3.Ingest(ctx, bobBundle, market.IngestOptions{StatusList: current})
	var be *market.BundleError
	if !errors.As(err, &be) || be.File != market.BundleCredential || !errors.Is(err, credential.ErrRevoked) {
		t.Errorf("ingest revoked: got %v, want a BundleError on credential.json wrapping ErrRevoked", err)
	}

	// The second marketplace learns of a later revocation from a newer list.
	for name, list := range map[string][]byte{"another issuer's": malloryList, "not a list": []byte("{}")} {
		if _, err := m2.Refresh(ctx, list); !errors.Is(err, engine.ErrBadRequest) {
			t.Errorf("RefreshMarket(%s): got %v, want ErrBadRequest", name, err)
		}
	}
	r, err := m2.Refresh(ctx, current)
	if err != nil || r.Checked != 1 || len(r.Revoked) != 0 {
		t.Errorf("RefreshMarket before ada's revocation: got %+v, %v; want 1 checked, none revoked", r, err)
	}
	if _, err := e.Revoke(adaCred.ID, "license dispute"); err != nil {
		t.Fatal(err)
	}
	newer, err := os.ReadFile(e.StatusListPath())
	if err != nil {
		t.Fatal(err)
	}
	r, err = m2.Refresh(ctx, newer)
	if err != nil || r.Checked != 1 || len(r.Revoked) != 1 || r.Revoked[0].ID != adaID || r.Issuer != e.HostDID() {
		t.Fatalf("RefreshMarket after ada's revocation: got %+v, %v; want ada's marked", r, err)
	}
	if ms, err := m2.List(market.Query{}); err != nil || len(ms) != 0 {
		t.Errorf("second dir search after refresh: got %v, %v; want none", ms, err)
	}
	if _, err := m2.Predict(ctx, adaID, strings.NewReader(in), "in.csv"); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("predict after refresh: got %v, want ErrBadRequest", err)
	}
}

// TestMarketCardGolden: on an injected clock and entropy, the model card a
// promotion signs is byte for byte testdata/card.golden.json (run
// with -update after a deliberate change).
func TestMarketCardGolden(t *testing.T) {
	e, m, clk := contest(t, "gates: {min_score: 5, valid_outputs: true, max_module_mb: 1, deterministic: true}\npromote_top: 1\n",
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
	id := proms[0].Credential.ID
	me, err := m.Entry(id)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "card.golden.json")
	if *update {
		if err := os.WriteFile(golden, me.SignedCard, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(me.SignedCard) != string(want) {
		t.Errorf("card differs from %s (run with -update if intended):\ngot\n%s\nwant\n%s", golden, me.SignedCard, want)
	}
	if _, err := market.ParseCard(me.SignedCard); err != nil {
		t.Errorf("ParseModelCard(golden): %v", err)
	}
}
