package metric

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// TaskType is the kind of prediction a task asks for. The values match the
// task types used across verdict.
type TaskType string

// Task types.
const (
	Binary     TaskType = "binary"
	Multiclass TaskType = "multiclass"
	Regression TaskType = "regression"
	Ranking    TaskType = "ranking"
)

// ProbSumTolerance is how far a multiclass row's probabilities may sum away
// from 1. It is scikit-learn's np.allclose tolerance for roc_auc_ovr and
// leaves room for float32 softmax outputs.
const ProbSumTolerance = 1e-5

// Input is one set of predictions with its ground truth. Every slice is
// indexed by row and all have the same length.
type Input struct {
	Type TaskType

	// Truth is the ground truth per row: 0 or 1 for binary, the class
	// index 0..C-1 for multiclass, the target for regression and the graded
	// relevance (>= 0) for ranking.
	Truth []float64

	// Pred is column-major: Pred[k][i] is output k of row i, as the guest
	// ABI writes it. Binary has one column, P(class 1); multiclass has C
	// columns, one probability per class in class order, each row summing
	// to 1 within ProbSumTolerance; regression and ranking have one column.
	Pred [][]float64

	// Weight holds optional per-row sample weights, finite and >= 0 with a
	// positive sum; nil means every row weighs 1. Metrics that
	// scikit-learn cannot weight (pearson, spearman, ndcg) refuse weights.
	Weight []float64

	// Group is the query id of each row, for ranking only; nil means all
	// rows form one query. Rows of a query need not be contiguous.
	Group []string

	// K is the ranking cutoff (ndcg@K); 0 means Metric.K, and if that is
	// also 0, every row of the query.
	K int
}

// Rows returns the number of rows in the input.
func (in Input) Rows() int { return len(in.Truth) }

// Metric is a named scoring function. Get one from Lookup or All; the zero
// Metric scores nothing.
type Metric struct {
	Name           string     // registry name, or "ndcg@10" when Lookup was given a cutoff
	Types          []TaskType // task types the metric scores
	HigherIsBetter bool       // whether a larger score is a better model
	Doc            string     // one-line definition
	K              int        // default ranking cutoff, set by Lookup("ndcg@K"); 0 = all rows

	fn       func(Input) (float64, error)
	fast     planner // bootstrap fast path; nil: score materialised resamples
	weighted bool    // accepts Input.Weight
	cutoff   bool    // accepts "@K" in its name
	// nonNegative: predictions must be >= 0 (CheckPredictions).
	nonNegative bool
}

// Supports reports whether m scores tasks of type t.
func (m Metric) Supports(t TaskType) bool { return slices.Contains(m.Types, t) }

// Score validates in against the contract documented on Input and the
// metric's own requirements, then computes the metric. Errors wrap
// ErrInvalidInput, ErrUnsupportedTask or ErrUndefined in an *InputError
// naming the metric and, where there is one, the 1-based row. Score never
// returns NaN or an infinity: a result that overflows is Worst, not an
// error.
func (m Metric) Score(in Input) (float64, error) {
	if m.fn == nil {
		return 0, fmt.Errorf("score zero Metric: %w", ErrUnknownMetric)
	}
	v, err := m.score(in)
	if err != nil {
		if ie, ok := err.(*InputError); ok {
			ie.Metric = m.Name
		}
		return 0, err
	}
	if !isFinite(v) {
		// Only reachable through overflow, e.g. squaring a prediction of
		// 1e300, or dividing it by a tiny truth (mape). The score is then
		// the worst finite value, as an error would make its presence
		// depend on the truth: see Worst.
		v = m.Worst()
	}
	return v, nil
}

// Worst is the value Score gives a result too large to represent (an
// overflow): -math.MaxFloat64 for a metric where higher is better,
// math.MaxFloat64 otherwise. It ranks below every representable score, and
// is finite so that it can be stored, ranked and written as JSON.
func (m Metric) Worst() float64 {
	if m.HigherIsBetter {
		return -math.MaxFloat64
	}
	return math.MaxFloat64
}

// CheckPredictions validates a guest's outputs alone, before any truth
// is involved: everything Score would refuse about the predictions of a
// tt task (a probability outside [0, 1], a multiclass row not summing to 1
// within ProbSumTolerance, NaN or an infinity, a negative value for
// rmsle), on every row. It lets a caller refuse bad outputs by their own
// row position, the same whichever rows it later scores together: once
// CheckPredictions passed, Score fails on a subset of the rows only for a
// reason that depends on the truth (or the subset's size). Errors are
// *InputErrors wrapping ErrInvalidInput, with the 1-based row (and column)
// in pred.
func (m Metric) CheckPredictions(tt TaskType, pred [][]float64) error {
	if m.fn == nil {
		return fmt.Errorf("check predictions of zero Metric: %w", ErrUnknownMetric)
	}
	err := checkPred(tt, pred)
	if err == nil && m.nonNegative {
		for i, p := range pred[0] {
			if p < 0 {
				err = invalid(i, "prediction %v is negative; %s needs values >= 0", p, m.Name)
				break
			}
		}
	}
	if ie, ok := err.(*InputError); ok {
		ie.Metric = m.Name
	}
	return err
}

func (m Metric) score(in Input) (float64, error) {
	if !m.Supports(in.Type) {
		return 0, &InputError{
			Problem: fmt.Sprintf("task type %q not supported (supports %s)", in.Type, joinTypes(m.Types)),
			Err:     ErrUnsupportedTask,
		}
	}
	if in.Weight != nil && !m.weighted {
		return 0, invalid(-1, "sample weights are not supported by this metric")
	}
	if in.K < 0 {
		return 0, invalid(-1, "cutoff K = %d is negative", in.K)
	}
	if in.K == 0 {
		in.K = m.K
	}
	if err := validate(in); err != nil {
		return 0, err
	}
	return m.fn(in)
}

func joinTypes(ts []TaskType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

var byName = func() map[string]Metric {
	m := make(map[string]Metric, len(registry))
	for _, r := range registry {
		if _, dup := m[r.Name]; dup || r.fn == nil || len(r.Types) == 0 || r.Doc == "" {
			panic("metric: bad registry row " + r.Name)
		}
		m[r.Name] = r
	}
	return m
}()

// Lookup returns the metric with the given name. A metric that takes a
// ranking cutoff also accepts "name@K" with K a positive integer, e.g.
// "ndcg@10": the returned Metric has that Name and K. An unknown name
// returns an error wrapping ErrUnknownMetric that lists the known names.
func Lookup(name string) (Metric, error) {
	base, cut, hasCut := strings.Cut(name, "@")
	m, ok := byName[base]
	if !ok {
		return Metric{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownMetric, name, strings.Join(Names(), ", "))
	}
	m.Types = slices.Clone(m.Types)
	if !hasCut {
		return m, nil
	}
	if !m.cutoff {
		return Metric{}, fmt.Errorf("%w %q: %s takes no @K cutoff", ErrUnknownMetric, name, base)
	}
	k, err := strconv.Atoi(cut)
	if err != nil || k <= 0 || cut != strconv.Itoa(k) {
		return Metric{}, fmt.Errorf("%w %q: cutoff %q is not a positive integer", ErrUnknownMetric, name, cut)
	}
	m.Name, m.K = name, k
	return m, nil
}

// All returns every registered metric, sorted by name.
func All() []Metric {
	out := make([]Metric, 0, len(registry))
	for _, m := range registry {
		m.Types = slices.Clone(m.Types)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Metric) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names returns the registered metric names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for _, m := range registry {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// validate checks the shape and values of in against the contract on Input.
func validate(in Input) error {
	n := len(in.Truth)
	if n == 0 {
		return invalid(-1, "no rows")
	}
	want := 1
	if in.Type == Multiclass {
		if len(in.Pred) < 2 {
			return invalid(-1, "multiclass needs at least 2 prediction columns, got %d", len(in.Pred))
		}
		want = len(in.Pred)
	}
	if len(in.Pred) != want {
		return invalid(-1, "%s needs %d prediction column, got %d", in.Type, want, len(in.Pred))
	}
	for k, col := range in.Pred {
		if len(col) != n {
			return invalid(-1, "prediction column %d has %d rows, truth has %d", k+1, len(col), n)
		}
	}
	if in.Weight != nil {
		if len(in.Weight) != n {
			return invalid(-1, "weight has %d rows, truth has %d", len(in.Weight), n)
		}
		var sum float64
		for i, w := range in.Weight {
			if !(w >= 0) || math.IsInf(w, 0) {
				return invalid(i, "weight %v is not finite and >= 0", w)
			}
			sum += w
		}
		if !(sum > 0) || math.IsInf(sum, 0) {
			return invalid(-1, "weights sum to %v, want a finite positive sum", sum)
		}
	}
	if in.Group != nil {
		if in.Type != Ranking {
			return invalid(-1, "group is only for ranking, task type is %s", in.Type)
		}
		if len(in.Group) != n {
			return invalid(-1, "group has %d rows, truth has %d", len(in.Group), n)
		}
	}
	if err := checkPred(in.Type, in.Pred); err != nil {
		return err
	}
	switch in.Type {
	case Binary:
		for i, y := range in.Truth {
			if y != 0 && y != 1 {
				return invalid(i, "binary truth %v is not 0 or 1", y)
			}
		}
	case Multiclass:
		c := len(in.Pred)
		for i, y := range in.Truth {
			if !(y >= 0 && y < float64(c)) || y != math.Trunc(y) {
				return invalid(i, "class index %v is not an integer in [0, %d]", y, c-1)
			}
		}
	case Regression, Ranking:
		for i, y := range in.Truth {
			if !isFinite(y) {
				return invalid(i, "truth %v is not finite", y)
			}
		}
	}
	return nil
}

// checkPred checks the values of the predictions of a tt task against
// the contract on Input, row by row; the shape was checked by the caller
// (validate) or is checked here (CheckPredictions).
func checkPred(tt TaskType, pred [][]float64) error {
	want := 1
	switch tt {
	case Binary, Regression, Ranking:
	case Multiclass:
		if len(pred) < 2 {
			return invalid(-1, "multiclass needs at least 2 prediction columns, got %d", len(pred))
		}
		want = len(pred)
	default:
		return invalid(-1, "unknown task type %q", tt)
	}
	if len(pred) != want {
		return invalid(-1, "%s needs %d prediction column, got %d", tt, want, len(pred))
	}
	for k, col := range pred {
		if len(col) != len(pred[0]) {
			return invalid(-1, "prediction column %d has %d rows, column 1 has %d", k+1, len(col), len(pred[0]))
		}
	}
	switch tt {
	case Binary:
		for i, p := range pred[0] {
			if !(p >= 0 && p <= 1) {
				return invalid(i, "prediction %v is not a probability in [0, 1]", p)
			}
		}
	case Multiclass:
		for i := range pred[0] {
			var sum float64
			for k, col := range pred {
				if !(col[i] >= 0 && col[i] <= 1) {
					return invalidCell(i, k, "prediction %v is not a probability in [0, 1]", col[i])
				}
				sum += col[i]
			}
			if math.Abs(sum-1) > ProbSumTolerance {
				return invalid(i, "probabilities sum to %v, want 1", sum)
			}
		}
	case Regression, Ranking:
		for i, p := range pred[0] {
			if !isFinite(p) {
				return invalid(i, "prediction %v is not finite", p)
			}
		}
	}
	return nil
}

// isFinite reports whether f is neither NaN nor an infinity: its exponent
// bits are not all ones.
func isFinite(f float64) bool {
	const exp = 0x7ff << 52
	return math.Float64bits(f)&exp != exp
}
