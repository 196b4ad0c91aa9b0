package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// Participants of the long site: did:key ids, as signed submissions have,
// and display names long enough to test every box they appear in.
const (
	longTask  = "house-prices-with-a-rather-long-task-identifier"
	didAda    = "did:key:z6MkrrecfR2QDvKorhwFv89q4uudL9CfzhcjSrr9rnQC9jsZ"
	didBob    = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
	didCyd    = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"
	nameAda   = "Augusta Ada King, Countess of Lovelace, of the Analytical Engine"
	nameCyd   = "Cyd"
	longTitle = "House prices, scored by root mean squared error, with a baseline far off the scale"
)

// newLongSite is a real engine holding one regression task scored by
// rmse whose baseline lies far from the entrants (it predicts a feature
// plus a call count, the entrants near the target), entrants
// known by their did:key with long or short display names (and one
// without), a selection, and the task closed and certified: every page
// the web package serves has something long to show.
func newLongSite(t testing.TB) (*site, map[string]*engine.Submission) {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: day0}
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	data, err := filepath.Abs(filepath.Join("testdata", "regression.csv"))
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf("id: %s\ntitle: %s\ntype: regression\nmetric: rmse\ndata: {test: %q, id: id, label: target}\nsplit: {public_fraction: 0.5, seed: web}\nlimits: {memory_mb: 16}\nfinal_selections: 1\ngates: {valid_outputs: true, deterministic: true}\n",
		longTask, longTitle, data)
	path := filepath.Join(t.TempDir(), "task.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTask(ctx, path); err != nil {
		t.Fatal(err)
	}
	subs := map[string]*engine.Submission{}
	plan := []struct {
		after          time.Duration
		who, name, fix string
		baseline       bool
	}{
		{0, "flat-baseline-with-a-long-name", "", sandboxtest.Stateful, true},
		{time.Hour, didAda, nameAda, sandboxtest.Linear, false},
		{2 * time.Hour, didBob, "", sandboxtest.CModel, false},
		{3 * time.Hour, didCyd, nameCyd, sandboxtest.Linear, false},
		{4 * time.Hour, didAda, nameAda, sandboxtest.Const, false},
	}
	for _, p := range plan {
		clk.Set(day0.Add(p.after))
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: longTask, Participant: p.who, Name: p.name, Module: sandboxtest.Wasm(p.fix), Baseline: p.baseline})
		if err != nil || sub.Failed() {
			t.Fatalf("Submit %s %s: %+v, %v", p.who, p.fix, sub, err)
		}
		subs[p.who+"/"+p.fix] = sub
	}
	clk.Set(day0.Add(5 * time.Hour))
	if err := e.Select(longTask, didAda, []string{engine.ShortID(subs[didAda+"/"+sandboxtest.Linear].ID)}); err != nil {
		t.Fatal(err)
	}
	clk.Set(day0.Add(6 * time.Hour))
	if _, err := e.CloseTask(ctx, longTask); err != nil {
		t.Fatal(err)
	}
	return &site{e: e, clk: clk, subs: subs}, subs
}

// TestLongPages: display names are shown wherever a participant is (the
// home page's leader, the certified list, the marketplace, credential and
// model pages), a did:key is shortened with the full id in a title
// attribute, and the far baseline is drawn off the scale.
func TestLongPages(t *testing.T) {
	s, subs := newLongSite(t)
	srv := httptest.NewServer(New(s.e, Config{Viewer: testViewer}))
	defer srv.Close()
	creds, err := s.e.Credentials(longTask)
	if err != nil || len(creds) == 0 {
		t.Fatalf("Credentials: %v, %v", creds, err)
	}
	var adaCred engine.Credential
	for _, c := range creds {
		if c.Author == didAda {
			adaCred = c
		}
	}
	adaName := trunc(nameAda, maxName)
	adaTitle := `title="` + template.HTMLEscapeString(nameAda+" ("+didAda+")") + `"`
	tests := []struct {
		name, path, who string
		want            []string
	}{
		{"Home", "/", "", []string{adaName + " · z6Mkr…9jsZ", adaTitle}},
		{"Task", "/tasks/" + longTask, "", []string{adaName, "Cyd · z6Mkj…jVJG", `class="ref-label off-scale"`, "1.0075 →", "Best final private score"}},
		{"Market", "/market", "", []string{adaName, adaTitle, "Cyd"}},
		{"Credential", "/credentials/" + engine.ShortID(adaCred.ID), "", []string{adaName, `<code class="hash">` + didAda + `</code>`, "passed: every output valid"}},
		{"Model", "/market/" + engine.ShortID(adaCred.ID), "", []string{adaName, `<code class="hash">` + didAda + `</code>`}},
		{"Submission", "/submissions/" + subs[didAda+"/"+sandboxtest.Linear].ID, "host", []string{adaName, "passed: the same outputs for shuffled rows and another batch size"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := get(t, srv, tc.path, tc.who, http.StatusOK)
			contains(t, tc.path, page, tc.want...)
			// A did:key is shown in full only where it wraps: in a title,
			// or a code.hash.
			rest := strings.NewReplacer(`title="`+didAda, "", `class="hash">`+didAda, "", "("+didAda+")", "").Replace(page)
			lacks(t, tc.path, rest, ">"+didAda, " "+didAda)
		})
	}
}
