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
// *InputError naming the metric and the 1-based row. A result too large
// to represent (an overflow) is not an error but Metric.Worst, the worst
// finite value, so that whether Score fails never turns on a threshold in
// the truth. Metric.CheckPredictions checks the predictions alone, before
// any truth is involved.
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
// # Uncertainty
//
// Metric.Bootstrap returns a percentile bootstrap confidence interval of
// the score, and Metric.Compare a paired bootstrap comparison of two
// submissions on the same rows. Both are pure and deterministic:
//
//   - Resampling unit. A resample draws, with replacement, as many units
//     as the input has: rows, or for ranking whole queries (Input.Group),
//     so a query's rows stay together and a query drawn twice counts
//     twice. Fewer than 2 units is ErrUndefined. Weights travel with their
//     rows.
//   - Seed. Resample r draws its units from its own PCG-DXSM generator
//     (math/rand/v2) seeded from (BootstrapConfig.Seed, r), and its value
//     is stored at index r, so the result is bit-identical whatever
//     BootstrapConfig.Workers is. Changing the draw scheme changes
//     recorded intervals: treat it as a format change.
//   - Percentiles. Low and High are numpy.quantile(values, q) at
//     q = (1-Level)/2 and (1+Level)/2 with numpy's default method
//     "linear" (Hyndman and Fan's type 7), bit-identical to numpy on the
//     same values. (gonum's stat.Quantile with LinInterp is type 4.)
//   - Undefined resamples, such as roc_auc drawing a single class, are
//     left out and Interval.Resamples counts the rest; if more than
//     MaxUndefinedFraction are undefined the call fails with ErrUndefined.
//   - Compare scores a and b on the same resamples as Bootstrap with the
//     same config. Comparison.Diff is the improvement of a over b,
//     positive when a is better whichever way the metric points; the
//     interval is that of the resampled improvements d_r; and the
//     one-sided p-value of "a is not better than b" is
//     P = (1 + #{r : d_r <= 0}) / (1 + resamples). It is never below
//     1/(1+resamples), and identical inputs give Diff 0, the interval
//     [0, 0] and P = 1. "a is significantly better at alpha" is P < alpha.
//
// The common metrics resample without copying rows: mean-type metrics
// (log_loss, brier, mse, rmse, mae, rmsle, mape, ndcg over queries) weight
// per-unit terms computed once by each unit's count; roc_auc, roc_auc_ovr
// and average_precision sort once and sweep the sorted order with counts,
// O(n) per resample; confusion-matrix metrics add each row's cell times its
// count. The rest score a materialised copy of each resample. The fast
// paths agree with the materialised ones within 1e-12 (exactly, unweighted,
// for the curve and confusion-matrix metrics).
//
// At scale resampling costs a thousand passes over the rows, so from
// AnalyticMinUnits units (rows, or queries) on Bootstrap gives the
// metric's analytical interval where it has one, and Interval.Method says
// which (Resamples is then 0):
//
//   - roc_auc, unweighted: MethodDeLong, AUC ± z·SE with DeLong's
//     variance from the structural components of the one sort the
//     bootstrap's fast path already makes; roc_auc_ovr the mean of the
//     classes' AUCs with the variance of the rows' summed influence.
//   - accuracy: MethodWilson (Wilson's score interval) unweighted,
//     MethodNormal weighted.
//   - log_loss, brier, mse, mae, mape, ndcg (over queries): MethodNormal,
//     mean ± z·SE; rmse and rmsle the square root of mse's interval.
//   - everything else (weighted AUC, average_precision, the other
//     confusion-matrix metrics, r2, ...): the percentile bootstrap at
//     every size.
//
// BootstrapConfig.Method forces either way. TestCoverage checks that the
// nominal 95 % covers 93-97 % at small and large n for each family.
//
//	iv, err := m.Bootstrap(in, metric.BootstrapConfig{Seed: seed})
//	// iv.Low <= score <= iv.High on well-behaved data, 95 %, 1000 resamples
//	cmp, err := m.Compare(candidate, baseline, metric.BootstrapConfig{Seed: seed})
//	better := cmp.P < 0.05
//
// # Adding a metric
//
// Write one func(Input) (float64, error), which runs only on validated
// input, and add one row to the table in registry.go. Bootstrap works for
// it at once through materialised resamples; a fast path (a planner in
// resample.go) is optional, and TestFastPathsMatchMaterialised checks it.
package metric
