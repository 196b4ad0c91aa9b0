package onnxtest_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/internal/onnxtest"
)

// TestCorpusAgainstORT runs every corpus model in ONNX Runtime on its rows
// and checks the outputs against what the training library predicted
// (scikit-learn, XGBoost, PyTorch), within the model's tolerance: the
// corpus is what the training tools mean, and the reference runtime reads
// it so.
func TestCorpusAgainstORT(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: npm ci and node")
	}
	for _, m := range onnxtest.Corpus(t) {
		t.Run(m.Name, func(t *testing.T) {
			res := onnxtest.Run(t, m.Path, m.Rows)
			if res.InputType != m.DType {
				t.Errorf("input type: got %s, want %s", res.InputType, m.DType)
			}
			got := make(map[string][]float64)
			for name, o := range res.Outputs {
				got[name] = o.Data
				if len(o.Dims) == 0 || o.Dims[0] != len(m.Rows) {
					t.Errorf("output %s: dims %v, want %d rows first", name, o.Dims, len(m.Rows))
				}
				if name != "label" && o.Type != m.DType {
					t.Errorf("output %s: type %s, want %s", name, o.Type, m.DType)
				}
			}
			if len(got) != len(m.Outputs) {
				t.Errorf("got %d outputs, want %d", len(got), len(m.Outputs))
			}
			if err := onnxtest.Compare(got, m.Outputs, m.Tolerance); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestRunORTFlattens checks RunORT against Run on one model, and that a
// float32 model rounds its float64 rows.
func TestRunORTFlattens(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: npm ci and node")
	}
	model := filepath.Join(onnxtest.Dir(), "linreg_diabetes.onnx")
	rows := [][]float64{{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	got := onnxtest.RunORT(t, model, rows)
	if len(got) != 1 || len(got["variable"]) != 2 {
		t.Fatalf("got %v, want one output variable with 2 values", got)
	}
	res := onnxtest.Time(t, model, rows, 3)
	if res.Seconds <= 0 {
		t.Errorf("Time: seconds %v, want > 0", res.Seconds)
	}
	if v := res.Outputs["variable"]; v.Type != "float32" || len(v.Dims) != 2 || v.Dims[0] != 2 || v.Dims[1] != 1 {
		t.Errorf("variable: got %s %v, want float32 [2 1]", v.Type, v.Dims)
	}
	for i, v := range got["variable"] {
		if v != res.Outputs["variable"].Data[i] || v != float64(float32(v)) {
			t.Errorf("variable[%d] = %v: want a float32 value, the same in both runs", i, v)
		}
	}
}

// TestRunORTNonFinite sends a missing feature (NaN) and an infinity to ONNX
// Runtime and gets NaN and an infinity back: JSON has neither, so both
// directions encode them.
func TestRunORTNonFinite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: npm ci and node")
	}
	model := filepath.Join(onnxtest.Dir(), "linreg64_diabetes.onnx")
	rows := [][]float64{
		{math.NaN(), 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, math.Inf(1), 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	got := onnxtest.RunORT(t, model, rows)["variable"]
	if len(got) != 3 {
		t.Fatalf("got %v, want 3 values", got)
	}
	if !math.IsNaN(got[0]) {
		t.Errorf("row 0 (a NaN feature): got %v, want NaN", got[0])
	}
	if !math.IsInf(got[1], 0) {
		t.Errorf("row 1 (an infinite feature): got %v, want an infinity", got[1])
	}
	if math.IsNaN(got[2]) || math.IsInf(got[2], 0) {
		t.Errorf("row 2 (zeros): got %v, want the intercept", got[2])
	}
}

func TestCompare(t *testing.T) {
	want := map[string][]float64{"p": {0.5, 1e-9}, "y": {200}}
	tests := []struct {
		name string
		got  map[string][]float64
		err  string // substring; "" for no error
	}{
		{"Equal", map[string][]float64{"p": {0.5, 1e-9}, "y": {200}, "extra": {1}}, ""},
		{"WithinAbsolute", map[string][]float64{"p": {0.5 + 5e-7, 0}, "y": {200}}, ""},
		{"WithinRelative", map[string][]float64{"p": {0.5, 1e-9}, "y": {200 + 1e-4}}, ""},
		{"ErrMissing", map[string][]float64{"p": {0.5, 1e-9}}, `output "y" missing`},
		{"ErrLength", map[string][]float64{"p": {0.5}, "y": {200}}, "got 1 values, want 2"},
		{"ErrAbsolute", map[string][]float64{"p": {0.5 + 2e-6, 1e-9}, "y": {200}}, `output "p" element 0`},
		{"ErrRelative", map[string][]float64{"p": {0.5, 1e-9}, "y": {200.001}}, `output "y" element 0`},
		{"ErrNaN", map[string][]float64{"p": {math.NaN(), 1e-9}, "y": {200}}, "got NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := onnxtest.Compare(tc.got, want, 1e-6)
			if tc.err == "" && err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

// TestCorpusReads checks the checked-in corpus parses: every model has
// rows and outputs, a float32 or float64 type and a tolerance.
func TestCorpusReads(t *testing.T) {
	ms := onnxtest.Corpus(t)
	kinds := map[string]bool{}
	for _, m := range ms {
		kinds[strings.SplitN(m.Name, "_", 2)[0]] = true
		if len(m.Rows) == 0 || len(m.Outputs) == 0 {
			t.Errorf("%s: %d rows, %d outputs", m.Name, len(m.Rows), len(m.Outputs))
		}
	}
	for _, k := range []string{"logreg", "linreg", "rf", "gb", "xgb", "torch"} {
		if !kinds[k] {
			t.Errorf("corpus has no %s model", k)
		}
	}
}

// BenchmarkORT measures ONNX Runtime's native speed (node, CPU, one
// thread) on the benchmark models, over their test rows as one batch:
// rows/s to set beside the sandbox's. The time is taken inside node, after
// a first run, so start-up and session creation are not in it.
func BenchmarkORT(b *testing.B) {
	for _, name := range []string{"xgb500_diabetes", "xgb500_breast_cancer", "torch_mlp_diabetes"} {
		b.Run(name, func(b *testing.B) {
			var m onnxtest.Model
			for _, c := range onnxtest.Corpus(b) {
				if c.Name == name {
					m = c
				}
			}
			if m.Name == "" {
				b.Fatalf("no model %s in the corpus", name)
			}
			res := onnxtest.Time(b, m.Path, m.Rows, b.N)
			b.ReportMetric(float64(len(m.Rows)*b.N)/res.Seconds, "rows/s")
			b.ReportMetric(res.Seconds/float64(b.N)*1e9, "ns/batch")
		})
	}
}
