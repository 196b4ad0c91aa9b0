package mcpserver_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

// BenchmarkSearch compares a search made directly (market.List) with the
// same through MCP, in memory and over streamable HTTP on loopback: the
// protocol's cost per call.
func BenchmarkSearch(b *testing.B) {
	f := newFixtureB(b)
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if es, err := f.Market.List(market.Query{TaskType: "regression"}); err != nil || len(es) != 3 {
				b.Fatal(len(es), err)
			}
		}
	})
	for transport, cs := range sessions(b, f) {
		b.Run("mcp-"+transport, func(b *testing.B) {
			for b.Loop() {
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_models", Arguments: map[string]any{"task_type": "regression"}})
				if err != nil || res.IsError {
					b.Fatal(res, err)
				}
			}
		})
	}
}

// BenchmarkRank is rank_models_on_sample on the 40-row sample, three
// models: compile (cached), run, score, bootstrap (1,000 resamples) each.
func BenchmarkRank(b *testing.B) {
	f := newFixtureB(b)
	cs := sessions(b, f)["memory"]
	args := map[string]any{"task_type": "regression", "metric": "rmse", "sample_csv": string(markettest.Sample), "label_column": "target"}
	for b.Loop() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "rank_models_on_sample", Arguments: args})
		if err != nil || res.IsError {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(b.N)*3/b.Elapsed().Seconds(), "models/s")
}
