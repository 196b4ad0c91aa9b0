package web

import (
	"encoding/xml"
	"flag"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata/charts")

func iv(lo, hi float64) *engine.Interval {
	return &engine.Interval{Low: lo, High: hi, Level: 0.95, Resamples: 1000}
}

// roc makes ROC points from (fpr, tpr) pairs.
func roc(xy ...float64) []engine.ROCPoint {
	var out []engine.ROCPoint
	for i := 0; i+1 < len(xy); i += 2 {
		out = append(out, engine.ROCPoint{FPR: xy[i], TPR: xy[i+1]})
	}
	return out
}

// chartCases are fixed inputs for each chart, drawn to golden files.
func chartCases() map[string]template.HTML {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	board := []engine.Entry{
		{Rank: 1, Participant: "ada", Score: 0.91, CI: iv(0.88, 0.94), Submissions: 3},
		{Rank: 2, Participant: "<bob & co>", Team: true, Score: 0.87, CI: iv(0.83, 0.9), Submissions: 5},
		{Participant: "logistic-baseline", Baseline: true, Score: 0.8, CI: iv(0.76, 0.84)},
		{Rank: 3, Participant: "cyd", Score: 0.7, Submissions: 1},
	}
	events := []engine.Event{
		{Time: t0, Participant: "cyd", Submission: "c1", Score: 0.7, Rank: 1},
		{Time: t0.Add(time.Hour), Participant: "ada", Submission: "a1", Score: 0.85, Rank: 1},
		{Time: t0.Add(90 * time.Minute), Participant: "<bob & co>", Team: true, Submission: "b1", Score: 0.87, Rank: 1},
		{Time: t0.Add(3 * time.Hour), Participant: "ada", Submission: "a2", Score: 0.91, Rank: 1},
		{Time: t0.Add(3 * time.Hour), Private: true, Participant: "ada", Submission: "a2", Score: 0.5, Rank: 1},
	}
	return map[string]template.HTML{
		"ci":      ciChart("ci", board, "roc_auc", true),
		"history": historyChart("history", board, events, false, 5, t0.Add(6*time.Hour), "roc_auc", true),
		"roc": rocChart("roc", []namedPart{
			{"public", &engine.PartDiagnostics{Rows: 50, ROC: roc(0, 0, 0.1, 0.6, 0.3, 0.9, 1, 1)}},
			{"private", &engine.PartDiagnostics{Rows: 70, ROC: roc(0, 0, 0.2, 0.5, 1, 1)}},
		}),
		"confusion": confusionChart("cm", "public", [][]int{{10, 2, 0}, {3, 7, 1}, {0, 0, 9}}),
		"scatter":   scatterChart("sc", "public", &engine.Scatter{Min: 0, Max: 2, Bins: 4, Counts: []int{3, 1, 0, 0, 0, 5, 1, 0, 0, 0, 4, 0, 0, 0, 1, 2}, Clamped: 1}),
	}
}

func TestChartsGolden(t *testing.T) {
	for name, got := range chartCases() {
		t.Run(name, func(t *testing.T) {
			// Every chart is well-formed XML with an accessible name.
			if err := xml.Unmarshal([]byte(got), new(struct{})); err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, got)
			}
			for _, want := range []string{`role="img"`, `aria-labelledby=`, "<title id=", "<desc id="} {
				if !strings.Contains(string(got), want) {
					t.Errorf("missing %s", want)
				}
			}
			path := filepath.Join("testdata", "charts", name+".svg")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got)+"\n" != string(want) {
				t.Errorf("%s differs from the golden file; run go test -update and look at the diff", name)
			}
		})
	}
}

func TestChartsEscapeNames(t *testing.T) {
	got := string(chartCases()["ci"])
	if strings.Contains(got, "<bob") || !strings.Contains(got, "&lt;bob &amp; co&gt;") {
		t.Errorf("a participant name is not escaped:\n%s", got)
	}
}

func TestChartsEmpty(t *testing.T) {
	base := []engine.Entry{{Participant: "b", Baseline: true, Score: 1}}
	tests := []struct {
		name string
		got  template.HTML
	}{
		{"ci/no entries", ciChart("x", nil, "m", true)},
		{"ci/baselines only", ciChart("x", base, "m", true)},
		{"history/no events", historyChart("x", base, nil, false, 5, time.Now(), "m", true)},
		{"confusion/none", confusionChart("x", "public", nil)},
		{"scatter/none", scatterChart("x", "public", nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != "" {
				t.Errorf("got %q, want no chart", tc.got)
			}
		})
	}
}

func TestTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
		dec    int
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 1},
		{0.07, 0.52, 6, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 1},
		{120, 480, 5, []float64{100, 200, 300, 400, 500}, 0},
		{3, 3, 5, []float64{2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6}, 1},
	}
	for _, tc := range tests {
		got, _, _, dec := ticks(tc.lo, tc.hi, tc.n)
		if !slices.Equal(got, tc.want) || dec != tc.dec {
			t.Errorf("ticks(%v, %v, %d): got %v (%d decimals), want %v (%d)", tc.lo, tc.hi, tc.n, got, dec, tc.want, tc.dec)
		}
	}
}

func TestWho(t *testing.T) {
	const did = "did:key:z6MkrrecfR2QDvKorhwFv89q4uudL9CfzhcjSrr9rnQC9jsZ"
	tests := []struct{ name, give, id, want string }{
		{"plain id", "", "ada", "ada"},
		{"did:key shortened", "", did, "z6Mkr…9jsZ"},
		{"display name beside the did", "alice", did, "alice · z6Mkr…9jsZ"},
		{"display name beside a plain id", "Ada L.", "ada", "Ada L. · ada"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := who(tc.give, tc.id); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCIChartFarBaseline: a baseline far from the entrants (log_loss 2.30
// against 0.07) no longer stretches the axis and squashes every interval
// into a dot: the scale spans the entrants, and the baseline is named at
// the edge it lies beyond; a near baseline is still drawn to scale.
func TestCIChartFarBaseline(t *testing.T) {
	rows := []engine.Entry{
		{Rank: 1, Participant: "ada", Score: 0.066, CI: iv(0.061, 0.072)},
		{Rank: 2, Participant: "bob", Score: 0.071, CI: iv(0.065, 0.078)},
	}
	far := engine.Entry{Participant: "flat-baseline", Baseline: true, Score: 2.30}
	near := engine.Entry{Participant: "tree-baseline", Baseline: true, Score: 0.09}
	lo, hi, gotNear, gotFar := ciDomain(rows, []engine.Entry{far, near})
	if lo != 0.061 || hi != 0.09 || len(gotNear) != 1 || len(gotFar) != 1 || gotFar[0].Participant != "flat-baseline" {
		t.Errorf("ciDomain: got [%v, %v], near %v, far %v; want [0.061, 0.09], the tree baseline near, the flat one far", lo, hi, gotNear, gotFar)
	}
	chart := string(ciChart("ci", append(rows, far, near), "log_loss", false))
	if !strings.Contains(chart, "flat-baseline 2.3000 →") || !strings.Contains(chart, `class="ref-label off-scale"`) {
		t.Errorf("the far baseline is not named at the right edge:\n%s", chart)
	}
	// Each interval is drawn at least a tenth of the plot wide (it was
	// about 0.5% of it with the axis stretched to 2.30).
	bars := regexp.MustCompile(`class="bar [^"]*" x1="([0-9.]+)" y1="[0-9.]+" x2="([0-9.]+)"`).FindAllStringSubmatch(chart, -1)
	if len(bars) != 2 {
		t.Fatalf("got %d bars, want 2:\n%s", len(bars), chart)
	}
	const plot = chartWidth - 180 - 24
	for _, b := range bars {
		x1, _ := strconv.ParseFloat(b[1], 64)
		x2, _ := strconv.ParseFloat(b[2], 64)
		if w := x2 - x1; w < plot/10 {
			t.Errorf("an interval is %v units wide of a %v-unit plot: squashed", w, plot)
		}
	}
}

// TestHistoryChartFarBaseline: the history chart's scale ignores a far
// baseline too, and names it at the edge.
func TestHistoryChartFarBaseline(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	board := []engine.Entry{
		{Rank: 1, Participant: "ada", Score: 0.066},
		{Participant: "flat-baseline", Baseline: true, Score: 2.30},
	}
	events := []engine.Event{
		{Time: t0, Participant: "ada", Submission: "a1", Score: 0.08, Rank: 1},
		{Time: t0.Add(time.Hour), Participant: "ada", Submission: "a2", Score: 0.066, Rank: 1},
	}
	chart := string(historyChart("h", board, events, false, 5, t0.Add(2*time.Hour), "log_loss", false))
	if !strings.Contains(chart, "flat-baseline 2.3000 ↓") || !strings.Contains(chart, "flat-baseline 2.3000: off the scale") {
		t.Errorf("the far baseline is not in the legend with an arrow down (worse is down):\n%s", chart)
	}
	if strings.Contains(chart, `class="ref"`) {
		t.Errorf("the far baseline is drawn to scale:\n%s", chart)
	}
}

// TestChartLegendNames: a short name is never cut; a display name is
// the label, its id in the tooltip.
func TestChartLegendNames(t *testing.T) {
	const did = "did:key:z6MkrrecfR2QDvKorhwFv89q4uudL9CfzhcjSrr9rnQC9jsZ"
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	board := []engine.Entry{
		{Rank: 1, Participant: did, Name: "Ada Lovelace", Score: 0.9},
		{Rank: 2, Participant: "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH", Score: 0.8},
		{Rank: 3, Participant: "grace", Name: "A display name far longer than a legend has room for", Score: 0.7},
	}
	events := []engine.Event{
		{Time: t0, Participant: did, Submission: "a", Score: 0.9, Rank: 1},
		{Time: t0, Participant: "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH", Submission: "b", Score: 0.8, Rank: 2},
		{Time: t0, Participant: "grace", Submission: "c", Score: 0.7, Rank: 3},
	}
	chart := string(historyChart("h", board, events, false, 5, t0.Add(time.Hour), "roc_auc", true))
	for _, want := range []string{
		"</title>1. Ada Lovelace</text>", "</title>2. z6Mkp…vktH</text>", "</title>3. A display name far …</text>",
		"<title>Ada Lovelace (" + did + ")</title>",
	} {
		if !strings.Contains(chart, want) {
			t.Errorf("legend: missing %q in\n%s", want, chart)
		}
	}
}

// TestHistoryChartFinal: after close the chart follows the final
// ranking's rule, so each line ends at the private table's score: a
// better private score of a submission the entrant did not select is not
// drawn. The public chart is unchanged.
func TestHistoryChartFinal(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	final := []engine.Entry{
		{Rank: 1, Participant: "bob", Submission: "b1", Score: 0.85, Submitted: t0.Add(time.Hour), Selected: []string{"b1"}},
		{Rank: 2, Participant: "ada", Submission: "a2", Score: 0.8, Submitted: t0.Add(2 * time.Hour), Selected: []string{"a2"}, Explicit: true},
	}
	events := []engine.Event{
		{Time: t0, Participant: "ada", Submission: "a1", Score: 0.5, Rank: 1},
		{Time: t0, Private: true, Participant: "ada", Submission: "a1", Score: 0.9, Rank: 1},
		{Time: t0.Add(time.Hour), Participant: "bob", Submission: "b1", Score: 0.6, Rank: 1},
		{Time: t0.Add(time.Hour), Private: true, Participant: "bob", Submission: "b1", Score: 0.85, Rank: 2},
		{Time: t0.Add(2 * time.Hour), Participant: "ada", Submission: "a2", Score: 0.7, Rank: 1},
	}
	chart := string(historyChart("h", final, events, true, 5, t0.Add(3*time.Hour), "roc_auc", true))
	for _, want := range []string{"<title>ada: 0.8000 at", "<title>bob: 0.8500 at", "Best final private score"} {
		if !strings.Contains(chart, want) {
			t.Errorf("final chart: missing %q in\n%s", want, chart)
		}
	}
	if strings.Contains(chart, "ada: 0.9000") {
		t.Errorf("final chart draws ada's unselected 0.9, above the table's 0.8:\n%s", chart)
	}
	public := string(historyChart("h", final, events, false, 5, t0.Add(3*time.Hour), "roc_auc", true))
	if !strings.Contains(public, "<title>ada: 0.7000 at") || strings.Contains(public, "0.8500") || strings.Contains(public, "0.9000") {
		t.Errorf("public chart: want ada's public 0.7 and no private score:\n%s", public)
	}
}
