package metric

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// bruteDeLong is DeLong's variance by its definition, O(pos × neg).
func bruteDeLong(truth, score []float64) (auc, variance float64) {
	var pos, neg []float64
	for i, y := range truth {
		if y == 1 {
			pos = append(pos, score[i])
		} else {
			neg = append(neg, score[i])
		}
	}
	psi := func(x, y float64) float64 {
		switch {
		case x > y:
			return 1
		case x == y:
			return 0.5
		}
		return 0
	}
	v10 := make([]float64, len(pos))
	v01 := make([]float64, len(neg))
	for i, x := range pos {
		for j, y := range neg {
			s := psi(x, y)
			v10[i] += s / float64(len(neg))
			v01[j] += s / float64(len(pos))
			auc += s
		}
	}
	auc /= float64(len(pos) * len(neg))
	var s10, s01 float64
	for _, v := range v10 {
		s10 += (v - auc) * (v - auc)
	}
	for _, v := range v01 {
		s01 += (v - auc) * (v - auc)
	}
	m, n := float64(len(pos)), float64(len(neg))
	return auc, s10/(m-1)/m + s01/(n-1)/n
}

func TestDeLongMatchesDefinition(t *testing.T) {
	tests := []struct {
		name   string
		levels int // distinct score values; few means many ties
	}{
		{"no ties", 0},
		{"many ties", 5},
		{"two values", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(tc.levels)))
			const n = 300
			truth, score := make([]float64, n), make([]float64, n)
			for i := range n {
				truth[i] = float64(r.IntN(2))
				s := r.Float64()*0.7 + 0.3*truth[i]
				if tc.levels > 0 {
					s = math.Floor(s*float64(tc.levels)) / float64(tc.levels)
				}
				score[i] = s
			}
			wantAUC, wantVar := bruteDeLong(truth, score)
			auc, v, ok := newSweepPlan(truth, 1, score, nil).deLong(nil, 0)
			if !ok {
				t.Fatal("deLong: not ok")
			}
			if math.Abs(auc-wantAUC) > 1e-12 || math.Abs(v-wantVar) > 1e-12*wantVar {
				t.Errorf("got AUC %v variance %v, want %v %v", auc, v, wantAUC, wantVar)
			}
			// The influence form gives the same variance up to the
			// (m-1)/m and (n-1)/n factors.
			psi := make([]float64, n)
			newSweepPlan(truth, 1, score, nil).deLong(psi, 1)
			var ss float64
			for _, x := range psi {
				ss += x * x
			}
			if got := ss / n / (n - 1); math.Abs(got-wantVar) > 0.02*wantVar {
				t.Errorf("influence variance %v, want %v within 2 %%", got, wantVar)
			}
		})
	}
}

// TestIntervalMethod checks which method Bootstrap picks: resampling below
// AnalyticMinUnits units, the analytical interval from there on where the
// metric has one, and what BootstrapConfig.Method forces.
func TestIntervalMethod(t *testing.T) {
	small, large := benchInput(Binary, 2000), benchInput(Binary, AnalyticMinUnits)
	weighted := large
	weighted.Weight = make([]float64, large.Rows())
	for i := range weighted.Weight {
		weighted.Weight[i] = 1 + float64(i%3)
	}
	reg := benchInput(Regression, AnalyticMinUnits)
	mc := benchInput(Multiclass, AnalyticMinUnits)
	tests := []struct {
		metric string
		in     Input
		method string
		want   string
	}{
		{"roc_auc", small, "", MethodBootstrap},
		{"roc_auc", large, "", MethodDeLong},
		{"roc_auc", large, MethodBootstrap, MethodBootstrap},
		{"roc_auc", small, MethodAnalytic, MethodDeLong},
		{"roc_auc", weighted, "", MethodBootstrap}, // no weighted DeLong
		{"roc_auc_ovr", mc, "", MethodDeLong},
		{"accuracy", large, "", MethodWilson},
		{"accuracy", weighted, "", MethodNormal},
		{"log_loss", large, "", MethodNormal},
		{"log_loss", weighted, "", MethodNormal},
		{"rmse", reg, "", MethodNormal},
		{"mae", reg, "", MethodNormal},
		{"f1", large, "", MethodBootstrap}, // no analytical form
		{"r2", reg, MethodAnalytic, MethodBootstrap},
	}
	for _, tc := range tests {
		name := tc.metric + "/" + tc.want
		if tc.method != "" {
			name += "/forced"
		}
		t.Run(name, func(t *testing.T) {
			m, err := Lookup(tc.metric)
			if err != nil {
				t.Fatal(err)
			}
			iv, err := m.Bootstrap(tc.in, BootstrapConfig{Seed: 1, Method: tc.method, Resamples: 200})
			if err != nil {
				t.Fatal(err)
			}
			if iv.Method != tc.want {
				t.Errorf("got method %q, want %q", iv.Method, tc.want)
			}
			score, _ := m.Score(tc.in)
			if !(iv.Low <= score && score <= iv.High) {
				t.Errorf("score %v outside its interval [%v, %v]", score, iv.Low, iv.High)
			}
			if tc.want != MethodBootstrap && iv.Resamples != 0 {
				t.Errorf("got %d resamples for an analytical interval, want 0", iv.Resamples)
			}
		})
	}
	t.Run("ErrInvalidConfig", func(t *testing.T) {
		m, _ := Lookup("roc_auc")
		_, err := m.Bootstrap(small, BootstrapConfig{Method: "jackknife"})
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("got %v, want ErrInvalidConfig", err)
		}
	})
}
