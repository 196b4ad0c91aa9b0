package metric

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// oracleCase is one case of testdata/metrics.json, computed by
// scikit-learn 1.2.1 (see testdata/README.md).
type oracleCase struct {
	Name     string             `json:"name"`
	Kind     TaskType           `json:"kind"`
	Truth    []float64          `json:"y_true"`
	Pred     json.RawMessage    `json:"y_pred"` // []float64, or [][]float64 rows for multiclass
	Group    []int              `json:"group"`
	K        int                `json:"k"`
	Expected map[string]float64 `json:"expected"`
}

func loadOracle(tb testing.TB) []oracleCase {
	tb.Helper()
	b, err := os.ReadFile("testdata/metrics.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []oracleCase
	if err := json.Unmarshal(b, &cases); err != nil {
		tb.Fatalf("decode testdata/metrics.json: %v", err)
	}
	if len(cases) == 0 {
		tb.Fatal("testdata/metrics.json holds no cases")
	}
	return cases
}

// input converts the case to an Input, transposing multiclass rows to
// the column-major layout of the guest ABI.
func (c oracleCase) input(tb testing.TB) Input {
	tb.Helper()
	in := Input{Type: c.Kind, Truth: c.Truth, K: c.K}
	if c.Kind == Multiclass {
		var rows [][]float64
		if err := json.Unmarshal(c.Pred, &rows); err != nil {
			tb.Fatalf("case %s: decode y_pred: %v", c.Name, err)
		}
		in.Pred = make([][]float64, len(rows[0]))
		for k := range in.Pred {
			in.Pred[k] = make([]float64, len(rows))
			for i, r := range rows {
				in.Pred[k][i] = r[k]
			}
		}
	} else {
		var col []float64
		if err := json.Unmarshal(c.Pred, &col); err != nil {
			tb.Fatalf("case %s: decode y_pred: %v", c.Name, err)
		}
		in.Pred = [][]float64{col}
	}
	if c.Group != nil {
		in.Group = make([]string, len(c.Group))
		for i, g := range c.Group {
			in.Group[i] = strconv.Itoa(g)
		}
	}
	return in
}

// close reports whether got matches want to 1e-9 relative, or 1e-12
// absolute near 0.
func closeTo(got, want float64) bool {
	d := math.Abs(got - want)
	return d <= 1e-12 || d <= 1e-9*math.Abs(want)
}

// TestOracle checks every expected value of every case against
// scikit-learn. Every key must have an implementation.
func TestOracle(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range loadOracle(t) {
		in := c.input(t)
		for _, name := range slices.Sorted(maps.Keys(c.Expected)) {
			want := c.Expected[name]
			seen[name] = true
			t.Run(c.Name+"/"+name, func(t *testing.T) {
				m, err := Lookup(name)
				if err != nil {
					t.Fatalf("Lookup(%q): %v", name, err)
				}
				if !m.Supports(in.Type) {
					t.Fatalf("%s does not support %s, the oracle scores it", name, in.Type)
				}
				got, err := m.Score(in)
				if err != nil {
					t.Fatalf("Score: %v", err)
				}
				if !closeTo(got, want) {
					t.Errorf("got %.17g, want %.17g (relative error %.3g)", got, want, math.Abs(got-want)/math.Abs(want))
				}
			})
		}
	}
	// The oracle must cover the whole registry, so nothing ships untested.
	for _, name := range Names() {
		if !seen[name] {
			t.Errorf("metric %s has no oracle value in testdata/metrics.json", name)
		}
	}
}
