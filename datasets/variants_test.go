package datasets

import (
	"bytes"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/datasets/datasetstest"
)

// TestParquetLegacyLZ4 reads a Parquet file whose columns claim the
// legacy LZ4 codec, which arrow-go does not implement: the refusal names
// the codec and the column, and is not "malformed input".
func TestParquetLegacyLZ4(t *testing.T) {
	mem := checkedAlloc(t)
	rec := newRecord(t, mem, []string{"id", "a"}, []string{"r1", "r2", "r3"}, []float64{1, 2, 3})
	pq := parquetBytes(t, rec, 2, mem)
	rec.Release()
	lz4, err := datasetstest.ParquetLegacyLZ4(pq)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(bytes.NewReader(lz4), "lz4.parquet", Auto, Schema{ID: "id", Alloc: mem})
	if err == nil {
		d.Release()
	}
	const want = `lz4.parquet: column "id": datasets: unsupported codec LZ4`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %s…", err, want)
	}
	if !errorsIs(err, ErrUnsupportedCodec) || errorsIs(err, ErrMalformed) {
		t.Errorf("got %v, want ErrUnsupportedCodec, not ErrMalformed", err)
	}
}
