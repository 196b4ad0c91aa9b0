package datasets

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"

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

// TestIPCFileSchemaInFooter reads an Arrow IPC file laid out as Apache
// Arrow's JavaScript library writes it: the schema only in the footer, the
// embedded stream starting with a record batch. arrow-go's file reader
// reads it; so must Load.
func TestIPCFileSchemaInFooter(t *testing.T) {
	mem := checkedAlloc(t)
	rec := newRecord(t, mem, []string{"id", "a", "y"}, []string{"r1", "r2", "r3"}, []float64{1, 2, 3}, []int64{0, 1, 1})
	js, err := datasetstest.IPCFileSchemaInFooter(ipcFileBytes(t, rec, 2, mem))
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	// The fixture is a valid file: arrow-go reads it from the footer.
	fr, err := ipc.NewFileReader(bytes.NewReader(js), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatalf("arrow-go: %v", err)
	}
	if fr.NumRecords() != 2 {
		t.Errorf("arrow-go: got %d batches, want 2", fr.NumRecords())
	}
	fr.Close()

	d, err := Read(bytes.NewReader(js), "js.arrow", Auto, Schema{ID: "id", Label: "y", Kind: BinaryLabel, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if got := fmt.Sprint(d.IDs, d.FeatureNames, d.Column(0), d.Labels); got != "[r1 r2 r3] [a] [1 2 3] [0 1 1]" {
		t.Errorf("got %s, want [r1 r2 r3] [a] [1 2 3] [0 1 1]", got)
	}
}

// TestIPCFileSchemaInFooterEmpty reads such a file without batches: its
// stream is only the end marker, and the footer's schema makes it an
// empty dataset, not a stream without a schema.
func TestIPCFileSchemaInFooterEmpty(t *testing.T) {
	mem := checkedAlloc(t)
	rec := newRecord(t, mem, []string{"id", "a"}, []string{}, []float64{})
	js, err := datasetstest.IPCFileSchemaInFooter(ipcFileBytes(t, rec, 2, mem))
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(bytes.NewReader(js), "empty.arrow", Auto, Schema{ID: "id", Alloc: mem})
	if err == nil {
		d.Release()
	}
	wantParseError(t, err, ErrEmpty, 0, "")
}
