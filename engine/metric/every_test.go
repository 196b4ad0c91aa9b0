package metric

import (
	"errors"
	"math"
	"testing"
)

// validInput returns a small input every metric of type tt scores.
func validInput(tt TaskType) Input {
	switch tt {
	case Binary:
		return bin([]float64{0, 1, 1, 0}, []float64{0.2, 0.7, 0.9, 0.4})
	case Multiclass:
		return multi([]float64{0, 1, 2, 1},
			[]float64{0.8, 0.1, 0.1}, []float64{0.1, 0.8, 0.1}, []float64{0.1, 0.1, 0.8}, []float64{0.2, 0.6, 0.2})
	case Regression:
		return reg([]float64{1, 2, 3, 4}, []float64{1.5, 2, 2.5, 4.5})
	default:
		return rank([]float64{3, 0, 1, 2}, []float64{0.9, 0.1, 0.5, 0.7}, []string{"q", "q", "r", "r"}, 0)
	}
}

// TestEveryMetricRejects: for every metric and every task type it scores,
// a valid input scores, and each kind of broken input is an error of the
// right kind — never a silent NaN.
func TestEveryMetricRejects(t *testing.T) {
	types := []TaskType{Binary, Multiclass, Regression, Ranking}
	for _, m := range All() {
		for _, tt := range types {
			if !m.Supports(tt) {
				t.Run(m.Name+"/"+string(tt)+"/Unsupported", func(t *testing.T) {
					if _, err := m.Score(validInput(tt)); !errors.Is(err, ErrUnsupportedTask) {
						t.Errorf("got %v, want ErrUnsupportedTask", err)
					}
				})
				continue
			}
			t.Run(m.Name+"/"+string(tt), func(t *testing.T) {
				if v, err := m.Score(validInput(tt)); err != nil || math.IsNaN(v) {
					t.Fatalf("valid input: got %v, %v", v, err)
				}
				broken := map[string]func(*Input){
					"Empty":          func(in *Input) { in.Truth = nil; in.Pred = [][]float64{{}}; in.Group = nil },
					"LengthMismatch": func(in *Input) { in.Truth = in.Truth[:len(in.Truth)-1] },
					"NaNPrediction":  func(in *Input) { in.Pred[0] = append([]float64{math.NaN()}, in.Pred[0][1:]...) },
					"NaNTruth":       func(in *Input) { in.Truth = append([]float64{math.NaN()}, in.Truth[1:]...) },
				}
				for name, breakIt := range broken {
					in := validInput(tt)
					breakIt(&in)
					v, err := m.Score(in)
					if err == nil {
						t.Errorf("%s: got %v, nil; want an error", name, v)
						continue
					}
					if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, ErrUndefined) {
						t.Errorf("%s: got %v, want ErrInvalidInput or ErrUndefined", name, err)
					}
				}
			})
		}
	}
}
