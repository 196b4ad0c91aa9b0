package gate

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestEvaluate(t *testing.T) {
	good := [][]float64{{0.1, 0.9, 0.5}}
	tests := []struct {
		name   string
		spec   Spec
		m      Measurements
		want   []Result // Detail compared by prefix when set
		passed bool
	}{
		{"None", Spec{}, Measurements{}, nil, true},
		{"MinScoreHigherPass", Spec{MinScore: Float(0.9)}, Measurements{Score: 0.9, HigherIsBetter: true},
			[]Result{{Name: "min_score", Passed: true, Value: 0.9, Threshold: 0.9}}, true},
		{"MinScoreHigherFail", Spec{MinScore: Float(0.9)}, Measurements{Score: 0.89, HigherIsBetter: true},
			[]Result{{Name: "min_score", Value: 0.89, Threshold: 0.9}}, false},
		{"MinScoreLowerIsBetter", Spec{MinScore: Float(10)}, Measurements{Score: 9.5},
			[]Result{{Name: "min_score", Passed: true, Value: 9.5, Threshold: 10}}, true},
		{"MinScoreLowerIsBetterFail", Spec{MinScore: Float(10)}, Measurements{Score: 10.5},
			[]Result{{Name: "min_score", Value: 10.5, Threshold: 10}}, false},
		{"BaselineSignificant", Spec{BeatsBaseline: &BaselineSpec{}}, Measurements{BaselineP: ptr(0.01)},
			[]Result{{Name: "beats_baseline", Passed: true, Value: 0.01, Threshold: 0.05, Detail: "one-sided"}}, true},
		{"BaselineNotSignificant", Spec{BeatsBaseline: &BaselineSpec{Alpha: 0.01}}, Measurements{BaselineP: ptr(0.03)},
			[]Result{{Name: "beats_baseline", Value: 0.03, Threshold: 0.01, Detail: "one-sided"}}, false},
		{"BaselineMissing", Spec{BeatsBaseline: &BaselineSpec{}}, Measurements{},
			[]Result{{Name: "beats_baseline", Value: 1, Threshold: 0.05, Detail: "no baseline"}}, false},
		{"Latency", Spec{MaxLatencyMsPer1kRows: Float(5)}, Measurements{Rows: 2000, ElapsedMS: 8},
			[]Result{{Name: "max_latency_ms_per_1k_rows", Passed: true, Value: 4, Threshold: 5}}, true},
		{"LatencyFail", Spec{MaxLatencyMsPer1kRows: Float(5)}, Measurements{Rows: 1000, ElapsedMS: 8},
			[]Result{{Name: "max_latency_ms_per_1k_rows", Value: 8, Threshold: 5}}, false},
		{"LatencyNoRows", Spec{MaxLatencyMsPer1kRows: Float(5)}, Measurements{},
			[]Result{{Name: "max_latency_ms_per_1k_rows", Threshold: 5, Detail: "no rows"}}, false},
		{"Memory", Spec{MaxMemoryMB: Float(2)}, Measurements{MemoryBytes: 2 << 20},
			[]Result{{Name: "max_memory_mb", Passed: true, Value: 2, Threshold: 2}}, true},
		{"MemoryFail", Spec{MaxMemoryMB: Float(2)}, Measurements{MemoryBytes: 3 << 20},
			[]Result{{Name: "max_memory_mb", Value: 3, Threshold: 2}}, false},
		{"Deterministic", Spec{Deterministic: true}, Measurements{Deterministic: ptr(true)},
			[]Result{{Name: "deterministic", Passed: true, Value: 1, Threshold: 1}}, true},
		{"NotDeterministic", Spec{Deterministic: true}, Measurements{Deterministic: ptr(false)},
			[]Result{{Name: "deterministic", Threshold: 1, Detail: "outputs changed"}}, false},
		{"DeterminismNotRun", Spec{Deterministic: true}, Measurements{},
			[]Result{{Name: "deterministic", Threshold: 1, Detail: "the determinism check was not run"}}, false},
		{"ValidOutputs", Spec{ValidOutputs: true}, Measurements{Outputs: good, Probabilities: true},
			[]Result{{Name: "valid_outputs", Passed: true}}, true},
		{"NaNOutput", Spec{ValidOutputs: true}, Measurements{Outputs: [][]float64{{0.1, math.NaN(), math.Inf(1)}}},
			[]Result{{Name: "valid_outputs", Value: 2, Detail: "row 2: output 0 is NaN"}}, false},
		{"ProbabilityAboveOne", Spec{ValidOutputs: true}, Measurements{Outputs: [][]float64{{0.1, 1.5}}, Probabilities: true},
			[]Result{{Name: "valid_outputs", Value: 1, Detail: "row 2: output 0 = 1.5"}}, false},
		{"RegressionAnyValue", Spec{ValidOutputs: true}, Measurements{Outputs: [][]float64{{-3, 150}}},
			[]Result{{Name: "valid_outputs", Passed: true}}, true},
		{"MulticlassSum", Spec{ValidOutputs: true}, Measurements{Outputs: [][]float64{{0.5, 0.5}, {0.5, 0.6}}, Probabilities: true},
			[]Result{{Name: "valid_outputs", Value: 1, Detail: "row 2: probabilities sum to 1.1"}}, false},
		{"MulticlassSumWithinTolerance", Spec{ValidOutputs: true}, Measurements{Outputs: [][]float64{{0.3}, {0.7 + 5e-7}}, Probabilities: true},
			[]Result{{Name: "valid_outputs", Passed: true}}, true},
		{"ModuleSize", Spec{MaxModuleMB: Float(1)}, Measurements{ModuleBytes: 3 << 19},
			[]Result{{Name: "max_module_mb", Value: 1.5, Threshold: 1}}, false},
		{"AllInOrder", Spec{MinScore: Float(0.5), MaxModuleMB: Float(1), ValidOutputs: true}, Measurements{Score: 0.6, HigherIsBetter: true, ModuleBytes: 1 << 10, Outputs: good, Probabilities: true},
			[]Result{{Name: "min_score", Passed: true, Value: 0.6, Threshold: 0.5}, {Name: "valid_outputs", Passed: true}, {Name: "max_module_mb", Passed: true, Value: 1.0 / 1024, Threshold: 1}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.spec, tc.m)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Name != w.Name || g.Passed != w.Passed || g.Value != w.Value || g.Threshold != w.Threshold || !strings.HasPrefix(g.Detail, w.Detail) {
					t.Errorf("result %d: got %+v, want %+v", i, g, w)
				}
			}
			if Passed(got) != tc.passed {
				t.Errorf("Passed: got %v, want %v", Passed(got), tc.passed)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		key  string
	}{
		{"MinScoreNaN", Spec{MinScore: Float(math.NaN())}, "gates.min_score"},
		{"AlphaOne", Spec{BeatsBaseline: &BaselineSpec{Alpha: 1}}, "gates.beats_baseline.alpha"},
		{"AlphaNegative", Spec{BeatsBaseline: &BaselineSpec{Alpha: -0.1}}, "gates.beats_baseline.alpha"},
		{"NegativeLatency", Spec{MaxLatencyMsPer1kRows: Float(-1)}, "gates.max_latency_ms_per_1k_rows"},
		{"InfiniteMemory", Spec{MaxMemoryMB: Float(math.Inf(1))}, "gates.max_memory_mb"},
		{"NegativeModule", Spec{MaxModuleMB: Float(-2)}, "gates.max_module_mb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("got %v, want ErrInvalidSpec naming %s", err, tc.key)
			}
		})
	}
	if err := (Spec{MinScore: Float(-3), BeatsBaseline: &BaselineSpec{}, Deterministic: true}).Validate(); err != nil {
		t.Errorf("valid spec: got %v", err)
	}
	if !(Spec{}).Empty() || (Spec{ValidOutputs: true}).Empty() {
		t.Error("Empty: wrong")
	}
}
