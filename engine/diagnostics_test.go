package engine

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/verdictlab/verdict/engine/metric"
)

func TestROCCurve(t *testing.T) {
	tests := []struct {
		name         string
		truth, score []float64
		max          int
		want         []ROCPoint
	}{
		{"perfect", []float64{0, 1, 0, 1}, []float64{0.1, 0.9, 0.2, 0.8}, 64,
			[]ROCPoint{{0, 0}, {0, 0.5}, {0, 1}, {0.5, 1}, {1, 1}}},
		{"reversed", []float64{1, 0}, []float64{0.1, 0.9}, 64,
			[]ROCPoint{{0, 0}, {1, 0}, {1, 1}}},
		{"ties are one threshold", []float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.5, 0.5}, 64,
			[]ROCPoint{{0, 0}, {1, 1}}},
		{"NaN left out", []float64{0, 1, 1}, []float64{0.2, nan(), 0.7}, 64,
			[]ROCPoint{{0, 0}, {0, 1}, {1, 1}}},
		{"thinned", []float64{1, 0, 1, 0, 1, 0}, []float64{6, 5, 4, 3, 2, 1}, 3,
			[]ROCPoint{{0, 0}, {0.3333, 0.6667}, {1, 1}}},
		{"one class", []float64{1, 1}, []float64{0.2, 0.3}, 64, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rocCurve(tc.truth, tc.score, tc.max)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestROCCurveBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 10000
	truth, score := make([]float64, n), make([]float64, n)
	for i := range truth {
		truth[i] = float64(r.IntN(2))
		score[i] = (truth[i]*0.3 + r.Float64()) / 1.3
	}
	roc := rocCurve(truth, score, MaxROCPoints)
	if len(roc) > MaxROCPoints || len(roc) < MaxROCPoints/2 {
		t.Fatalf("got %d points, want at most %d and not far fewer", len(roc), MaxROCPoints)
	}
	if roc[0] != (ROCPoint{0, 0}) || roc[len(roc)-1] != (ROCPoint{1, 1}) {
		t.Errorf("got ends %v and %v, want (0,0) and (1,1)", roc[0], roc[len(roc)-1])
	}
	// The thinned curve's area is close to the exact AUC.
	auc := 0.0
	for i := 1; i < len(roc); i++ {
		auc += (roc[i].FPR - roc[i-1].FPR) * (roc[i].TPR + roc[i-1].TPR) / 2
	}
	m, _ := metric.Lookup("roc_auc")
	want, err := m.Score(metric.Input{Type: metric.Binary, Truth: truth, Pred: [][]float64{score}})
	if err != nil {
		t.Fatal(err)
	}
	if d := auc - want; d > 0.005 || d < -0.005 {
		t.Errorf("got area %v, want about the AUC %v", auc, want)
	}
}

func TestConfusionMatrix(t *testing.T) {
	tests := []struct {
		name    string
		in      metric.Input
		classes int
		want    [][]int
	}{
		{"binary", metric.Input{Type: metric.Binary, Truth: []float64{0, 1, 1, 0}, Pred: [][]float64{{0.2, 0.5, 0.4, 0.9}}}, 2,
			[][]int{{1, 1}, {1, 1}}},
		{"multiclass argmax, lowest on ties", metric.Input{Type: metric.Multiclass, Truth: []float64{0, 1, 2, 2},
			Pred: [][]float64{{0.5, 0.1, 0.3, 0.2}, {0.5, 0.8, 0.3, 0.2}, {0, 0.1, 0.4, 0.6}}}, 3,
			[][]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 2}}},
		{"too many classes", metric.Input{Type: metric.Multiclass, Truth: []float64{0}, Pred: [][]float64{{1}}}, MaxConfusionClasses + 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := confusionMatrix(tc.in, tc.classes)
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBinScatter(t *testing.T) {
	s := binScatter([]float64{0, 10, 5, 5}, []float64{0, 10, 100, nan()}, 4)
	if s.Min != -0.5 || s.Max != 10.5 || s.Bins != 4 || s.Clamped != 2 {
		t.Fatalf("got %+v, want range [-0.5, 10.5], 4 bins, 2 clamped", s)
	}
	want := []int{
		1, 0, 0, 0, // true 0: predicted 0
		0, 0, 0, 0,
		1, 0, 0, 1, // true 5: 100 clamps high, NaN low
		0, 0, 0, 1, // true 10: predicted 10
	}
	if !slices.Equal(s.Counts, want) {
		t.Errorf("got counts %v, want %v", s.Counts, want)
	}
	if c := binScatter([]float64{3, 3}, []float64{3, 3}, 2); c.Min != 2.5 || c.Max != 3.5 || c.Counts[3] != 2 {
		t.Errorf("constant truth: got %+v, want [2.5, 3.5] with both rows in the top bin", c)
	}
}

func nan() float64 { return math.NaN() }
