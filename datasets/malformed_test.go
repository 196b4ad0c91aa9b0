package datasets

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

func TestReadMalformed(t *testing.T) {
	mem := checkedAlloc(t)
	rec := newRecord(t, mem, []string{"id", "a"}, []string{"r1", "r2", "r3"}, []float64{1, 2, 3})
	stream := ipcStreamBytes(t, rec, 2, mem)
	fileData := ipcFileBytes(t, rec, 2, mem)
	pq := parquetBytes(t, rec, 2, mem)
	rec.Release()

	tests := []struct {
		name     string
		format   Format
		data     []byte
		want     error
		contains string
	}{
		// arrow-go's ipc.NewReader would allocate the stated 2 GiB.
		{"ErrMalformed/streamHugeMetadata", IPCStream, []byte("\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00"), ErrMalformed, "(limit 16777216)"},
		{"ErrMalformed/streamLegacyHugeMetadata", IPCStream, []byte("ARROW1\x00\x00\x00\x00"), ErrMalformed, "(limit 16777216)"},
		{"ErrMalformed/streamTruncated", IPCStream, stream[:len(stream)/2], ErrMalformed, ""},
		{"ErrMalformed/streamEmpty", IPCStream, nil, ErrMalformed, ""},
		{"ErrMalformed/fileTruncated", IPCFile, fileData[:len(fileData)-9], ErrMalformed, ""},
		{"ErrMalformed/fileMagicOnly", IPCFile, []byte("ARROW1\x00\x00ARROW1"), ErrMalformed, ""},
		{"ErrMalformed/parquetTruncated", Parquet, pq[:len(pq)-20], ErrMalformed, ""},
		{"ErrMalformed/parquetMagicOnly", Parquet, []byte("PAR1PAR1"), ErrMalformed, ""},
		{"ErrMalformed/parquetAsIPC", IPCFile, pq, ErrMalformed, ""},
		{"ErrUnknownFormat/auto", Auto, []byte("\x00\x01\x02"), ErrUnknownFormat, ""},
		{"ErrUnknownFormat/format", Format(42), []byte("id\nr1\n"), ErrUnknownFormat, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Read(bytes.NewReader(tc.data), "in", tc.format, Schema{ID: "id", Alloc: mem, MaxBytes: 1 << 20})
			if err == nil {
				d.Release()
			}
			wantParseError(t, err, tc.want, 0, "")
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want it to contain %q", err, tc.contains)
			}
		})
	}
}

// TestDecodeBudget reads a small compressed stream that decodes to far
// more memory than the limits allow: the budget stops it.
func TestDecodeBudget(t *testing.T) {
	mem := checkedAlloc(t)
	const n = 1 << 17
	ids := array.NewInt64Builder(mem)
	vals := array.NewFloat64Builder(mem)
	for range n {
		ids.Append(7) // all alike, to compress well
		vals.Append(0)
	}
	cols := []arrow.Array{ids.NewArray(), vals.NewArray()}
	ids.Release()
	vals.Release()
	sch := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "a", Type: arrow.PrimitiveTypes.Float64}}, nil)
	rec := array.NewRecordBatch(sch, cols, n)
	cols[0].Release()
	cols[1].Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(sch), ipc.WithAllocator(mem), ipc.WithZstd())
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if buf.Len() > 64<<10 {
		t.Fatalf("got %d compressed bytes, want a small input", buf.Len())
	}
	// Budget: 2×64 KiB + 16×1024 bytes, far below the 2 MiB decoded.
	s := Schema{ID: "id", Alloc: mem, MaxBytes: 64 << 10, MaxCells: 1 << 10}
	d, err := Read(bytes.NewReader(buf.Bytes()), "bomb.arrows", Auto, s)
	if err == nil {
		d.Release()
	}
	wantParseError(t, err, ErrTooLarge, 0, "")
	// With room to decode, the same input gets as far as validation.
	s.MaxBytes, s.MaxCells = 4<<20, n
	d, err = Read(bytes.NewReader(buf.Bytes()), "bomb.arrows", Auto, s)
	if err == nil {
		d.Release()
	}
	wantParseError(t, err, ErrDuplicateID, 2, "id")
}
