package scaffold_test

import (
	"encoding/csv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/verdictlab/verdict/internal/onnxtest"
	"github.com/verdictlab/verdict/internal/scaffold"
)

// python returns Debian's Python (PYTHON overrides it) after checking it
// imports modules; it skips the test when they are missing and CI is
// unset, and fails it under CI (.ci/run installs python3-sklearn,
// python3-onnx, python3-torch).
func python(t *testing.T, modules ...string) string {
	t.Helper()
	py := os.Getenv("PYTHON")
	if py == "" {
		py = tool(t, "/usr/bin/python3")
	}
	for _, m := range modules {
		if out, err := exec.Command(py, "-c", "import "+m).CombinedOutput(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI: %s needs the Python module %s: %v\n%s", py, m, err, out)
			}
			t.Skipf("%s cannot import %s (the test fails instead under CI): %v", py, m, err)
		}
	}
	return py
}

// TestPythonTemplate writes the Python project, trains and exports each
// variant with its Makefile (scikit-learn: make; PyTorch: make torch),
// validates model.onnx with the ONNX checker (make validate), and runs it
// in ONNX Runtime on the sample rows (one has a missing value): the
// probabilities are finite and sum to 1 per row, and their accuracy on
// the rows is the training accuracy the script printed, so the exported
// graph computes what the trained model does.
func TestPythonTemplate(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		modules []string
		labels  bool // a label output beside the probabilities
		slow    bool // skipped with -short (importing torch takes ~15 s)
	}{
		{"sklearn", "model.onnx", []string{"numpy", "sklearn", "onnx"}, true, false},
		{"torch", "torch", []string{"numpy", "torch", "onnx"}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.slow && testing.Short() {
				t.Skip("-short: PyTorch is slow to load")
			}
			py := python(t, tc.modules...)
			makeBin := tool(t, "make")
			dir := t.TempDir()
			if _, err := scaffold.Write(dir, "python"); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(makeBin, tc.target, "PYTHON="+py)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make %s: %v\n%s", tc.target, err, out)
			}
			m := regexp.MustCompile(`wrote model\.onnx: 3 features \(x0,x1,x2\).*training accuracy ([0-9.]+)`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("make %s printed %q, want a line naming model.onnx, 3 features and the training accuracy", tc.target, out)
			}
			trainAcc, _ := strconv.ParseFloat(string(m[1]), 64)
			cmd = exec.Command(makeBin, "validate", "PYTHON="+py)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make validate: %v\n%s", err, out)
			}
			if testing.Short() {
				t.Skip("-short: ONNX Runtime needs npm ci")
			}
			cols := readSample(t, filepath.Join(dir, "sample", "rows.csv"))
			labels := readLabels(t, filepath.Join(dir, "sample", "rows.csv"))
			rows := make([][]float64, len(cols[0]))
			for i := range rows {
				for _, c := range cols {
					rows[i] = append(rows[i], c[i])
				}
			}
			got := onnxtest.RunORT(t, filepath.Join(dir, "model.onnx"), rows)
			p := got["probabilities"]
			if len(p) != 2*len(rows) {
				t.Fatalf("probabilities: got %d values, want %d (2 per row)", len(p), 2*len(rows))
			}
			correct := 0
			for i := range rows {
				p0, p1 := p[2*i], p[2*i+1]
				if math.IsNaN(p0+p1) || math.Abs(p0+p1-1) > 1e-6 {
					t.Errorf("row %d: probabilities %v, %v, want finite and summing to 1", i+1, p0, p1)
				}
				pred := 0
				if p1 > p0 {
					pred = 1
				}
				if pred == labels[i] {
					correct++
				}
				if tc.labels && int(got["label"][i]) != pred {
					t.Errorf("row %d: label %v, want %d (the likelier class)", i+1, got["label"][i], pred)
				}
			}
			if acc := float64(correct) / float64(len(rows)); math.Abs(acc-trainAcc) > 0.0005 {
				t.Errorf("ONNX Runtime's accuracy on the training rows: got %.3f, want the script's %.3f", acc, trainAcc)
			}
		})
	}
}

// readLabels returns the last column of a sample rows file as integers.
func readLabels(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, r := range recs[1:] {
		v, err := strconv.Atoi(r[len(r)-1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
