package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

// TestMarketRank ranks the certified models on a labelled sample, on the
// data dir and through --server (bundles fetched, verified and run here),
// and checks the scores against the metric computed directly.
func TestMarketRank(t *testing.T) {
	data, f := certifiedDataDir(t)
	sample := filepath.Join(t.TempDir(), "mine.csv")
	if err := os.WriteFile(sample, markettest.Sample, 0o644); err != nil {
		t.Fatal(err)
	}
	want := markettest.Scores(t, "mae")
	args := []string{"market", "rank", "--sample", sample, "--type", "regression", "--metric", "mae", "--label", "target", "--json"}
	check := func(t *testing.T, out string) {
		t.Helper()
		var r market.Ranking
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if r.Rows != 40 || len(r.Models) != 2 || r.Metric != "mae" {
			t.Fatalf("got %d rows, %d models, metric %s; want 40, 2, mae", r.Rows, len(r.Models), r.Metric)
		}
		for i, m := range r.Models {
			who := markettest.Max
			if m.Entry.ID == f.IDs[markettest.Linear] {
				who = markettest.Linear
			}
			if m.Rank != i+1 || m.Score == nil || math.Abs(*m.Score-want[who]) > 1e-12 || m.Interval == nil {
				t.Errorf("place %d: got %+v, want %s's model at mae %v with an interval", i+1, m, who, want[who])
			}
			if m.Entry.Card.Issuer != f.Engine.HostDID() || !m.Entry.Trusted {
				t.Errorf("place %d: certified by %s, trusted %v; want this host, trusted", i+1, m.Entry.Card.Issuer, m.Entry.Trusted)
			}
		}
		if *r.Models[0].Score > *r.Models[1].Score {
			t.Errorf("mae %v ranked above %v", *r.Models[0].Score, *r.Models[1].Score)
		}
	}

	t.Run("data dir", func(t *testing.T) {
		code, out, errs := cli(t, append([]string{"--data-dir", data}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		check(t, out)
		code, out, errs = cli(t, append([]string{"--data-dir", data}, args[:len(args)-1]...)...)
		if code != 0 || !strings.Contains(out, "mae on your 40 rows (lower is better)") || !strings.Contains(out, "(trusted)") || !strings.Contains(out, "95% CI") {
			t.Errorf("table: exit %d, %s%s", code, out, errs)
		}
	})

	t.Run("server", func(t *testing.T) {
		url := startServe(t, data)
		code, out, errs := cli(t, append([]string{"--data-dir", filepath.Join(t.TempDir(), "none"), "--server", url}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		check(t, out)
	})

	errs := []struct {
		name string
		args []string
		want string
	}{
		{"no type", []string{"market", "rank", "--sample", sample, "--metric", "mae"}, `"type" not set`},
		{"no sample file", []string{"market", "rank", "--sample", sample + ".missing", "--type", "regression", "--metric", "mae"}, "--sample"},
		{"no label column", []string{"market", "rank", "--sample", sample, "--type", "regression", "--metric", "mae"}, `"label"`},
		{"metric of another type", []string{"market", "rank", "--sample", sample, "--type", "regression", "--metric", "roc_auc"}, "does not apply"},
	}
	for _, tc := range errs {
		t.Run("error/"+tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, append([]string{"--data-dir", data}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("got exit %d, %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}
