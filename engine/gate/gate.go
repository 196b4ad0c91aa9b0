package gate

import (
	"errors"
	"fmt"
	"math"
)

// DefaultAlpha is the significance level of beats_baseline.
const DefaultAlpha = 0.05

// SumTolerance is how far a multiclass row's probabilities may sum from 1.
const SumTolerance = 1e-6

// Spec is a task's gates, as the host writes them under `gates:`. A nil
// pointer or false means the gate is not used.
type Spec struct {
	MinScore              *float64      `yaml:"min_score,omitempty" json:"min_score,omitempty"`
	BeatsBaseline         *BaselineSpec `yaml:"beats_baseline,omitempty" json:"beats_baseline,omitempty"`
	MaxLatencyMsPer1kRows *float64      `yaml:"max_latency_ms_per_1k_rows,omitempty" json:"max_latency_ms_per_1k_rows,omitempty"`
	MaxMemoryMB           *float64      `yaml:"max_memory_mb,omitempty" json:"max_memory_mb,omitempty"`
	Deterministic         bool          `yaml:"deterministic,omitempty" json:"deterministic,omitempty"`
	ValidOutputs          bool          `yaml:"valid_outputs,omitempty" json:"valid_outputs,omitempty"`
	MaxModuleMB           *float64      `yaml:"max_module_mb,omitempty" json:"max_module_mb,omitempty"`
}

// BaselineSpec configures beats_baseline.
type BaselineSpec struct {
	// Alpha is the significance level; 0 means DefaultAlpha.
	Alpha float64 `yaml:"alpha,omitempty" json:"alpha,omitempty"`
}

// Float returns a pointer to v, for building a Spec in code.
func Float(v float64) *float64 { return &v }

// Empty reports whether no gate is configured.
func (s Spec) Empty() bool { return s == Spec{} }

// Validate reports a threshold that can never make sense, naming the gate.
func (s Spec) Validate() error {
	nonNeg := func(name string, v *float64) error {
		if v != nil && !(*v >= 0 && !math.IsInf(*v, 0)) {
			return fmt.Errorf("gates.%s: %v is not a finite number >= 0: %w", name, *v, ErrInvalidSpec)
		}
		return nil
	}
	if s.MinScore != nil && (math.IsNaN(*s.MinScore) || math.IsInf(*s.MinScore, 0)) {
		return fmt.Errorf("gates.min_score: %v is not a finite number: %w", *s.MinScore, ErrInvalidSpec)
	}
	if s.BeatsBaseline != nil {
		if a := s.BeatsBaseline.Alpha; !(a >= 0 && a < 1) {
			return fmt.Errorf("gates.beats_baseline.alpha: %v is not in (0, 1) (0 means the default 0.05): %w", a, ErrInvalidSpec)
		}
	}
	return errors.Join(
		nonNeg("max_latency_ms_per_1k_rows", s.MaxLatencyMsPer1kRows),
		nonNeg("max_memory_mb", s.MaxMemoryMB),
		nonNeg("max_module_mb", s.MaxModuleMB),
	)
}

// Measurements are what the engine measured of one submission.
type Measurements struct {
	// Score is the metric on the part the gate judges (private after
	// close, public during the contest).
	Score          float64
	HigherIsBetter bool
	// BaselineP is the one-sided p-value of the paired bootstrap comparison
	// with the baseline (metric.Compare); nil when there is no baseline.
	BaselineP *float64
	// Rows is how many rows the evaluation predicted; Elapsed in ms.
	Rows      int
	ElapsedMS float64
	// MemoryBytes is the guest's linear memory at the end of the run.
	MemoryBytes uint64
	// Deterministic is the outcome of the determinism re-run; nil if not run.
	Deterministic *bool
	// Outputs are the guest's outputs, column-major (Outputs[k][i]).
	Outputs [][]float64
	// Probabilities says outputs are probabilities (binary, multiclass).
	Probabilities bool
	// ModuleBytes is the submitted module's size.
	ModuleBytes int
}

// Result is one gate's verdict, with the value measured and the threshold
// it was held to, so that a credential can show both.
type Result struct {
	Name      string  `json:"name"`
	Passed    bool    `json:"passed"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Detail    string  `json:"detail,omitempty"`
	// Hidden is set, Value and Passed are zero, on a reader's copy
	// of a result the rules hide from them (the engine's Ladder).
	Hidden bool `json:"hidden,omitempty"`
}

// Passed reports whether every result passed (true for none).
func Passed(results []Result) bool {
	for _, r := range results {
		if !r.Passed {
			return false
		}
	}
	return true
}

// Evaluate runs every configured gate, in the order of the table in the
// package doc.
func Evaluate(s Spec, m Measurements) []Result {
	var out []Result
	if s.MinScore != nil {
		r := Result{Name: "min_score", Value: m.Score, Threshold: *s.MinScore}
		if m.HigherIsBetter {
			r.Passed = m.Score >= *s.MinScore
		} else {
			r.Passed = m.Score <= *s.MinScore
		}
		out = append(out, r)
	}
	if s.BeatsBaseline != nil {
		alpha := s.BeatsBaseline.Alpha
		if alpha == 0 {
			alpha = DefaultAlpha
		}
		r := Result{Name: "beats_baseline", Threshold: alpha, Value: 1}
		if m.BaselineP == nil {
			r.Detail = noBaseline
		} else {
			r.Value = *m.BaselineP
			r.Passed = *m.BaselineP < alpha
			r.Detail = "one-sided paired bootstrap p-value"
		}
		out = append(out, r)
	}
	if s.MaxLatencyMsPer1kRows != nil {
		r := Result{Name: "max_latency_ms_per_1k_rows", Threshold: *s.MaxLatencyMsPer1kRows}
		if m.Rows > 0 {
			r.Value = m.ElapsedMS * 1000 / float64(m.Rows)
			r.Passed = r.Value <= r.Threshold
		} else {
			r.Detail = noRows
		}
		out = append(out, r)
	}
	if s.MaxMemoryMB != nil {
		v := float64(m.MemoryBytes) / (1 << 20)
		out = append(out, Result{Name: "max_memory_mb", Value: v, Threshold: *s.MaxMemoryMB, Passed: v <= *s.MaxMemoryMB})
	}
	if s.Deterministic {
		r := Result{Name: "deterministic", Threshold: 1}
		switch {
		case m.Deterministic == nil:
			r.Detail = "the determinism check was not run"
		case *m.Deterministic:
			r.Value, r.Passed = 1, true
		default:
			r.Detail = "outputs changed with row order or batch size"
		}
		out = append(out, r)
	}
	if s.ValidOutputs {
		bad, why := invalidOutputs(m.Outputs, m.Probabilities)
		r := Result{Name: "valid_outputs", Value: float64(bad), Threshold: 0, Passed: bad == 0, Detail: why}
		out = append(out, r)
	}
	if s.MaxModuleMB != nil {
		v := float64(m.ModuleBytes) / (1 << 20)
		out = append(out, Result{Name: "max_module_mb", Value: v, Threshold: *s.MaxModuleMB, Passed: v <= *s.MaxModuleMB})
	}
	return out
}

// invalidOutputs counts rows with an invalid output and describes the first.
func invalidOutputs(outs [][]float64, probs bool) (int, string) {
	if len(outs) == 0 {
		return 0, ""
	}
	bad, first := 0, ""
	note := func(i int, format string, args ...any) {
		if bad == 0 {
			first = fmt.Sprintf("row %d: ", i+1) + fmt.Sprintf(format, args...)
		}
		bad++
	}
	for i := range outs[0] {
		sum, ok := 0.0, true
		for k := range outs {
			v := outs[k][i]
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0):
				note(i, "output %d is %v", k, v)
				ok = false
			case probs && (v < 0 || v > 1):
				note(i, "output %d = %v is not a probability in [0, 1]", k, v)
				ok = false
			}
			if !ok {
				break
			}
			sum += v
		}
		if ok && probs && len(outs) > 1 && math.Abs(sum-1) > SumTolerance {
			note(i, "probabilities sum to %v, not 1 ± %g", sum, SumTolerance)
		}
	}
	return bad, first
}
