package engine

import (
	"fmt"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine/metric"
)

// checkLabels refuses a task whose metric has no meaningful value on the
// labels of the whole dataset or of a part that is scored (public, and
// private when there is one): one class where roc_auc needs two, a class
// missing where roc_auc_ovr needs all (see metric.CheckTruth). Such a
// task would fail (or tie) every submission. Task creation is the host's,
// so the error may name the part.
func checkLabels(specPath string, m metric.Metric, d *datasets.Dataset, sp split, classes int) error {
	parts := []struct {
		name string
		rows []int
	}{{"whole dataset", nil}, {"public part", sp.public}, {"private part", sp.private}}
	for _, p := range parts {
		truth := d.Labels
		if p.rows != nil {
			truth = make([]float64, len(p.rows))
			for k, r := range p.rows {
				truth[k] = d.Labels[r]
			}
		}
		if err := m.CheckTruth(truth, classes); err != nil {
			return &SpecError{Path: specPath, Key: "data.label", Err: fmt.Errorf("label column %q of %s, %s (%d rows): %w",
				d.LabelColumn, d.Path, p.name, len(truth), err)}
		}
	}
	return nil
}
