package onnxtest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Model is one model of the corpus with its reference outputs.
type Model struct {
	// Name is the file name without .onnx, e.g. "xgb_breast_cancer".
	Name string
	// Path is the .onnx file's path.
	Path string
	// Note says what the model is and how it was exported.
	Note string
	// DType is the model's input and arithmetic type: "float32" or
	// "float64".
	DType string
	// Tolerance bounds |got - want| / max(1, |want|) for every output
	// element: 1e-6 for float32 models, 1e-12 for float64 ones, unless
	// build.py says otherwise for a model (and why).
	Tolerance float64
	// Data is the CSV the rows come from (columns id, features..., target).
	Data string
	// Rows are the CSV's feature columns, in file order.
	Rows [][]float64
	// Outputs are what the training library predicted for Rows, by
	// output name, flattened row-major.
	Outputs map[string][]float64
}

// Dir returns the corpus directory, examples/onnx in this module's source
// tree.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "onnx")
}

// Corpus reads every model of the corpus in Dir, sorted by name, and
// fails the test if one is unreadable or the corpus is empty.
func Corpus(t testing.TB) []Model {
	t.Helper()
	ms, err := ReadCorpus(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatalf("onnxtest: no models in %s (run examples/onnx/build.sh)", Dir())
	}
	return ms
}

// ReadCorpus reads every NAME.json in dir and the model and rows it names.
func ReadCorpus(dir string) ([]Model, error) {
	refs, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(refs)
	csvs := map[string][][]float64{}
	var ms []Model
	for _, ref := range refs {
		m, err := readModel(ref, csvs)
		if err != nil {
			return nil, fmt.Errorf("onnxtest: corpus model %s: %w", filepath.Base(ref), err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func readModel(ref string, csvs map[string][][]float64) (Model, error) {
	b, err := os.ReadFile(ref)
	if err != nil {
		return Model{}, err
	}
	var r struct {
		Model     string               `json:"model"`
		Note      string               `json:"note"`
		Data      string               `json:"data"`
		DType     string               `json:"dtype"`
		Tolerance float64              `json:"tolerance"`
		Outputs   map[string][]float64 `json:"outputs"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return Model{}, err
	}
	if r.DType != "float32" && r.DType != "float64" {
		return Model{}, fmt.Errorf("dtype %q, want float32 or float64", r.DType)
	}
	if !(r.Tolerance > 0 && r.Tolerance < 1) {
		return Model{}, fmt.Errorf("tolerance %v, want in (0, 1)", r.Tolerance)
	}
	if len(r.Outputs) == 0 {
		return Model{}, fmt.Errorf("no outputs")
	}
	dir := filepath.Dir(ref)
	m := Model{
		Name:      strings.TrimSuffix(r.Model, ".onnx"),
		Path:      filepath.Join(dir, r.Model),
		Note:      r.Note,
		DType:     r.DType,
		Tolerance: r.Tolerance,
		Data:      filepath.Join(dir, filepath.FromSlash(r.Data)),
		Outputs:   r.Outputs,
	}
	if _, err := os.Stat(m.Path); err != nil {
		return Model{}, err
	}
	rows, ok := csvs[m.Data]
	if !ok {
		if rows, err = ReadRows(m.Data); err != nil {
			return Model{}, err
		}
		csvs[m.Data] = rows
	}
	m.Rows = rows
	for name, out := range m.Outputs {
		if len(rows) == 0 || len(out)%len(rows) != 0 {
			return Model{}, fmt.Errorf("output %q has %d values for %d rows", name, len(out), len(rows))
		}
	}
	return m, nil
}

// ReadRows reads the feature columns of a CSV laid out like
// examples/data's: a header, then id, the features, target.
func ReadRows(path string) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(recs) < 2 || len(recs[0]) < 3 || recs[0][0] != "id" || recs[0][len(recs[0])-1] != "target" {
		return nil, fmt.Errorf("read %s: want a header id,features...,target and rows", path)
	}
	rows := make([][]float64, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		row := make([]float64, 0, len(rec)-2)
		for j, v := range rec[1 : len(rec)-1] {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("read %s: row %d column %s: %w", path, i+1, recs[0][j+1], err)
			}
			row = append(row, x)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Compare checks that got has the outputs of want, each element within
// |got - want| <= tol * max(1, |want|): relative for values above 1 (a
// regression's), absolute below (a probability near 0 computed as 1 - p
// in float32 keeps only float32's absolute precision, so a relative bound
// would fail on rounding alone). Outputs in got but not in want are
// ignored. The error names the output, the element and both values.
func Compare(got, want map[string][]float64, tol float64) error {
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		w := want[name]
		g, ok := got[name]
		if !ok {
			return fmt.Errorf("output %q missing (got %d outputs)", name, len(got))
		}
		if len(g) != len(w) {
			return fmt.Errorf("output %q: got %d values, want %d", name, len(g), len(w))
		}
		for i := range w {
			if d := math.Abs(g[i] - w[i]); !(d <= tol*math.Max(1, math.Abs(w[i]))) {
				return fmt.Errorf("output %q element %d: got %v, want %v (difference %.3g, tolerance %g)", name, i, g[i], w[i], d, tol)
			}
		}
	}
	return nil
}
