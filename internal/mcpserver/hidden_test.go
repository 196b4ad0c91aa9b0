package mcpserver_test

import (
	"strings"

	"testing"

	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

// TestRankHiddenAuthor: once bob hides his credential, an agent's rank
// on a sample shows his model without its author, and a rank filtered by
// his name does not find it.
func TestRankHiddenAuthor(t *testing.T) {
	f := newFixture(t)
	if _, err := f.Engine.HideCredential("urn:uuid:"+f.IDs[markettest.Max], nil); err != nil {
		t.Fatal(err)
	}
	cs := sessions(t, f)["memory"]
	rank := func(text string) mcpserver.RankOutput {
		t.Helper()
		var got mcpserver.RankOutput
		if msg := call(t, cs, "rank_models_on_sample", map[string]any{"task_type": "regression", "metric": "mae",
			"sample_csv": string(markettest.Sample), "label_column": "target", "text": text}, &got); msg != "" {
			t.Fatal(msg)
		}
		return got
	}
	got := rank("")
	if len(got.Models) != 3 {
		t.Fatalf("got %d models, want 3", len(got.Models))
	}
	for i, rm := range got.Models {
		if rm.Model.ID == f.IDs[markettest.Max] && rm.Model.Author != "" {
			t.Errorf("hidden model: got author %q, want none", rm.Model.Author)
		}
		if rm.Rank != i+1 {
			t.Errorf("place %d: got rank %d", i+1, rm.Rank)
		}
	}
	for _, rm := range rank(markettest.Max).Models {
		if rm.Model.ID == f.IDs[markettest.Max] {
			t.Errorf("a rank filtered by the hidden author %q finds the model", markettest.Max)
		}
	}
}

// TestVerifyHiddenRevoked: an agent verifying a revoked model whose author
// hid its credential learns that it is revoked and when, not the reason
// (which a visitor of the model's page does not see either).
func TestVerifyHiddenRevoked(t *testing.T) {
	f := newFixture(t)
	id := f.IDs[markettest.Max]
	if _, err := f.Engine.HideCredential("urn:uuid:"+id, nil); err != nil {
		t.Fatal(err)
	}
	const reason = "bob leaked test labels"
	if _, err := f.Engine.Revoke(id, reason); err != nil {
		t.Fatal(err)
	}
	var got market.Verification
	if msg := call(t, sessions(t, f)["memory"], "verify_model", map[string]any{"id": id}, &got); msg != "" {
		t.Fatal(msg)
	}
	if got.Valid || got.Revoked == nil || got.Revoked.Time.IsZero() {
		t.Fatalf("got %+v, want revoked, with its time, not valid", got)
	}
	if got.Revoked.Reason != "" || strings.Contains(got.Error, reason) {
		t.Errorf("got reason %q, error %q; want neither to give the reason", got.Revoked.Reason, got.Error)
	}
}
