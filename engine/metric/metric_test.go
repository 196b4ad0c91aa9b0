package metric

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func bin(truth, p []float64) Input {
	return Input{Type: Binary, Truth: truth, Pred: [][]float64{p}}
}

func reg(truth, p []float64) Input {
	return Input{Type: Regression, Truth: truth, Pred: [][]float64{p}}
}

// multi builds a multiclass Input from row-major probabilities.
func multi(truth []float64, rows ...[]float64) Input {
	in := Input{Type: Multiclass, Truth: truth, Pred: make([][]float64, len(rows[0]))}
	for k := range in.Pred {
		for _, r := range rows {
			in.Pred[k] = append(in.Pred[k], r[k])
		}
	}
	return in
}

func rank(truth, score []float64, group []string, k int) Input {
	return Input{Type: Ranking, Truth: truth, Pred: [][]float64{score}, Group: group, K: k}
}

func mustScore(t *testing.T, name string, in Input) float64 {
	t.Helper()
	m, err := Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	v, err := m.Score(in)
	if err != nil {
		t.Fatalf("%s: Score: %v", name, err)
	}
	return v
}

var (
	log2of3    = math.Log2(3)
	clippedOne = 1 - 1e-15 // a float64 variable, so 1-clippedOne rounds as at run time
)

// TestEdgeCases holds hand-computed values for ties, degenerate predictions
// and perfect and worst models.
func TestEdgeCases(t *testing.T) {
	allOne := bin([]float64{0, 1, 1, 1}, []float64{0.9, 0.9, 0.9, 0.9}) // every row predicted 1
	tests := []struct {
		name   string
		metric string
		in     Input
		want   float64
	}{
		// roc_auc: ties count one half.
		{"perfect", "roc_auc", bin([]float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.8, 0.9}), 1},
		{"worst", "roc_auc", bin([]float64{1, 1, 0, 0}, []float64{0.1, 0.2, 0.8, 0.9}), 0},
		{"all tied", "roc_auc", bin([]float64{0, 1, 0, 1, 1}, []float64{0.3, 0.3, 0.3, 0.3, 0.3}), 0.5},
		{"one tie across classes", "roc_auc", bin([]float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.2, 0.8}), 3.5 / 4},
		{"weighted tie", "roc_auc", Input{Type: Binary, Truth: []float64{0, 1, 0}, Pred: [][]float64{{0.5, 0.5, 0.1}}, Weight: []float64{3, 1, 1}}, (0.5*3 + 1) / 4},
		{"tiny weights", "roc_auc", Input{Type: Binary, Truth: []float64{0, 1, 0, 1}, Pred: [][]float64{{0.5, 0.5, 0.2, 0.8}}, Weight: []float64{1e-30, 1e-30, 1e-30, 1e-30}}, 3.5 / 4},
		{"zero weight row ignored", "roc_auc", Input{Type: Binary, Truth: []float64{0, 1, 0, 1}, Pred: [][]float64{{0.1, 0.9, 0.95, 0.2}}, Weight: []float64{1, 1, 0, 1}}, 1},
		{"perfect", "roc_auc_ovr", multi([]float64{0, 1, 2}, []float64{0.8, 0.1, 0.1}, []float64{0.1, 0.8, 0.1}, []float64{0.1, 0.1, 0.8}), 1},
		// class 0: pos {.5}, neg {.5,.2} -> 0.75; class 1: pos {.5}, neg {.5,.2} -> 0.75; class 2: pos {.6}, neg {0,0} -> 1
		{"ties", "roc_auc_ovr", multi([]float64{0, 1, 2}, []float64{0.5, 0.5, 0}, []float64{0.5, 0.5, 0}, []float64{0.2, 0.2, 0.6}), (0.75 + 0.75 + 1) / 3},

		// average_precision
		{"perfect", "average_precision", bin([]float64{0, 1, 1}, []float64{0.1, 0.8, 0.9}), 1},
		{"all tied is prevalence", "average_precision", bin([]float64{0, 1, 0, 1}, []float64{0.4, 0.4, 0.4, 0.4}), 0.5},
		{"positive ranked last", "average_precision", bin([]float64{0, 0, 1}, []float64{0.9, 0.8, 0.1}), 1.0 / 3},
		{"ranked 1 and 3", "average_precision", bin([]float64{1, 0, 1}, []float64{0.9, 0.8, 0.1}), 0.5*1 + 0.5*2.0/3},

		// log_loss and brier
		{"coin flip", "log_loss", bin([]float64{0, 1, 1}, []float64{0.5, 0.5, 0.5}), math.Ln2},
		{"worst is clipped", "log_loss", bin([]float64{1, 0}, []float64{0, 1}), (-math.Log(1e-15) - math.Log(1-clippedOne)) / 2},
		{"uniform multiclass", "log_loss", multi([]float64{0, 2}, []float64{0.25, 0.25, 0.5}, []float64{0.25, 0.25, 0.5}), (math.Log(4) + math.Log(2)) / 2},
		{"weighted", "log_loss", Input{Type: Binary, Truth: []float64{1, 1}, Pred: [][]float64{{0.5, 0.25}}, Weight: []float64{1, 3}}, (math.Ln2 + 3*math.Log(4)) / 4},
		{"perfect", "brier", bin([]float64{0, 1}, []float64{0, 1}), 0},
		{"worst", "brier", bin([]float64{0, 1}, []float64{1, 0}), 1},

		// Labels: p >= 0.5 is class 1.
		{"threshold is inclusive", "accuracy", bin([]float64{1, 0}, []float64{0.5, 0.4999}), 1},
		{"all predicted 1", "accuracy", allOne, 0.75},
		{"all predicted 1", "balanced_accuracy", allOne, 0.5},
		{"all predicted 1", "precision", allOne, 0.75},
		{"all predicted 1", "recall", allOne, 1},
		{"all predicted 1", "f1", allOne, 2 * 0.75 / 1.75},
		{"all predicted 1 over both classes", "f1_macro", allOne, 0.75 / 1.75},
		{"all predicted 1", "f1_micro", allOne, 0.75},
		{"all predicted 1", "f1_weighted", allOne, 3 * (1.5 / 1.75) / 4},
		{"all predicted 1 is 0", "mcc", allOne, 0},
		{"all predicted 1 is 0", "cohen_kappa", allOne, 0},
		{"nothing predicted 1", "precision", bin([]float64{0, 1}, []float64{0.1, 0.2}), 0},
		{"nothing predicted 1", "f1", bin([]float64{0, 1}, []float64{0.1, 0.2}), 0},
		{"perfect", "mcc", bin([]float64{0, 1, 1}, []float64{0.2, 0.7, 0.9}), 1},
		{"worst", "mcc", bin([]float64{0, 1, 1}, []float64{0.7, 0.2, 0.1}), -1},
		{"perfect", "cohen_kappa", bin([]float64{0, 1, 1}, []float64{0.2, 0.7, 0.9}), 1},

		// Multiclass labels: argmax, lowest index on ties.
		{"argmax tie takes lowest index", "accuracy", multi([]float64{0, 1}, []float64{0.4, 0.4, 0.2}, []float64{0.3, 0.3, 0.4}), 0.5},
		{"absent class left out of macro", "f1_macro", multi([]float64{0, 1}, []float64{0.6, 0.2, 0.2}, []float64{0.2, 0.6, 0.2}), 1},
		{"absent class left out of balanced", "balanced_accuracy", multi([]float64{0, 0, 1}, []float64{0.6, 0.2, 0.2}, []float64{0.2, 0.2, 0.6}, []float64{0.2, 0.6, 0.2}), (0.5 + 1) / 2},
		{"perfect", "quadratic_weighted_kappa", multi([]float64{0, 1, 2}, []float64{1, 0, 0}, []float64{0, 1, 0}, []float64{0, 0, 1}), 1},
		{"swapped ends", "quadratic_weighted_kappa", multi([]float64{0, 2}, []float64{0, 0, 1}, []float64{1, 0, 0}), -1},
		// truth 0,1,2 predicted 1,2,2: observed 1+1; expected sum of
		// w(t,p)*truth(t)*pred(p)/n = (t0p1 1 + t2p1 1 + t0p2 2*4 + t1p2 2)/3.
		{"off by one", "quadratic_weighted_kappa", multi([]float64{0, 1, 2}, []float64{0, 1, 0}, []float64{0, 0, 1}, []float64{0, 0, 1}), 1 - 2/(float64(1+1+8+2)/3)},

		// Regression.
		{"perfect", "rmse", reg([]float64{1, 2, 3}, []float64{1, 2, 3}), 0},
		{"perfect", "r2", reg([]float64{1, 2, 3}, []float64{1, 2, 3}), 1},
		{"mean predictor", "r2", reg([]float64{1, 2, 3}, []float64{2, 2, 2}), 0},
		{"constant truth perfect", "r2", reg([]float64{2, 2}, []float64{2, 2}), 1},
		{"constant truth imperfect", "r2", reg([]float64{2, 2}, []float64{1, 3}), 0},
		{"constant truth imperfect", "explained_variance", reg([]float64{2, 2}, []float64{1, 3}), 0},
		{"offset predictions", "explained_variance", reg([]float64{1, 2, 3}, []float64{2, 3, 4}), 1},
		{"3-4-5", "rmse", reg([]float64{0, 0}, []float64{3, 4}), math.Sqrt(12.5)},
		{"3-4-5", "mse", reg([]float64{0, 0}, []float64{3, 4}), 12.5},
		{"3-4-5", "mae", reg([]float64{0, 0}, []float64{3, 4}), 3.5},
		{"e - 1", "rmsle", reg([]float64{0, math.E - 1}, []float64{0, 0}), math.Sqrt(0.5)},
		{"zero truth divides by epsilon", "mape", reg([]float64{0}, []float64{1}), 1 << 52},
		{"half", "mape", reg([]float64{2, 4}, []float64{1, 2}), 0.5},
		{"even count averages", "median_ae", reg([]float64{0, 0, 0, 0}, []float64{4, 1, 3, 2}), 2.5},
		{"weighted is lower median", "median_ae", Input{Type: Regression, Truth: []float64{0, 0, 0, 0}, Pred: [][]float64{{4, 1, 3, 2}}, Weight: []float64{1, 1, 1, 1}}, 2},
		{"weight moves median", "median_ae", Input{Type: Regression, Truth: []float64{0, 0, 0}, Pred: [][]float64{{1, 2, 3}}, Weight: []float64{1, 1, 5}}, 3},
		{"perfect", "pearson", reg([]float64{1, 2, 4}, []float64{2, 4, 8}), 1},
		{"anti", "pearson", reg([]float64{1, 2, 3}, []float64{3, 2, 1}), -1},
		{"near overflow", "pearson", reg([]float64{1, 2, 3}, []float64{1e308, -1e308, 0}), -0.5}, // sums overflow unless rescaled
		{"monotone", "spearman", reg([]float64{1, 2, 3}, []float64{1, 10, 100}), 1},
		{"tied ranks averaged", "spearman", reg([]float64{1, 2, 3}, []float64{1, 1, 2}), 1.5 / math.Sqrt(3)},

		// Ranking.
		{"perfect", "ndcg", rank([]float64{3, 2, 0}, []float64{0.9, 0.5, 0.1}, nil, 0), 1},
		{"reversed", "ndcg", rank([]float64{3, 2, 0}, []float64{0.1, 0.2, 0.3}, nil, 0), (2/log2of3 + 3.0/2) / (3 + 2/log2of3)},
		{"reversed at 1", "ndcg", rank([]float64{3, 2, 0}, []float64{0.1, 0.2, 0.3}, nil, 1), 0},
		{"reversed at 2", "ndcg", rank([]float64{3, 2, 0}, []float64{0.1, 0.2, 0.3}, nil, 2), (2 / log2of3) / (3 + 2/log2of3)},
		{"all tied share gains", "ndcg", rank([]float64{3, 2, 0}, []float64{1, 1, 1}, nil, 0), 5.0 / 3 * (1 + 1/log2of3 + 0.5) / (3 + 2/log2of3)},
		{"tie straddles cutoff", "ndcg", rank([]float64{0, 1}, []float64{1, 1}, nil, 1), 0.5},
		{"irrelevant query scores 0", "ndcg", rank([]float64{1, 0, 0, 0}, []float64{0.9, 0.1, 0.5, 0.6}, []string{"a", "a", "b", "b"}, 0), 0.5},
		{"interleaved groups", "ndcg", rank([]float64{0, 1, 1, 0}, []float64{0.9, 0.1, 0.2, 0.8}, []string{"a", "b", "a", "b"}, 0), 1 / log2of3},
		{"at K from name", "ndcg@1", rank([]float64{3, 2, 0}, []float64{0.1, 0.2, 0.3}, nil, 0), 0},
		{"Input.K beats name", "ndcg@1", rank([]float64{3, 2, 0}, []float64{0.9, 0.5, 0.1}, nil, 3), 1},
	}
	for _, tc := range tests {
		t.Run(tc.metric+"/"+tc.name, func(t *testing.T) {
			got := mustScore(t, tc.metric, tc.in)
			if !closeTo(got, tc.want) {
				t.Errorf("got %.17g, want %.17g", got, tc.want)
			}
		})
	}
}

// TestWeightsAsCopies checks every weighted metric on the oracle cases:
// integer weights must give the score of the data with each row repeated
// that many times. (median_ae is exempt: weighted it takes the lower median.)
func TestWeightsAsCopies(t *testing.T) {
	for _, c := range loadOracle(t) {
		in := c.input(t)
		n := min(len(in.Truth), 500)
		in = head(in, n)
		w := make([]float64, n)
		for i := range w {
			w[i] = float64((i * 7) % 4) // 0..3, zero weights included
		}
		rep := repeat(in, w)
		in.Weight = w
		for _, m := range All() {
			if !m.weighted || !m.Supports(in.Type) || m.Name == "median_ae" {
				continue
			}
			t.Run(c.Name+"/"+m.Name, func(t *testing.T) {
				got, err := m.Score(in)
				if err != nil {
					t.Fatalf("weighted: %v", err)
				}
				want, err := m.Score(rep)
				if err != nil {
					t.Fatalf("repeated: %v", err)
				}
				if !closeTo(got, want) {
					t.Errorf("got %.17g, want %.17g", got, want)
				}
			})
		}
	}
}

func head(in Input, n int) Input {
	in.Truth = in.Truth[:n]
	p := make([][]float64, len(in.Pred))
	for k := range p {
		p[k] = in.Pred[k][:n]
	}
	in.Pred = p
	if in.Group != nil {
		in.Group = in.Group[:n]
	}
	return in
}

func repeat(in Input, w []float64) Input {
	out := Input{Type: in.Type, K: in.K, Pred: make([][]float64, len(in.Pred))}
	for i, y := range in.Truth {
		for range int(w[i]) {
			out.Truth = append(out.Truth, y)
			for k := range in.Pred {
				out.Pred[k] = append(out.Pred[k], in.Pred[k][i])
			}
			if in.Group != nil {
				out.Group = append(out.Group, in.Group[i])
			}
		}
	}
	return out
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name  string
		want  string
		wantK int
	}{
		{"roc_auc", "roc_auc", 0},
		{"ndcg", "ndcg", 0},
		{"ndcg@10", "ndcg@10", 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Lookup(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != tc.want || m.K != tc.wantK {
				t.Errorf("got %s K=%d, want %s K=%d", m.Name, m.K, tc.want, tc.wantK)
			}
		})
	}
	t.Run("copies types", func(t *testing.T) {
		m, _ := Lookup("accuracy")
		m.Types[0] = Regression
		if again, _ := Lookup("accuracy"); again.Types[0] != Binary {
			t.Errorf("got %s, want %s: Lookup shares the registry's slice", again.Types[0], Binary)
		}
	})
}

func TestAll(t *testing.T) {
	all := All()
	if len(all) != len(registry) {
		t.Fatalf("got %d metrics, want %d", len(all), len(registry))
	}
	for i, m := range all {
		if i > 0 && all[i-1].Name >= m.Name {
			t.Errorf("got %s after %s, want sorted by name", m.Name, all[i-1].Name)
		}
		if m.Doc == "" || len(m.Types) == 0 || strings.Contains(m.Doc, "\n") {
			t.Errorf("metric %s: want a one-line Doc and at least one task type", m.Name)
		}
	}
	if !all[0].Supports(Binary) || all[0].Supports(Regression) {
		t.Errorf("%s: Supports is wrong", all[0].Name)
	}
}

func TestHigherIsBetter(t *testing.T) {
	lower := map[string]bool{"log_loss": true, "brier": true, "mse": true, "rmse": true, "mae": true, "rmsle": true, "mape": true, "median_ae": true}
	for _, m := range All() {
		if m.HigherIsBetter == lower[m.Name] {
			t.Errorf("%s: got HigherIsBetter %v, want %v", m.Name, m.HigherIsBetter, !lower[m.Name])
		}
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		name     string
		metric   string
		contains string
	}{
		{"ErrUnknownMetric", "accuracyy", `"accuracyy" (known: accuracy, average_precision,`},
		{"ErrUnknownMetric/empty", "", `""`},
		{"ErrUnknownMetric/cutoff on rmse", "rmse@3", "rmse takes no @K cutoff"},
		{"ErrUnknownMetric/cutoff zero", "ndcg@0", "not a positive integer"},
		{"ErrUnknownMetric/cutoff not a number", "ndcg@ten", "not a positive integer"},
		{"ErrUnknownMetric/cutoff signed", "ndcg@+3", "not a positive integer"},
		{"ErrUnknownMetric/cutoff padded", "ndcg@03", "not a positive integer"},
		{"ErrUnknownMetric/cutoff empty", "ndcg@", "not a positive integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lookup(tc.metric)
			if !errors.Is(err, ErrUnknownMetric) {
				t.Fatalf("got %v, want %v", err, ErrUnknownMetric)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want it to contain %q", err, tc.contains)
			}
		})
	}
	t.Run("ErrUnknownMetric/zero Metric", func(t *testing.T) {
		if _, err := (Metric{}).Score(reg([]float64{1}, []float64{1})); !errors.Is(err, ErrUnknownMetric) {
			t.Errorf("got %v, want %v", err, ErrUnknownMetric)
		}
	})
}

func TestScoreErrors(t *testing.T) {
	okBin := func() Input { return bin([]float64{0, 1, 1}, []float64{0.2, 0.7, 0.9}) }
	okReg := func() Input { return reg([]float64{1, 2, 3}, []float64{1, 2, 4}) }
	okMulti := func() Input {
		return multi([]float64{0, 1, 2}, []float64{0.8, 0.1, 0.1}, []float64{0.1, 0.8, 0.1}, []float64{0.1, 0.1, 0.8})
	}
	with := func(in Input, f func(*Input)) Input { f(&in); return in }
	tests := []struct {
		name     string
		metric   string
		in       Input
		want     error
		row      int
		contains string
	}{
		{"ErrUnsupportedTask", "rmse", okBin(), ErrUnsupportedTask, 0, `task type "binary" not supported (supports regression)`},
		{"ErrUnsupportedTask/unknown type", "accuracy", Input{Type: "clustering"}, ErrUnsupportedTask, 0, `"clustering"`},
		{"ErrInvalidInput/no rows", "accuracy", bin(nil, nil), ErrInvalidInput, 0, "no rows"},
		{"ErrInvalidInput/pred too short", "roc_auc", bin([]float64{0, 1}, []float64{0.5}), ErrInvalidInput, 0, "prediction column 1 has 1 rows, truth has 2"},
		{"ErrInvalidInput/two binary columns", "roc_auc", with(okBin(), func(in *Input) { in.Pred = append(in.Pred, in.Pred[0]) }), ErrInvalidInput, 0, "needs 1 prediction column, got 2"},
		{"ErrInvalidInput/one multiclass column", "accuracy", Input{Type: Multiclass, Truth: []float64{0}, Pred: [][]float64{{1}}}, ErrInvalidInput, 0, "at least 2 prediction columns"},
		{"ErrInvalidInput/probability above 1", "roc_auc", bin([]float64{0, 1, 1}, []float64{0.2, 1.5, 0.9}), ErrInvalidInput, 2, "prediction 1.5 is not a probability in [0, 1]"},
		{"ErrInvalidInput/NaN probability", "log_loss", bin([]float64{0, 1}, []float64{0.2, math.NaN()}), ErrInvalidInput, 2, "prediction NaN"},
		{"ErrInvalidInput/binary truth 2", "accuracy", bin([]float64{0, 2}, []float64{0.2, 0.2}), ErrInvalidInput, 2, "binary truth 2 is not 0 or 1"},
		{"ErrInvalidInput/class out of range", "accuracy", with(okMulti(), func(in *Input) { in.Truth = []float64{0, 3, 1} }), ErrInvalidInput, 2, "class index 3 is not an integer in [0, 2]"},
		{"ErrInvalidInput/class not integer", "accuracy", with(okMulti(), func(in *Input) { in.Truth = []float64{0, 1, 1.5} }), ErrInvalidInput, 3, "class index 1.5"},
		{"ErrInvalidInput/negative class probability", "log_loss", multi([]float64{0}, []float64{0.5, -0.1, 0.6}), ErrInvalidInput, 1, "column 2: prediction -0.1"},
		{"ErrInvalidInput/row does not sum to 1", "log_loss", multi([]float64{0, 1}, []float64{0.5, 0.5}, []float64{0.5, 0.4}), ErrInvalidInput, 2, "probabilities sum to 0.9, want 1"},
		{"ErrInvalidInput/infinite truth", "rmse", reg([]float64{1, math.Inf(1)}, []float64{1, 1}), ErrInvalidInput, 2, "truth +Inf is not finite"},
		{"ErrInvalidInput/NaN regression prediction", "rmse", reg([]float64{1, 1}, []float64{math.NaN(), 1}), ErrInvalidInput, 1, "prediction NaN is not finite"},
		{"ErrInvalidInput/weight length", "accuracy", with(okBin(), func(in *Input) { in.Weight = []float64{1} }), ErrInvalidInput, 0, "weight has 1 rows, truth has 3"},
		{"ErrInvalidInput/negative weight", "accuracy", with(okBin(), func(in *Input) { in.Weight = []float64{1, -1, 1} }), ErrInvalidInput, 2, "weight -1"},
		{"ErrInvalidInput/NaN weight", "accuracy", with(okBin(), func(in *Input) { in.Weight = []float64{1, 1, math.NaN()} }), ErrInvalidInput, 3, "weight NaN"},
		{"ErrInvalidInput/zero weights", "accuracy", with(okBin(), func(in *Input) { in.Weight = []float64{0, 0, 0} }), ErrInvalidInput, 0, "weights sum to 0"},
		{"ErrInvalidInput/weights on pearson", "pearson", with(okReg(), func(in *Input) { in.Weight = []float64{1, 1, 1} }), ErrInvalidInput, 0, "sample weights are not supported"},
		{"ErrInvalidInput/group on binary", "accuracy", with(okBin(), func(in *Input) { in.Group = []string{"a", "a", "a"} }), ErrInvalidInput, 0, "group is only for ranking"},
		{"ErrInvalidInput/group length", "ndcg", rank([]float64{1, 0}, []float64{1, 0}, []string{"a"}, 0), ErrInvalidInput, 0, "group has 1 rows, truth has 2"},
		{"ErrInvalidInput/negative K", "ndcg", rank([]float64{1, 0}, []float64{1, 0}, nil, -1), ErrInvalidInput, 0, "K = -1"},
		{"ErrInvalidInput/negative relevance", "ndcg", rank([]float64{1, -1}, []float64{1, 0}, nil, 0), ErrInvalidInput, 2, "relevance -1 is negative"},
		{"ErrInvalidInput/rmsle negative truth", "rmsle", reg([]float64{1, -2}, []float64{1, 1}), ErrInvalidInput, 2, "truth -2 is negative"},
		{"ErrInvalidInput/rmsle negative prediction", "rmsle", reg([]float64{1, 2}, []float64{1, -0.5}), ErrInvalidInput, 2, "prediction -0.5 is negative"},
		{"ErrUndefined/roc_auc single class", "roc_auc", bin([]float64{1, 1}, []float64{0.2, 0.7}), ErrUndefined, 0, "single class"},
		{"ErrUndefined/roc_auc single weighted class", "roc_auc", with(okBin(), func(in *Input) { in.Weight = []float64{0, 1, 1} }), ErrUndefined, 0, "single class"},
		{"ErrUndefined/roc_auc_ovr absent class", "roc_auc_ovr", with(okMulti(), func(in *Input) { in.Truth = []float64{0, 1, 1} }), ErrUndefined, 0, "class 2"},
		{"ErrUndefined/average_precision no positives", "average_precision", bin([]float64{0, 0}, []float64{0.2, 0.7}), ErrUndefined, 0, "no positive rows"},
		{"ErrUndefined/pearson constant", "pearson", reg([]float64{1, 2, 3}, []float64{2, 2, 2}), ErrUndefined, 0, "constant"},
		{"ErrUndefined/spearman one row", "spearman", reg([]float64{1}, []float64{2}), ErrUndefined, 0, "at least 2 rows"},
		{"ErrUndefined/r2 one row", "r2", reg([]float64{1}, []float64{2}), ErrUndefined, 0, "at least 2 rows"},
		{"ErrUndefined/kappa one class", "cohen_kappa", bin([]float64{1, 1}, []float64{0.7, 0.9}), ErrUndefined, 0, "chance disagreement is 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Lookup(tc.metric)
			if err != nil {
				t.Fatal(err)
			}
			v, err := m.Score(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (value %v), want %v", err, v, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %T, want *InputError", err)
			}
			if ie.Metric != tc.metric || ie.Row != tc.row {
				t.Errorf("got metric %q row %d, want %q row %d", ie.Metric, ie.Row, tc.metric, tc.row)
			}
			if !strings.HasPrefix(err.Error(), tc.metric+": ") || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want prefix %q and %q", err, tc.metric+": ", tc.contains)
			}
		})
	}
}

func TestRadixSort(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -2, -1, -0.5, math.Copysign(0, -1), 0, 1e-300, 0.25, 0.5, 1, 3, math.Inf(1)}
	for _, n := range []int{0, 1, 5, 511, 512, 5000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = sortKey(vals[(i*7+i/3)%len(vals)])
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			radixSort(keys, make([]uint64, n))
			if !slices.Equal(keys, want) {
				t.Fatalf("got %v, want %v", keys[:min(n, 20)], want[:min(n, 20)])
			}
			for i := 1; i < n; i++ {
				a, b := vals[((i-1)*7+(i-1)/3)%len(vals)], vals[(i*7+i/3)%len(vals)]
				if (sortKey(a) < sortKey(b)) != (a < b) || (sortKey(a) == sortKey(b)) != (a == b) {
					t.Fatalf("sortKey order of %v and %v differs from float order", a, b)
				}
			}
		})
	}
}

// TestOverflow checks that a result too large to represent is the
// metric's worst finite value, never an error: whether an error occurred
// would otherwise tell a model which truth is below a threshold it chose
// (mape: |pred - truth| / |truth| overflows exactly when |truth| is small).
// A mean whose sum overflows but whose value fits comes out exact.
func TestOverflow(t *testing.T) {
	tests := []struct {
		name, metric string
		in           Input
		want         float64
	}{
		{"mse/term overflows", "mse", reg([]float64{0, 0}, []float64{1e300, 1e300}), math.MaxFloat64},
		{"mape/tiny truth", "mape", reg([]float64{1e-10, 1}, []float64{1e300, 1}), math.MaxFloat64},
		{"mape/sum overflows, mean fits", "mape", reg([]float64{1, 1, 1, 1}, []float64{1.5e308, 1.5e308, 1, 1}), 1.5e308 / 2},
		{"mae/sum overflows, mean fits", "mae", reg([]float64{0, 0, 0, 0}, []float64{1.5e308, 1.5e308, 0, 0}), 1.5e308 / 2},
		{"r2/higher is better", "r2", reg([]float64{0, 1}, []float64{1e300, 1e300}), -math.MaxFloat64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := Lookup(tc.metric)
			got, err := m.Score(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v, nil", got, err, tc.want)
			}
		})
	}
}

// TestCheckPredictions checks that everything Score refuses about the
// predictions alone is refused without the truth, naming the row.
func TestCheckPredictions(t *testing.T) {
	tests := []struct {
		name, metric string
		tt           TaskType
		pred         [][]float64
		row, col     int // 0: valid
		contains     string
	}{
		{"valid binary", "roc_auc", Binary, [][]float64{{0, 0.5, 1}}, 0, 0, ""},
		{"probability above 1", "roc_auc", Binary, [][]float64{{0.5, 0.5, 1.5}}, 3, 0, "not a probability"},
		{"negative probability", "log_loss", Binary, [][]float64{{-0.1}}, 1, 0, "not a probability"},
		{"multiclass cell", "accuracy", Multiclass, [][]float64{{0.5, 1.2}, {0.5, -0.2}}, 2, 1, "not a probability"},
		{"multiclass sum", "roc_auc_ovr", Multiclass, [][]float64{{0.5, 0.6}, {0.5, 0.6}}, 2, 0, "sum to"},
		{"regression NaN", "mse", Regression, [][]float64{{1, math.NaN()}}, 2, 0, "not finite"},
		{"rmsle negative", "rmsle", Regression, [][]float64{{1, 2, -1}}, 3, 0, "negative"},
		{"mse negative is fine", "mse", Regression, [][]float64{{1, 2, -1}}, 0, 0, ""},
		{"wrong columns", "roc_auc", Binary, [][]float64{{0.5}, {0.5}}, 0, 0, "prediction column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := Lookup(tc.metric)
			err := m.CheckPredictions(tc.tt, tc.pred)
			if tc.contains == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("got %v, want an *InputError wrapping ErrInvalidInput", err)
			}
			if ie.Metric != tc.metric || ie.Row != tc.row || (tc.col > 0 && ie.Column != tc.col) || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q (row %d column %d), want %s row %d column %d mentioning %q", err, ie.Row, ie.Column, tc.metric, tc.row, tc.col, tc.contains)
			}
		})
	}
}
