// Package metric scores predictions against ground truth.
//
// It sits in the engine's score step: the engine runs a guest model in the
// sandbox, takes its predictions, and calls Metric.Score with the held-out
// truth of the task; the number it returns goes on to the gates and the
// leaderboard. The package is pure computation over float64 slices. It
// never sees files, datasets, guests or the clock, takes no context, and
// imports only the standard library.
//
// Every metric is defined as scikit-learn 1.2 defines it (scipy for pearson
// and spearman), and testdata/metrics.json pins each one to scikit-learn's
// value at 1e-9 relative error. Label metrics derive labels from the
// probabilities: binary p >= 0.5 is class 1, multiclass takes the argmax
// with the lowest index winning ties.
//
// Score checks its input before computing and never returns NaN with a nil
// error: a malformed input (a probability outside [0, 1], a NaN, unequal
// lengths) wraps ErrInvalidInput, and data on which the metric has no value
// (roc_auc with one class in the truth) wraps ErrUndefined, both inside an
// *InputError naming the metric and the 1-based row.
//
// # Usage
//
//	m, err := metric.Lookup("roc_auc") // or "ndcg@10"
//	if err != nil {
//		return err // wraps metric.ErrUnknownMetric, lists known names
//	}
//	score, err := m.Score(metric.Input{
//		Type:  metric.Binary,
//		Truth: labels,                // 0/1 per row
//		Pred:  [][]float64{probs},    // column-major, as the guest ABI writes it
//	})
//	if err != nil {
//		return fmt.Errorf("score %s: %w", m.Name, err)
//	}
//	better := m.HigherIsBetter
//
// # Adding a metric
//
// Write one func(Input) (float64, error), which runs only on validated
// input, and add one row to the table in registry.go.
package metric
