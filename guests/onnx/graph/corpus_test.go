package graph_test

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/verdictlab/verdict/guests/onnx/graph"
)

// corpusDir is the ONNX corpus exported by the real tools (examples/onnx,
// built by its build.sh with Debian's Python packages).
const corpusDir = "../../../examples/onnx"

type corpusRef struct {
	Model     string               `json:"model"`
	Data      string               `json:"data"`
	Tolerance float64              `json:"tolerance"`
	Outputs   map[string][]float64 `json:"outputs"`
}

// readRows reads a corpus CSV: id, features..., target (a header first),
// and returns the features column-major.
func readRows(t *testing.T, path string) (cols []float64, rows, feats int) {
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
	recs = recs[1:]
	rows, feats = len(recs), len(recs[0])-2
	cols = make([]float64, rows*feats)
	for i, r := range recs {
		for j := range feats {
			v, err := strconv.ParseFloat(r[j+1], 64)
			if err != nil {
				t.Fatalf("%s row %d: %v", path, i, err)
			}
			cols[j*rows+i] = v
		}
	}
	return cols, rows, feats
}

// TestCorpus runs every corpus model natively and compares the output
// verdict reads with what the training library predicted, within the
// corpus's tolerance (|got-want| / max(1, |want|)).
func TestCorpus(t *testing.T) {
	refs, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if len(refs) == 0 {
		t.Skip("no corpus in " + corpusDir)
	}
	for _, ref := range refs {
		t.Run(filepath.Base(ref), func(t *testing.T) {
			b, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			var c corpusRef
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			model, err := os.ReadFile(filepath.Join(corpusDir, c.Model))
			if err != nil {
				t.Fatal(err)
			}
			m, err := graph.Load(model)
			if err != nil {
				t.Fatal(err)
			}
			x, rows, feats := readRows(t, filepath.Join(corpusDir, c.Data))
			want := c.Outputs[m.Output()]
			if len(want) == 0 || len(want)%rows != 0 {
				t.Fatalf("reference has %d values of %q for %d rows", len(want), m.Output(), rows)
			}
			width := len(want) / rows
			y := make([]float64, rows*width)
			if err := m.Predict(x, rows, feats, y, width); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range rows {
				for k := range width {
					got, w := y[k*rows+i], want[i*width+k]
					if d := math.Abs(got-w) / math.Max(1, math.Abs(w)); d > c.Tolerance {
						if bad++; bad <= 3 {
							t.Errorf("row %d output %d: got %.12g, want %.12g (relative %.2g > %.2g)", i, k, got, w, d, c.Tolerance)
						}
					}
				}
			}
			if bad > 3 {
				t.Errorf("%d values off in all", bad)
			}
			// A row alone gives the same bits as in the batch (the
			// sandbox's determinism gate re-runs with other batches).
			for i := range min(rows, 16) {
				one := make([]float64, feats)
				for j := range one {
					one[j] = x[j*rows+i]
				}
				y1 := make([]float64, width)
				if err := m.Predict(one, 1, feats, y1, width); err != nil {
					t.Fatal(err)
				}
				for k := range width {
					if math.Float64bits(y1[k]) != math.Float64bits(y[k*rows+i]) {
						t.Fatalf("row %d output %d: got %v alone, %v in the batch", i, k, y1[k], y[k*rows+i])
					}
				}
			}
		})
	}
}
