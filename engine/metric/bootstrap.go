package metric

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Bootstrap defaults and limits.
const (
	// DefaultResamples is the number of bootstrap resamples when
	// BootstrapConfig.Resamples is 0.
	DefaultResamples = 1000

	// DefaultLevel is the confidence level when BootstrapConfig.Level is 0.
	DefaultLevel = 0.95

	// MaxResamples bounds BootstrapConfig.Resamples.
	MaxResamples = 1_000_000

	// MaxUndefinedFraction is the largest fraction of resamples on which
	// the metric may be undefined (e.g. roc_auc drawing a single class);
	// those resamples are left out, and beyond it Bootstrap and Compare
	// fail with ErrUndefined.
	MaxUndefinedFraction = 0.1
)

// BootstrapConfig configures Bootstrap and Compare. The zero value is the
// default: 1000 resamples, a 95 % interval, seed 0, one worker per
// GOMAXPROCS.
type BootstrapConfig struct {
	// Resamples is the number of bootstrap resamples; 0 means
	// DefaultResamples. At most MaxResamples.
	Resamples int `json:"resamples,omitempty" yaml:"resamples,omitempty"`

	// Level is the confidence level of the two-sided interval, in (0, 1);
	// 0 means DefaultLevel.
	Level float64 `json:"level,omitempty" yaml:"level,omitempty"`

	// Seed fixes the resamples: the same inputs, seed, Resamples and Level
	// give a bit-identical result. 0 is a valid seed. The engine derives it
	// from the submission's module hash and the task.
	Seed uint64 `json:"seed,omitempty" yaml:"seed,omitempty"`

	// Workers is the number of goroutines scoring resamples; 0 means
	// runtime.GOMAXPROCS(0). It changes the speed, never the result.
	Workers int `json:"workers,omitempty" yaml:"workers,omitempty"`

	// Method chooses how Bootstrap computes the interval: "" (the
	// default) resamples below AnalyticMinUnits units and uses the
	// metric's analytical interval from there on, where it has one;
	// MethodBootstrap always resamples; MethodAnalytic uses the
	// analytical interval whatever the size. A metric without an
	// analytical interval for the input always resamples. Compare always
	// resamples.
	Method string `json:"method,omitempty" yaml:"method,omitempty"`
}

// Validate reports a field out of range, wrapping ErrInvalidConfig.
func (c BootstrapConfig) Validate() error {
	if c.Resamples < 0 || c.Resamples > MaxResamples {
		return fmt.Errorf("%w: resamples %d is not in [0, %d]", ErrInvalidConfig, c.Resamples, MaxResamples)
	}
	if c.Level != 0 && !(c.Level > 0 && c.Level < 1) {
		return fmt.Errorf("%w: level %v is not in (0, 1)", ErrInvalidConfig, c.Level)
	}
	if c.Workers < 0 {
		return fmt.Errorf("%w: workers %d is negative", ErrInvalidConfig, c.Workers)
	}
	switch c.Method {
	case "", MethodBootstrap, MethodAnalytic:
	default:
		return fmt.Errorf("%w: method %q is not one of %q, %q or empty (automatic)", ErrInvalidConfig, c.Method, MethodBootstrap, MethodAnalytic)
	}
	return nil
}

// withDefaults validates c and fills in its zero fields.
func (c BootstrapConfig) withDefaults() (BootstrapConfig, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.Resamples == 0 {
		c.Resamples = DefaultResamples
	}
	if c.Level == 0 {
		c.Level = DefaultLevel
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

// Interval is a confidence interval of a score: a percentile bootstrap
// interval, or at scale an analytical one (see Method).
type Interval struct {
	Low, High float64 // bootstrap: the (1-Level)/2 and (1+Level)/2 quantiles of the resampled values
	Level     float64 // confidence level, e.g. 0.95
	Resamples int     // resamples the interval rests on: those where the metric was defined; 0 when analytical
	Method    string  // MethodBootstrap, MethodNormal, MethodWilson or MethodDeLong
}

// Comparison is the paired bootstrap comparison of submission a with
// submission b on the same rows.
type Comparison struct {
	// Diff is the improvement of a over b on all rows: score(a) - score(b)
	// for a higher-is-better metric, score(b) - score(a) otherwise, so a
	// positive Diff always means a is better.
	Diff float64

	// Interval is the percentile interval of the improvement over the
	// paired resamples.
	Interval Interval

	// P is the one-sided bootstrap p-value of H0 "a is not better than b":
	// (1 + resamples with improvement <= 0) / (1 + Interval.Resamples).
	// It is 1 when a and b are identical and at least 1/(1+resamples).
	P float64
}

// Bootstrap returns the percentile bootstrap confidence interval of the
// metric on in. Each resample draws as many units as in has, with
// replacement: rows, or for ranking whole queries. Resamples on which the
// metric is undefined are left out; more than MaxUndefinedFraction of them
// is an error wrapping ErrUndefined. Errors from scoring in itself are
// Score's.
func (m Metric) Bootstrap(in Input, c BootstrapConfig) (Interval, error) {
	c, err := c.withDefaults()
	if err != nil {
		return Interval{}, err
	}
	if _, err := m.Score(in); err != nil {
		return Interval{}, err
	}
	in, units, err := m.resampling(in)
	if err != nil {
		return Interval{}, err
	}
	p := m.plan(in, units)
	if a, ok := p.(analytic); ok && c.Method != MethodBootstrap {
		n := len(in.Truth)
		if units != nil {
			n = len(units)
		}
		if c.Method == MethodAnalytic || n >= AnalyticMinUnits {
			if iv, ok := a.analyticInterval(c.Level); ok {
				return iv, nil
			}
		}
	}
	vals, err := m.run(c, in, units, []plan{p}, func(v []float64) float64 { return v[0] })
	if err != nil {
		return Interval{}, err
	}
	return interval(vals, c.Level), nil
}

// Compare is the paired bootstrap comparison of predictions a and b on the
// same rows: they must share task type, prediction column count, truth,
// weights, query groups and cutoff (an error wrapping ErrUnpaired
// otherwise). Both are scored on the
// same resamples, those of Bootstrap with the same config, and a resample
// on which either is undefined is left out.
func (m Metric) Compare(a, b Input, c BootstrapConfig) (Comparison, error) {
	c, err := c.withDefaults()
	if err != nil {
		return Comparison{}, err
	}
	sa, err := m.Score(a)
	if err != nil {
		return Comparison{}, fmt.Errorf("score a: %w", err)
	}
	sb, err := m.Score(b)
	if err != nil {
		return Comparison{}, fmt.Errorf("score b: %w", err)
	}
	if err := m.paired(a, b); err != nil {
		return Comparison{}, err
	}
	sign := 1.0
	if !m.HigherIsBetter {
		sign = -1
	}
	a, units, err := m.resampling(a)
	if err != nil {
		return Comparison{}, err
	}
	b, _, _ = m.resampling(b)
	plans := []plan{m.plan(a, units), m.plan(b, units)}
	vals, err := m.run(c, a, units, plans, func(v []float64) float64 { return sign*(v[0]-v[1]) + 0 }) // + 0: no -0
	if err != nil {
		return Comparison{}, err
	}
	notBetter := 0
	for _, d := range vals {
		if d <= 0 {
			notBetter++
		}
	}
	return Comparison{
		Diff:     sign*(sa-sb) + 0,
		Interval: interval(vals, c.Level),
		P:        float64(1+notBetter) / float64(1+len(vals)),
	}, nil
}

// paired checks that a and b are predictions for the same rows.
func (m Metric) paired(a, b Input) error {
	bad := func(row int, format string, args ...any) error {
		return &InputError{Metric: m.Name, Row: row + 1, Problem: fmt.Sprintf(format, args...), Err: ErrUnpaired}
	}
	switch {
	case a.Type != b.Type:
		return bad(-1, "task type %q differs from %q", a.Type, b.Type)
	case len(a.Truth) != len(b.Truth):
		return bad(-1, "a has %d rows, b has %d", len(a.Truth), len(b.Truth))
	case len(a.Pred) != len(b.Pred):
		return bad(-1, "a has %d prediction columns, b has %d", len(a.Pred), len(b.Pred))
	case a.K != b.K:
		return bad(-1, "cutoff K %d differs from %d", a.K, b.K)
	case (a.Weight == nil) != (b.Weight == nil):
		return bad(-1, "only one input has weights")
	case (a.Group == nil) != (b.Group == nil):
		return bad(-1, "only one input has query groups")
	}
	for i := range a.Truth {
		if a.Truth[i] != b.Truth[i] {
			return bad(i, "truth %v in a differs from %v in b", a.Truth[i], b.Truth[i])
		}
		if a.Weight != nil && a.Weight[i] != b.Weight[i] {
			return bad(i, "weight %v in a differs from %v in b", a.Weight[i], b.Weight[i])
		}
		if a.Group != nil && a.Group[i] != b.Group[i] {
			return bad(i, "query %q in a differs from %q in b", a.Group[i], b.Group[i])
		}
	}
	return nil
}

// resampling resolves in's cutoff and returns its resampling units: nil
// (every row a unit), or the rows of each query for ranking. It fails
// when there are fewer than 2 units, on which every resample is the same.
func (m Metric) resampling(in Input) (Input, [][]int, error) {
	if in.K == 0 {
		in.K = m.K
	}
	var units [][]int
	n, what := len(in.Truth), "rows"
	if in.Type == Ranking {
		units = groupRows(in.Group, len(in.Truth))
		n, what = len(units), "queries"
	}
	if n < 2 {
		return in, nil, &InputError{Metric: m.Name, Problem: fmt.Sprintf("bootstrap needs at least 2 %s, got %d", what, n), Err: ErrUndefined}
	}
	return in, units, nil
}

// plan returns the metric's fast plan for in, or the materialised one.
func (m Metric) plan(in Input, units [][]int) plan {
	if m.fast != nil {
		if p := m.fast(in, units); p != nil {
			return p
		}
	}
	return newMaterialised(m, in, units)
}

// run scores every resample of c with each plan and combines the plans'
// values with f. It returns the combined values of the resamples where
// every plan was defined, in resample order.
func (m Metric) run(c BootstrapConfig, in Input, units [][]int, plans []plan, f func([]float64) float64) ([]float64, error) {
	n := len(in.Truth)
	if units != nil {
		n = len(units)
	}
	unitWeight := unitWeights(in, units)

	vals := make([]float64, c.Resamples)
	ok := make([]bool, c.Resamples)
	var (
		next     atomic.Int64
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(c.Workers, c.Resamples) {
		wg.Go(func() {
			cnt := make([]uint32, n)
			evals := make([]func([]uint32) (float64, error), len(plans))
			for j, p := range plans {
				evals[j] = p.evaluator()
			}
			v := make([]float64, len(plans))
			for !failed.Load() {
				r := int(next.Add(1) - 1)
				if r >= c.Resamples {
					return
				}
				drawCounts(cnt, c.Seed, r)
				if !weighable(cnt, unitWeight) {
					continue
				}
				defined := true
				for j, eval := range evals {
					x, err := eval(cnt)
					if err != nil {
						if errors.Is(err, ErrUndefined) {
							defined = false
							break
						}
						errOnce.Do(func() { firstErr = fmt.Errorf("bootstrap resample %d: %w", r, err) })
						failed.Store(true)
						return
					}
					v[j] = x
				}
				if defined {
					vals[r], ok[r] = f(v), true
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	out := vals[:0]
	for r, v := range vals {
		if ok[r] {
			out = append(out, v)
		}
	}
	if undefined := c.Resamples - len(out); len(out) == 0 || float64(undefined) > MaxUndefinedFraction*float64(c.Resamples) {
		return nil, &InputError{
			Metric:  m.Name,
			Problem: fmt.Sprintf("undefined on %d of %d bootstrap resamples (at most %v%% may be)", undefined, c.Resamples, 100*MaxUndefinedFraction),
			Err:     ErrUndefined,
		}
	}
	return out, nil
}

// unitWeights returns the total weight of each unit, or nil when in is
// unweighted.
func unitWeights(in Input, units [][]int) []float64 {
	if in.Weight == nil || units == nil {
		return in.Weight
	}
	w := make([]float64, len(units))
	for u, rows := range units {
		for _, i := range rows {
			w[u] += in.Weight[i]
		}
	}
	return w
}

// weighable reports whether the resample with counts cnt has a finite
// positive weight. One drawing only zero-weight rows has no metric: Score
// would refuse its weights.
func weighable(cnt []uint32, unitWeight []float64) bool {
	if unitWeight == nil {
		return true
	}
	var w float64
	for u, k := range cnt {
		w += float64(k) * unitWeight[u]
	}
	return w > 0 && !math.IsInf(w, 0)
}

// interval is the percentile interval at level of the values.
func interval(vals []float64, level float64) Interval {
	s := slices.Clone(vals)
	slices.Sort(s)
	return Interval{
		Low:       quantile(s, (1-level)/2),
		High:      quantile(s, (1+level)/2),
		Level:     level,
		Resamples: len(s),
		Method:    MethodBootstrap,
	}
}

// quantile is numpy.quantile(sorted, q) with numpy's default method
// "linear" (Hyndman and Fan's type 7), computed with numpy's arithmetic so
// the result is bit-identical to numpy's on the same values.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	// numpy's virtual index. The conversions below round each product,
	// as numpy does, where Go could fuse a multiply-add.
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int(lo)
	switch {
	case i < 0:
		return sorted[0]
	case i >= n-1:
		return sorted[n-1]
	}
	t := h - lo
	a, b := sorted[i], sorted[i+1]
	d := b - a
	if t >= 0.5 {
		return b - float64(d*(1-t))
	}
	return a + float64(d*t)
}
