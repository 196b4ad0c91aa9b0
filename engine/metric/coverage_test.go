package metric

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// coverageFamily draws synthetic inputs whose metric has a known
// population value.
type coverageFamily struct {
	metric string
	truth  float64                         // the metric's population value
	draw   func(r *rand.Rand, n int) Input // n rows from the population
}

var coverageFamilies = []coverageFamily{
	{
		// Binormal scores, 30 % positives: negatives N(0,1), positives
		// N(1,1), through a sigmoid (AUC is rank-invariant):
		// AUC = Phi(1/sqrt 2).
		metric: "roc_auc",
		truth:  0.5 * math.Erfc(-0.5),
		draw: func(r *rand.Rand, n int) Input {
			in := Input{Type: Binary, Truth: make([]float64, n), Pred: [][]float64{make([]float64, n)}}
			for i := range n {
				s := r.NormFloat64()
				if r.Float64() < 0.3 {
					in.Truth[i] = 1
					s++
				}
				in.Pred[0][i] = 1 / (1 + math.Exp(-s))
			}
			return in
		},
	},
	{
		// Balanced labels, the predicted label right 80 % of the time.
		metric: "accuracy",
		truth:  0.8,
		draw: func(r *rand.Rand, n int) Input {
			in := Input{Type: Binary, Truth: make([]float64, n), Pred: [][]float64{make([]float64, n)}}
			for i := range n {
				y := float64(r.IntN(2))
				in.Truth[i] = y
				if r.Float64() < 0.8 {
					in.Pred[0][i] = 0.25 + 0.5*y
				} else {
					in.Pred[0][i] = 0.75 - 0.5*y
				}
			}
			return in
		},
	},
	{
		// Residuals N(0, 0.5^2): rmse = 0.5.
		metric: "rmse",
		truth:  0.5,
		draw:   residuals,
	},
	{
		// Residuals N(0, 0.5^2): mae = 0.5 sqrt(2/pi).
		metric: "mae",
		truth:  0.5 * math.Sqrt(2/math.Pi),
		draw:   residuals,
	},
	{
		// Calibrated probabilities q in {0.1, 0.3, 0.5, 0.7, 0.9}, equally
		// often, labels drawn from them: log_loss = mean binary entropy.
		metric: "log_loss",
		truth: func() float64 {
			var h float64
			for _, q := range logLossLevels {
				h -= q*math.Log(q) + (1-q)*math.Log(1-q)
			}
			return h / float64(len(logLossLevels))
		}(),
		draw: func(r *rand.Rand, n int) Input {
			in := Input{Type: Binary, Truth: make([]float64, n), Pred: [][]float64{make([]float64, n)}}
			for i := range n {
				q := logLossLevels[r.IntN(len(logLossLevels))]
				in.Pred[0][i] = q
				if r.Float64() < q {
					in.Truth[i] = 1
				}
			}
			return in
		},
	},
}

var logLossLevels = []float64{0.1, 0.3, 0.5, 0.7, 0.9}

func residuals(r *rand.Rand, n int) Input {
	in := Input{Type: Regression, Truth: make([]float64, n), Pred: [][]float64{make([]float64, n)}}
	for i := range n {
		in.Truth[i] = 10 * r.Float64()
		in.Pred[0][i] = in.Truth[i] + 0.5*r.NormFloat64()
	}
	return in
}

// TestCoverage is the coverage simulation: for each metric family, at a
// small n (percentile bootstrap) and a large one (the analytical method
// Bootstrap picks from AnalyticMinUnits units on), the nominal 95 %
// interval of many independent synthetic samples must contain the
// population value in 93-97 % of them. Every sample and every resample is
// seeded, so the counts are the same on every run: the test cannot flake,
// and a method that drifts out of the band fails it. -short runs fewer
// trials (the band is the same); under the race detector only a few,
// without the band (make test runs it again without -race).
func TestCoverage(t *testing.T) {
	trials, band := 2000, true
	switch {
	case raceEnabled:
		// Under the race detector a few trials check the code paths and
		// the methods chosen; the coverage band needs many trials and is
		// checked without -race (make test runs this test again without
		// it, with -short).
		trials, band = 25, false
	case testing.Short():
		trials = 1000
	}
	sizes := []struct {
		n      int
		method string
	}{
		{1000, MethodBootstrap},
		{2 * AnalyticMinUnits, ""}, // analytical: checked below
	}
	for fi, f := range coverageFamilies {
		for _, size := range sizes {
			t.Run(f.metric+"/n="+strconv.Itoa(size.n), func(t *testing.T) {
				m, err := Lookup(f.metric)
				if err != nil {
					t.Fatal(err)
				}
				covered, below, above := 0, 0, 0
				for trial := range trials {
					r := rand.New(rand.NewPCG(uint64(fi+1), uint64(trial)))
					in := f.draw(r, size.n)
					iv, err := m.Bootstrap(in, BootstrapConfig{Seed: uint64(trial)})
					if err != nil {
						t.Fatalf("trial %d: %v", trial, err)
					}
					if size.method == MethodBootstrap && iv.Method != MethodBootstrap {
						t.Fatalf("trial %d: method %q at n=%d, want %q", trial, iv.Method, size.n, MethodBootstrap)
					}
					if size.method == "" && iv.Method == MethodBootstrap {
						t.Fatalf("trial %d: method %q at n=%d, want an analytical one", trial, iv.Method, size.n)
					}
					switch {
					case f.truth < iv.Low:
						below++
					case f.truth > iv.High:
						above++
					default:
						covered++
					}
				}
				rate := float64(covered) / float64(trials)
				t.Logf("%s n=%d: covered %d of %d (%.1f %%), truth below %d, above %d", f.metric, size.n, covered, trials, 100*rate, below, above)
				if band && (rate < 0.93 || rate > 0.97) {
					t.Errorf("coverage %.3f (%d of %d; truth below the interval %d times, above %d), want within [0.93, 0.97]", rate, covered, trials, below, above)
				}
			})
		}
	}
}
