package metric

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchInput builds n rows of synthetic predictions for the task type.
func benchInput(t TaskType, n int) Input {
	r := rand.New(rand.NewPCG(1, 2))
	in := Input{Type: t, Truth: make([]float64, n)}
	switch t {
	case Binary:
		p := make([]float64, n)
		for i := range n {
			y := float64(r.IntN(2))
			in.Truth[i] = y
			p[i] = min(1, max(0, 0.3*y+0.7*r.Float64()))
		}
		in.Pred = [][]float64{p}
	case Multiclass:
		const c = 5
		in.Pred = make([][]float64, c)
		for k := range in.Pred {
			in.Pred[k] = make([]float64, n)
		}
		for i := range n {
			y := r.IntN(c)
			in.Truth[i] = float64(y)
			var s float64
			for k := range c {
				v := r.Float64()
				if k == y {
					v += 0.5
				}
				in.Pred[k][i] = v
				s += v
			}
			for k := range c {
				in.Pred[k][i] /= s
			}
		}
	case Regression:
		p := make([]float64, n)
		for i := range n {
			in.Truth[i] = r.NormFloat64()
			p[i] = in.Truth[i] + 0.3*r.NormFloat64()
		}
		in.Pred = [][]float64{p}
	}
	return in
}

// BenchmarkScore measures validation plus computation per metric; rows/s
// is the scoring throughput.
func BenchmarkScore(b *testing.B) {
	cases := []struct {
		metric string
		typ    TaskType
	}{
		{"roc_auc", Binary},
		{"log_loss", Binary},
		{"rmse", Regression},
		{"f1_macro", Multiclass},
	}
	for _, c := range cases {
		for _, n := range []int{1e4, 1e6} {
			b.Run(c.metric+"/rows="+strconv.Itoa(n), func(b *testing.B) {
				m, err := Lookup(c.metric)
				if err != nil {
					b.Fatal(err)
				}
				in := benchInput(c.typ, n)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.Score(in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
