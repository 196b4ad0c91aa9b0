package logreg_test

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/verdictlab/verdict/examples/breast-cancer/logreg"
)

// loadCSV returns the features column-major and the labels of a shipped
// breast-cancer CSV (id, 30 features, target).
func loadCSV(t testing.TB, path string) (x []float64, rows int, y []float64) {
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
	header, recs := recs[0], recs[1:]
	if got, want := len(header), logreg.NumFeatures+2; got != want {
		t.Fatalf("got %d columns, want %d", got, want)
	}
	for j, name := range logreg.Features {
		if header[j+1] != name {
			t.Fatalf("column %d: got %q, want %q", j+1, header[j+1], name)
		}
	}
	rows = len(recs)
	x = make([]float64, rows*logreg.NumFeatures)
	y = make([]float64, rows)
	for i, rec := range recs {
		for j := 0; j < logreg.NumFeatures; j++ {
			v, err := strconv.ParseFloat(rec[j+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			x[j*rows+i] = v
		}
		if y[i], err = strconv.ParseFloat(rec[len(rec)-1], 64); err != nil {
			t.Fatal(err)
		}
	}
	return x, rows, y
}

// rowWise is the textbook computation, one row at a time, with missing
// values replaced by the training mean.
func rowWise(row []float64) float64 {
	z := logreg.Intercept
	for j, v := range row {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = logreg.Mean[j]
		}
		z += float64(logreg.Coef[j] * ((v - logreg.Mean[j]) / logreg.Scale[j]))
	}
	return 1 / (1 + math.Exp(-z))
}

func row(x []float64, rows, i int) []float64 {
	r := make([]float64, logreg.NumFeatures)
	for j := range r {
		r[j] = x[j*rows+i]
	}
	return r
}

func TestPredictMatchesRowWise(t *testing.T) {
	x, rows, _ := loadCSV(t, "../../data/breast_cancer_train.csv")
	// Knock out a few values to exercise the missing-value path.
	x[0*rows+3] = math.NaN()
	x[7*rows+3] = math.Inf(1)
	x[29*rows+10] = math.NaN()
	for i := 0; i < rows; i++ {
		x[12*rows+i] = math.NaN() // a whole column missing
	}

	tests := []struct {
		name  string
		first int
		n     int
	}{
		{"all rows", 0, rows},
		{"one row", 3, 1},
		{"odd batch", 5, 17},
		{"empty batch", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Re-pack the batch column-major with tc.n rows.
			batch := make([]float64, tc.n*logreg.NumFeatures)
			for j := 0; j < logreg.NumFeatures; j++ {
				copy(batch[j*tc.n:(j+1)*tc.n], x[j*rows+tc.first:j*rows+tc.first+tc.n])
			}
			y := make([]float64, tc.n)
			logreg.Predict(batch, tc.n, logreg.NumFeatures, y)
			for i := range y {
				want := rowWise(row(x, rows, tc.first+i))
				if math.IsNaN(y[i]) || math.Abs(y[i]-want) > 1e-15 {
					t.Fatalf("row %d: got %v, want %v", tc.first+i, y[i], want)
				}
			}
		})
	}
}

func TestPredictBatchInvariant(t *testing.T) {
	// A model must be a pure function of each row: predicting a row alone
	// and inside a batch gives the same bits.
	x, rows, _ := loadCSV(t, "../../data/breast_cancer_train.csv")
	all := make([]float64, rows)
	logreg.Predict(x, rows, logreg.NumFeatures, all)
	for i := 0; i < rows; i++ {
		one := make([]float64, 1)
		logreg.Predict(row(x, rows, i), 1, logreg.NumFeatures, one)
		if math.Float64bits(one[0]) != math.Float64bits(all[i]) {
			t.Fatalf("row %d: got %v alone, want %v as in the batch", i, one[0], all[i])
		}
	}
}

func TestTrainAccuracy(t *testing.T) {
	x, rows, labels := loadCSV(t, "../../data/breast_cancer_train.csv")
	y := make([]float64, rows)
	logreg.Predict(x, rows, logreg.NumFeatures, y)
	var correct int
	for i, p := range y {
		if p < 0 || p > 1 {
			t.Fatalf("row %d: got probability %v, want within [0, 1]", i, p)
		}
		if (p >= 0.5) == (labels[i] == 1) {
			correct++
		}
	}
	if acc := float64(correct) / float64(rows); acc <= 0.95 {
		t.Errorf("got train accuracy %.4f, want > 0.95", acc)
	}
}

func TestPredictWrongShape(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("got no panic for 29 columns, want one")
		}
	}()
	logreg.Predict(make([]float64, 29), 1, 29, make([]float64, 1))
}

func BenchmarkPredict(b *testing.B) {
	x, rows, _ := loadCSV(b, "../../data/breast_cancer_train.csv")
	y := make([]float64, rows)
	for b.Loop() {
		logreg.Predict(x, rows, logreg.NumFeatures, y)
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}
