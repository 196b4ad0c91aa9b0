package mcpserver_test

import (
	"testing"

	"github.com/verdictlab/verdict/internal/mcpserver"
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
