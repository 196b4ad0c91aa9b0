package metric

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrUnknownMetric is returned by Lookup for a name that is not in the
	// registry, and by Score on a zero Metric.
	ErrUnknownMetric = errors.New("metric: unknown metric")

	// ErrInvalidInput reports an Input that breaks the contract documented
	// on Input: mismatched lengths, NaN, a probability outside [0, 1], a
	// class index out of range, and so on. The model, or the caller's wiring,
	// is at fault.
	ErrInvalidInput = errors.New("metric: invalid input")

	// ErrUnsupportedTask reports a task type the metric does not score.
	ErrUnsupportedTask = errors.New("metric: unsupported task type")

	// ErrUndefined reports valid input on which the metric has no value,
	// such as roc_auc when the truth holds a single class or pearson on a
	// constant column. The data, not the model, is at fault.
	ErrUndefined = errors.New("metric: undefined")
)

// InputError describes why a metric refused an Input. It wraps one of
// ErrInvalidInput, ErrUnsupportedTask or ErrUndefined.
type InputError struct {
	Metric  string // metric name, e.g. "roc_auc" or "ndcg@10"
	Row     int    // 1-based row, 0 when the problem is not one row's
	Column  int    // 1-based prediction column, 0 when not about one column
	Problem string // what is wrong, e.g. "prediction 1.5 is outside [0, 1]"
	Err     error  // sentinel
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Metric)
	if e.Row > 0 {
		b.WriteString(": row ")
		b.WriteString(strconv.Itoa(e.Row))
		if e.Column > 0 {
			b.WriteString(" column ")
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// invalid returns an ErrInvalidInput about 0-based row i (-1: no row).
// Score fills in the metric name.
func invalid(i int, format string, args ...any) error {
	return &InputError{Row: i + 1, Problem: fmt.Sprintf(format, args...), Err: ErrInvalidInput}
}

// invalidCell is invalid for 0-based row i and prediction column k.
func invalidCell(i, k int, format string, args ...any) error {
	return &InputError{Row: i + 1, Column: k + 1, Problem: fmt.Sprintf(format, args...), Err: ErrInvalidInput}
}

// undefined returns an ErrUndefined not tied to one row.
func undefined(format string, args ...any) error {
	return &InputError{Problem: fmt.Sprintf(format, args...), Err: ErrUndefined}
}

var (
	// ErrInvalidConfig reports a BootstrapConfig that fails Validate.
	ErrInvalidConfig = errors.New("metric: invalid bootstrap config")

	// ErrUnpaired reports two inputs given to Compare that are not the
	// same rows: a different task type, row count, prediction column
	// count, truth, weights, query groups or cutoff.
	ErrUnpaired = errors.New("metric: inputs are not paired")
)
