package credential

import "strconv"

// Thresholds are predicates on a model's score and rank that the issuer
// signs beside the values, so that a holder can disclose "score at least
// 0.90" without the score (bbs-2023 reveals each array element on its
// own). Each list holds every threshold of its grid the model meets.
type Thresholds struct {
	// ScoreAtLeast, for a metric where higher is better, lists the grid
	// values (ScoreGridHigher) the score is at least, as "0.90".
	ScoreAtLeast []string `json:"scoreAtLeast,omitempty"`
	// ScoreAtMost, for a metric where lower is better, lists the grid
	// values (ScoreGridLower) the score is at most.
	ScoreAtMost []string `json:"scoreAtMost,omitempty"`
	// RankAtMost lists the ranks of RankGrid the model's rank is within.
	RankAtMost []int `json:"rankAtMost,omitempty"`
}

// The grids NewThresholds picks from. The higher-is-better grid covers the
// metrics bounded by 1 (accuracy, AUC, F1, R², NDCG) where buyers ask
// "at least 0.9"; the lower-is-better grid is a 1-2-5 series for error
// metrics (RMSE, MAE, log loss) whose scale depends on the task. Strings,
// not numbers: a JSON-LD number becomes an xsd:double whose lexical form
// ("9.0E-1") verifiers would have to compare numerically.
var (
	ScoreGridHigher = []float64{0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99}
	ScoreGridLower  = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}
	RankGrid        = []int{1, 3, 5, 10}
)

// NewThresholds returns the thresholds a model with score (the one it is
// ranked by: private when the task has a private part) and rank meets.
func NewThresholds(score float64, higherIsBetter bool, rank int) Thresholds {
	var t Thresholds
	if higherIsBetter {
		for _, g := range ScoreGridHigher {
			if score >= g {
				t.ScoreAtLeast = append(t.ScoreAtLeast, formatThreshold(g))
			}
		}
	} else {
		for _, g := range ScoreGridLower {
			if score <= g {
				t.ScoreAtMost = append(t.ScoreAtMost, formatThreshold(g))
			}
		}
	}
	for _, r := range RankGrid {
		if rank >= 1 && rank <= r {
			t.RankAtMost = append(t.RankAtMost, r)
		}
	}
	return t
}

// formatThreshold writes a grid value with two decimals ("0.90", "10.00").
func formatThreshold(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
