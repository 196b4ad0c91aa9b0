package market_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

// TestRank runs both certified models on a labelled sample in the
// sandbox and checks the ranking against the metric computed directly.
func TestRank(t *testing.T) {
	f := markettest.Open(t, engine.Config{CacheDir: cacheDir})
	ctx := context.Background()
	for _, name := range []string{"rmse", "mae", "r2"} {
		t.Run(name, func(t *testing.T) {
			want := markettest.Scores(t, name)
			r, err := f.Market.Rank(ctx, market.Query{TaskType: "regression", Metric: name}, market.Sample{Data: markettest.Sample, Label: "target"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Rows != 40 || len(r.Models) != 2 {
				t.Fatalf("ranking: got %d rows, %d models; want 40, 2", r.Rows, len(r.Models))
			}
			m, _ := metric.Lookup(name)
			best, second := markettest.Linear, markettest.Max
			maxBetter := want[markettest.Max] < want[markettest.Linear]
			if m.HigherIsBetter {
				maxBetter = !maxBetter
			}
			if maxBetter {
				best, second = second, best
			}
			for i, who := range []string{best, second} {
				got := r.Models[i]
				if got.Rank != i+1 || got.Entry.ID != f.IDs[who] {
					t.Errorf("place %d: got %s (rank %d), want %s's model %s", i+1, got.Entry.ID, got.Rank, who, f.IDs[who])
				}
				if got.Score == nil || math.Abs(*got.Score-want[who]) > 1e-12 {
					t.Errorf("%s: got score %v, want %v", who, *got.Score, want[who])
				}
				if iv := got.Interval; iv == nil || iv.Low > *got.Score || iv.High < *got.Score || iv.Level != 0.95 {
					t.Errorf("%s: interval %+v does not hold score %v at 0.95", who, iv, *got.Score)
				}
				if !got.Entry.Trusted || got.Entry.Card.Issuer != f.Engine.HostDID() || got.Entry.Credential != nil {
					t.Errorf("%s: got trusted %v, issuer %s, credential %d bytes; want trusted, this host, no documents", who, got.Entry.Trusted, got.Entry.Card.Issuer, len(got.Entry.Credential))
				}
			}
		})
	}

	t.Run("missing feature is reported per model", func(t *testing.T) {
		s := bytes.Replace(markettest.Sample, []byte("id,a,b,target"), []byte("id,a,c,target"), 1)
		_, err := f.Market.Rank(ctx, market.Query{TaskType: "regression", Metric: "rmse"}, market.Sample{Data: s, Label: "target"})
		if !errors.Is(err, market.ErrSample) || !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), `"b"`) {
			t.Errorf("got %v, want ErrSample naming column b", err)
		}
	})

	errs := []struct {
		name   string
		q      market.Query
		s      market.Sample
		want   error
		substr string
	}{
		{"ErrBadRequest/no metric", market.Query{TaskType: "regression"}, market.Sample{Data: markettest.Sample}, engine.ErrBadRequest, "metric are required"},
		{"ErrBadRequest/metric of another type", market.Query{TaskType: "regression", Metric: "roc_auc"}, market.Sample{Data: markettest.Sample}, engine.ErrBadRequest, "does not apply"},
		{"ErrSample/too large", market.Query{TaskType: "regression", Metric: "rmse"}, market.Sample{Data: make([]byte, market.MaxSampleBytes+1)}, market.ErrSample, "more than"},
		{"ErrSample/no label column", market.Query{TaskType: "regression", Metric: "rmse"}, market.Sample{Data: markettest.Sample}, market.ErrSample, "label"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Market.Rank(ctx, tc.q, tc.s)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("got %v, want %v containing %q", err, tc.want, tc.substr)
			}
		})
	}

	t.Run("other task type: no candidates", func(t *testing.T) {
		r, err := f.Market.Rank(ctx, market.Query{TaskType: "binary", Metric: "roc_auc"}, market.Sample{Data: markettest.Sample})
		if err != nil || len(r.Models) != 0 {
			t.Errorf("got %+v, %v; want an empty ranking", r, err)
		}
	})
}
