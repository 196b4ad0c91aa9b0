package metric

import (
	"errors"
	"testing"
)

func TestCheckTruth(t *testing.T) {
	tests := []struct {
		metric  string
		truth   []float64
		classes int
		want    error
	}{
		{"roc_auc", []float64{0, 1, 0}, 2, nil},
		{"roc_auc", []float64{1, 1, 1}, 2, ErrUndefined},
		{"average_precision", []float64{0, 0}, 2, ErrUndefined},
		{"average_precision", []float64{1, 1}, 2, ErrUndefined},
		{"mcc", []float64{2, 2, 2}, 3, ErrUndefined},
		{"mcc", []float64{2, 0, 2}, 3, nil},
		{"cohen_kappa", []float64{0}, 2, ErrUndefined},
		{"quadratic_weighted_kappa", []float64{1, 1}, 3, ErrUndefined},
		{"roc_auc_ovr", []float64{0, 1, 2}, 3, nil},
		{"roc_auc_ovr", []float64{0, 1, 1}, 3, ErrUndefined},
		{"pearson", []float64{3, 3}, 0, ErrUndefined},
		{"spearman", []float64{3, 4}, 0, nil},
		{"r2", []float64{3}, 0, ErrUndefined},
		{"r2", []float64{3, 3}, 0, nil},
		{"accuracy", []float64{1, 1}, 2, nil},
		{"log_loss", []float64{0, 0}, 2, nil},
		{"rmse", []float64{5}, 0, nil},
	}
	for _, tc := range tests {
		name := tc.metric
		if tc.want != nil {
			name += "/ErrUndefined"
		}
		t.Run(name, func(t *testing.T) {
			m, err := Lookup(tc.metric)
			if err != nil {
				t.Fatal(err)
			}
			err = m.CheckTruth(tc.truth, tc.classes)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var ie *InputError
			if err != nil && (!errors.As(err, &ie) || ie.Metric != tc.metric) {
				t.Errorf("got %v, want an *InputError naming %s", err, tc.metric)
			}
		})
	}
}

// TestCheckTruthAgreesWithScore: a truth CheckTruth accepts with a model
// that predicts both classes scores; one it refuses for roc_auc fails
// Score with ErrUndefined whatever the predictions.
func TestCheckTruthAgreesWithScore(t *testing.T) {
	m, _ := Lookup("roc_auc")
	truth := []float64{1, 1, 1}
	_, err := m.Score(Input{Type: Binary, Truth: truth, Pred: [][]float64{{0.2, 0.9, 0.5}}})
	if !errors.Is(err, ErrUndefined) || !errors.Is(m.CheckTruth(truth, 2), ErrUndefined) {
		t.Fatalf("got Score %v, CheckTruth %v; want both ErrUndefined", err, m.CheckTruth(truth, 2))
	}
}
