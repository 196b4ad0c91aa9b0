package engine

import (
	"cmp"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestROCCurveOrder checks rocCurve's sort against the stable sort it
// replaced, on scores with many ties, both zeros, negatives and NaNs.
func TestROCCurveOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 10, 1000, 5000} {
		truth, score := make([]float64, n), make([]float64, n)
		for i := range n {
			truth[i] = float64(r.IntN(2))
			switch r.IntN(10) {
			case 0:
				score[i] = math.Copysign(0, -1)
			case 1:
				score[i] = math.NaN()
			case 2:
				score[i] = -math.Floor(r.Float64()*8) / 8 // negative, and -0
			default:
				score[i] = math.Floor(r.Float64()*20) / 20
			}
		}
		for _, points := range []int{2, 7, MaxROCPoints} {
			got := rocCurve(truth, score, points)
			want := stableROC(truth, score, points)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("n=%d points=%d: got %v, want %v", n, points, got, want)
			}
		}
	}
}

// stableROC is rocCurve as it was, with slices.SortStableFunc.
func stableROC(truth, score []float64, maxPoints int) []ROCPoint {
	idx := make([]int, 0, len(truth))
	var pos, neg int
	for i, s := range score {
		if math.IsNaN(s) {
			continue
		}
		idx = append(idx, i)
		if truth[i] == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	step := (len(idx) + maxPoints - 2) / (maxPoints - 1)
	out := []ROCPoint{{0, 0}}
	var tp, fp, since int
	for n, i := range idx {
		if truth[i] == 1 {
			tp++
		} else {
			fp++
		}
		since++
		last := n == len(idx)-1
		if !last && score[idx[n+1]] == score[i] {
			continue
		}
		if since >= step || last {
			out = append(out, ROCPoint{FPR: round4(float64(fp) / float64(neg)), TPR: round4(float64(tp) / float64(pos))})
			since = 0
		}
	}
	return out
}
