package metric

import (
	"fmt"
	"slices"
)

// CheckTruth reports, before any prediction exists, whether m can give a
// meaningful score on this truth: for a task, every part that is scored
// (public and private) must pass, or every submission fails (or ties) on
// it. classes is the number of classes of a multiclass task (the number of
// prediction columns), else ignored. The error wraps ErrUndefined in an
// *InputError naming the metric:
//
//   - roc_auc, average_precision, mcc, cohen_kappa and
//     quadratic_weighted_kappa need both classes (binary) or two classes
//     (multiclass) in the truth: on one class, roc_auc and the kappas are
//     undefined (scikit-learn gives NaN) and average_precision and mcc are
//     the same for every model;
//   - roc_auc_ovr needs every one of the classes in the truth;
//   - pearson and spearman need a truth that is not constant, r2 two rows.
//
// The other metrics are defined on any non-empty truth.
func (m Metric) CheckTruth(truth []float64, classes int) error {
	check, ok := truthChecks[m.Name]
	if !ok || len(truth) == 0 {
		return nil
	}
	if err := check(truth, classes); err != nil {
		err.Metric = m.Name
		return err
	}
	return nil
}

// truthChecks holds the metrics with needs on the truth alone (by name).
var truthChecks = map[string]func(truth []float64, classes int) *InputError{
	"roc_auc":                  twoClasses,
	"average_precision":        twoClasses,
	"mcc":                      twoClasses,
	"cohen_kappa":              twoClasses,
	"quadratic_weighted_kappa": twoClasses,
	"roc_auc_ovr":              everyClass,
	"pearson":                  notConstant,
	"spearman":                 notConstant,
	"r2": func(truth []float64, _ int) *InputError {
		if len(truth) < 2 {
			return truthUndefined("r2 needs at least 2 rows, the truth has %d", len(truth))
		}
		return nil
	},
}

func truthUndefined(format string, args ...any) *InputError {
	return &InputError{Problem: fmt.Sprintf(format, args...), Err: ErrUndefined}
}

func twoClasses(truth []float64, _ int) *InputError {
	if i := slices.IndexFunc(truth, func(y float64) bool { return y != truth[0] }); i < 0 {
		return truthUndefined("every row of the truth is class %v; the metric needs two classes", truth[0])
	}
	return nil
}

func everyClass(truth []float64, classes int) *InputError {
	seen := make([]bool, classes)
	for _, y := range truth {
		if k := int(y); y == float64(k) && k >= 0 && k < classes {
			seen[k] = true
		}
	}
	if k := slices.Index(seen, false); k >= 0 {
		return truthUndefined("class %d of %d has no row in the truth; one-vs-rest AUC needs every class", k, classes)
	}
	return nil
}

func notConstant(truth []float64, _ int) *InputError {
	if slices.IndexFunc(truth, func(y float64) bool { return y != truth[0] }) < 0 {
		return truthUndefined("the truth is constant (%v on every row); correlation needs variation", truth[0])
	}
	return nil
}
