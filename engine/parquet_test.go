package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/verdictlab/verdict/engine"
)

// TestScoreFilesParquet: a Parquet prediction file scores the same as the
// same predictions in CSV.
func TestScoreFilesParquet(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth.csv")
	if err := os.WriteFile(truth, []byte("id,label\na,0\nb,1\nc,1\nd,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, probs := []string{"d", "c", "b", "a"}, []float64{0.4, 0.35, 0.8, 0.1}
	csvPath := filepath.Join(dir, "pred.csv")
	writeCSV(t, csvPath, []string{"id", "p"}, ids, probs)

	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "p", Type: arrow.PrimitiveTypes.Float64}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(ids, nil)
	b.Field(1).(*array.Float64Builder).AppendValues(probs, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	pqPath := filepath.Join(dir, "pred.parquet")
	f, err := os.Create(pqPath)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	var got []float64
	for _, pred := range []string{csvPath, pqPath} {
		r, err := engine.ScoreFiles{TaskType: "binary", Metric: "roc_auc", Truth: truth, Pred: pred}.Score()
		if err != nil {
			t.Fatalf("%s: %v", pred, err)
		}
		got = append(got, r.Score)
	}
	// Positives b (0.8), c (0.35); negatives d (0.4), a (0.1): 3 of 4 pairs ordered.
	if got[0] != 0.75 || got[1] != 0.75 {
		t.Errorf("got CSV %v, Parquet %v; want 0.75 both", got[0], got[1])
	}
}
