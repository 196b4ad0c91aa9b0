package metric_test

import (
	"errors"
	"fmt"

	"github.com/verdictlab/verdict/engine/metric"
)

func Example() {
	in := metric.Input{
		Type:  metric.Binary,
		Truth: []float64{0, 0, 1, 1},
		Pred:  [][]float64{{0.1, 0.6, 0.4, 0.9}}, // P(class 1) per row
	}
	for _, name := range []string{"roc_auc", "accuracy", "log_loss"} {
		m, err := metric.Lookup(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		score, err := m.Score(in)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s = %.4f (higher is better: %v)\n", m.Name, score, m.HigherIsBetter)
	}
	// Output:
	// roc_auc = 0.7500 (higher is better: true)
	// accuracy = 0.5000 (higher is better: true)
	// log_loss = 0.5108 (higher is better: false)
}

func ExampleMetric_Score_multiclass() {
	m, _ := metric.Lookup("f1_macro")
	score, err := m.Score(metric.Input{
		Type:  metric.Multiclass,
		Truth: []float64{0, 1, 2, 2},
		// One column per class: Pred[k][i] is P(class k) for row i.
		Pred: [][]float64{
			{0.7, 0.2, 0.1, 0.1},
			{0.2, 0.7, 0.1, 0.6},
			{0.1, 0.1, 0.8, 0.3},
		},
	})
	fmt.Printf("%.4f %v\n", score, err)
	// Output: 0.7778 <nil>
}

func ExampleMetric_Score_error() {
	m, _ := metric.Lookup("roc_auc")
	_, err := m.Score(metric.Input{
		Type:  metric.Binary,
		Truth: []float64{0, 1, 1},
		Pred:  [][]float64{{0.2, 1.3, 0.8}},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, metric.ErrInvalidInput))
	// Output:
	// roc_auc: row 2: prediction 1.3 is not a probability in [0, 1]: metric: invalid input
	// true
}

func ExampleLookup() {
	m, err := metric.Lookup("ndcg@10")
	fmt.Println(m.Name, m.K, m.HigherIsBetter, err)
	_, err = metric.Lookup("auc")
	fmt.Println(errors.Is(err, metric.ErrUnknownMetric))
	// Output:
	// ndcg@10 10 true <nil>
	// true
}

func ExampleMetric_Bootstrap() {
	m, _ := metric.Lookup("accuracy")
	truth := make([]float64, 200)
	pred := make([]float64, 200)
	for i := range truth {
		truth[i] = float64(i % 2)
		pred[i] = 0.8 * truth[i] // right on rows 0, 1, 2, ...
		if i%5 == 0 {
			pred[i] = 0.9 - pred[i] // ... except every fifth: 80 % accuracy
		}
	}
	in := metric.Input{Type: metric.Binary, Truth: truth, Pred: [][]float64{pred}}
	score, _ := m.Score(in)
	iv, err := m.Bootstrap(in, metric.BootstrapConfig{Seed: 1})
	fmt.Printf("%.3f in [%.3f, %.3f] (%.0f %%, %d resamples) %v\n", score, iv.Low, iv.High, 100*iv.Level, iv.Resamples, err)
	// Output: 0.800 in [0.745, 0.855] (95 %, 1000 resamples) <nil>
}

func ExampleMetric_Compare() {
	m, _ := metric.Lookup("rmse")
	truth := make([]float64, 100)
	better, worse := make([]float64, 100), make([]float64, 100)
	for i := range truth {
		truth[i] = float64(i)
		better[i] = truth[i] + float64(i%3-1)    // off by -1, 0, 1
		worse[i] = truth[i] + 1.5*float64(i%3-1) // off by -1.5, 0, 1.5
	}
	in := func(p []float64) metric.Input {
		return metric.Input{Type: metric.Regression, Truth: truth, Pred: [][]float64{p}}
	}
	cmp, err := m.Compare(in(better), in(worse), metric.BootstrapConfig{Seed: 1})
	fmt.Printf("improvement %.3f in [%.3f, %.3f], p = %.3f %v\n", cmp.Diff, cmp.Interval.Low, cmp.Interval.High, cmp.P, err)
	same, _ := m.Compare(in(better), in(better), metric.BootstrapConfig{Seed: 1})
	fmt.Println(same.Diff, same.P, same.Interval.Low, same.Interval.High)
	// Output:
	// improvement 0.409 in [0.381, 0.433], p = 0.001 <nil>
	// 0 1 0 0
}
