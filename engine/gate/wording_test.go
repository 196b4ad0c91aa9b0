package gate

import "testing"

func TestDescribe(t *testing.T) {
	tests := []struct {
		name   string
		r      Result
		higher bool
		want   string
	}{
		{"MinScoreHigher", Result{Name: "min_score", Value: 0.912, Threshold: 0.9, Passed: true}, true, "score 0.912, needs ≥ 0.9"},
		{"MinScoreLower", Result{Name: "min_score", Value: 2.3, Threshold: 1}, false, "score 2.3, needs ≤ 1"},
		{"BeatsBaseline", Result{Name: "beats_baseline", Value: 0.3127, Threshold: 0.05, Detail: "one-sided paired bootstrap p-value"}, true,
			"p-value 0.3127, needs p-value < 0.05 (one-sided paired bootstrap against the baseline)"},
		{"NoBaseline", Result{Name: "beats_baseline", Value: 1, Threshold: 0.05, Detail: noBaseline}, true,
			"no baseline submission to compare with; needs p-value < 0.05"},
		{"Latency", Result{Name: "max_latency_ms_per_1k_rows", Value: 12.5, Threshold: 50, Passed: true}, true, "12.5 ms per 1,000 rows, limit 50 ms"},
		{"Memory", Result{Name: "max_memory_mb", Value: 17, Threshold: 16}, true, "17 MB of guest memory, limit 16 MB"},
		{"Module", Result{Name: "max_module_mb", Value: 0.25, Threshold: 1, Passed: true}, true, "a module of 0.25 MB, limit 1 MB"},
		{"DeterministicPass", Result{Name: "deterministic", Value: 1, Threshold: 1, Passed: true}, true, "the same outputs for shuffled rows and another batch size"},
		{"DeterministicFail", Result{Name: "deterministic", Threshold: 1, Detail: "outputs changed with row order or batch size"}, true, "outputs changed with row order or batch size"},
		{"ValidOutputs", Result{Name: "valid_outputs", Passed: true}, true, "every output valid"},
		{"InvalidOutputs", Result{Name: "valid_outputs", Value: 2, Detail: "row 3: output 0 is NaN"}, true, "2 rows with an invalid output, needs none (first: row 3: output 0 is NaN)"},
		{"Hidden", Result{Name: "min_score", Threshold: 0.9, Hidden: true}, true, "hidden until the task closes (needs ≥ 0.9)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe(tc.r, tc.higher); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDescribeEvaluate: every gate Evaluate can produce is described in
// words, never as a bare "value …, threshold …".
func TestDescribeEvaluate(t *testing.T) {
	p, det := 0.2, false
	spec := Spec{MinScore: Float(1), BeatsBaseline: &BaselineSpec{}, MaxLatencyMsPer1kRows: Float(1), MaxMemoryMB: Float(1),
		Deterministic: true, ValidOutputs: true, MaxModuleMB: Float(1)}
	for _, m := range []Measurements{{}, {BaselineP: &p, Rows: 10, ElapsedMS: 3, Deterministic: &det, Outputs: [][]float64{{0.5}}}} {
		for _, r := range Evaluate(spec, m) {
			if got := Describe(r, true); got == "" || len(got) > 7 && got[:6] == "value " {
				t.Errorf("%s: got %q, want words", r.Name, got)
			}
		}
	}
}
