package datasets

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// errTripwire is what a hostileReader returns once the loader has read
// more than a bounded loader ever needs: before the limits of
// MaxColumns and MaxRecordBytes, the loader read a whole record, however
// wide, before looking at it.
var errTripwire = errors.New("test: the loader read more than 32 MiB of a hostile stream")

// hostileReader streams head, then body repeated up to size bytes in all,
// then tail, without holding the stream in memory.
type hostileReader struct {
	head, body, tail string
	size, off        int64
}

func (h *hostileReader) Read(p []byte) (int, error) {
	const tripwire = 32 << 20
	if h.off >= tripwire {
		return 0, errTripwire
	}
	n := 0
	for n < len(p) {
		var src string
		switch {
		case h.off < int64(len(h.head)):
			src = h.head[h.off:]
		case h.off < h.size-int64(len(h.tail)):
			k := (h.off - int64(len(h.head))) % int64(len(h.body))
			src = h.body[k:]
			if rest := h.size - int64(len(h.tail)) - h.off; int64(len(src)) > rest {
				src = src[:rest]
			}
		case h.off < h.size:
			src = h.tail[h.off-(h.size-int64(len(h.tail))):]
		default:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		c := copy(p[n:], src)
		n += c
		h.off += int64(c)
	}
	return n, nil
}

// TestReadCSVWide streams very wide or very long CSV records to the loader:
// each is refused with ErrTooLarge naming the row and the column, after
// reading a bounded prefix and allocating a bounded amount of memory (a
// 10M-column header of 169 MB took 12.8 GB before the limits).
func TestReadCSVWide(t *testing.T) {
	const colName = ",f0123456789"
	tests := []struct {
		name     string
		in       *hostileReader
		row      int
		column   string
		contains string
	}{
		{
			name:     "ErrTooLarge/header10MColumns",
			in:       &hostileReader{head: "id", body: colName, tail: "\nr1\n", size: 2 + 10_000_000*int64(len(colName)) + 4},
			contains: fmt.Sprintf("header of more than %d columns", MaxColumns),
		},
		{
			name:     "ErrTooLarge/row10MFields",
			in:       &hostileReader{head: "id,a\nr1,1\nr2", body: ",1", tail: "\n", size: 14 + 10_000_000*2},
			row:      2,
			contains: fmt.Sprintf("row of more than %d fields", MaxColumns),
		},
		{
			name:     "ErrTooLarge/field1GB",
			in:       &hostileReader{head: "id,a,b\nr1,1,2\nr2,", body: "1234567890", tail: ",3\n", size: 1 << 30},
			row:      2,
			column:   "a",
			contains: fmt.Sprintf("field of more than %d bytes", MaxFieldBytes),
		},
		{
			name:     "ErrTooLarge/quotedField1GB",
			in:       &hostileReader{head: "id,a,b\nr1,1,2\nr2,\"", body: "12\n\"\"345,78", tail: "\",3\n", size: 1 << 30},
			row:      2,
			column:   "a",
			contains: fmt.Sprintf("field of more than %d bytes", MaxFieldBytes),
		},
		{
			name:     "ErrTooLarge/headerName1GB",
			in:       &hostileReader{head: "id,", body: "abcdefgh", tail: "\nr1,1\n", size: 1 << 30},
			contains: fmt.Sprintf("header column 2: field of more than %d bytes", MaxFieldBytes),
		},
		{
			name:     "ErrTooLarge/record1GB",
			in:       &hostileReader{head: "id,a\nr1,1\n", body: strings.Repeat("9", 60_000) + ",", tail: "\n", size: 1 << 30},
			row:      2,
			contains: fmt.Sprintf("record of more than %d bytes", MaxRecordBytes),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			d, err := Read(tc.in, "wide.csv", CSV, Schema{ID: "id"})
			runtime.ReadMemStats(&after)
			if err == nil {
				d.Release()
			}
			t.Logf("%v: %d MB allocated, %d bytes read", err, (after.TotalAlloc-before.TotalAlloc)>>20, tc.in.off)
			wantParseError(t, err, ErrTooLarge, tc.row, tc.column)
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want it to contain %q", err, tc.contains)
			}
			// TotalAlloc only grows, so its growth bounds the peak.
			const bound = 64 << 20
			if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
				t.Errorf("got %d MB allocated, want less than %d MB", grew>>20, bound>>20)
			}
			if tc.in.off > MaxRecordBytes+1<<20 {
				t.Errorf("got %d bytes read, want at most %d", tc.in.off, MaxRecordBytes+1<<20)
			}
		})
	}
}

// TestReadWideSchema: Parquet and IPC inputs whose schema states more than
// MaxColumns columns are refused with ErrTooLarge before arrow-go builds
// anything per column.
func TestReadWideSchema(t *testing.T) {
	mem := checkedAlloc(t)
	fields := make([]arrow.Field, MaxColumns+1)
	for j := range fields {
		fields[j] = arrow.Field{Name: fmt.Sprintf("f%d", j), Type: arrow.PrimitiveTypes.Float64}
	}
	fields[0] = arrow.Field{Name: "id", Type: arrow.BinaryTypes.String}
	var stream bytes.Buffer
	w := ipc.NewWriter(&stream, ipc.WithSchema(arrow.NewSchema(fields, nil)), ipc.WithAllocator(mem))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// A Parquet footer (Thrift compact protocol) whose schema list holds
	// the root and MaxColumns+1 elements, each with just a name.
	var footer bytes.Buffer
	footer.WriteByte(0x29) // field 2 (schema), a list
	footer.WriteByte(0xfc) // of structs, long count
	footer.Write(binary.AppendUvarint(nil, MaxColumns+2))
	for range MaxColumns + 2 {
		footer.WriteString("\x48\x01c\x00") // field 4 (name), binary "c"; stop
	}
	footer.WriteByte(0) // end of FileMetaData
	pq := append([]byte("PAR1"), footer.Bytes()...)
	pq = binary.LittleEndian.AppendUint32(pq, uint32(footer.Len()))
	pq = append(pq, "PAR1"...)

	tests := []struct {
		name     string
		format   Format
		data     []byte
		contains string
	}{
		{"ErrTooLarge/ipcStream", IPCStream, stream.Bytes(), fmt.Sprintf("schema of more than %d columns", MaxColumns)},
		{"ErrTooLarge/parquet", Parquet, pq, fmt.Sprintf("schema of %d elements, more than %d columns", MaxColumns+2, MaxColumns)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Read(bytes.NewReader(tc.data), "wide", tc.format, Schema{ID: "id", Alloc: mem})
			if err == nil {
				d.Release()
			}
			wantParseError(t, err, ErrTooLarge, 0, "")
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want it to contain %q", err, tc.contains)
			}
		})
	}
}

// FuzzCSVLimiter checks csvLimiter's view of records against
// encoding/csv's on every input encoding/csv reads: with small limits, the
// limiter stops exactly at the first record with too many fields or too
// long a field, and names its row and field.
func FuzzCSVLimiter(f *testing.F) {
	for data := range csvSeeds(f) {
		f.Add([]byte(data))
	}
	for _, s := range []string{
		"a,b\n\n1,2\r\n\r\n3,\"x\r\ny\"\n",
		"a,b,c,d,e\n",
		"a\n1,2,3,4,5\n",
		"a,b\n\"123\"\"456\",1\n",
		"a,b\n\"12\r\n3456\",1\n",
		"a,b\n\"12\r\r\n3456\",1\n",
		"\r\r\na\n\"\"\"\"\"\"\n",
		"a,b\n1234567,1\n",
	} {
		f.Add([]byte(s))
	}
	const maxColumns, maxField = 4, 6
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			return
		}
		// What encoding/csv reads, and the first record over a limit.
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		wantRow, wantField := -1, -1
		for row := 0; wantRow < 0; row++ {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // not CSV: the limiter need not agree
			}
			for j, field := range rec {
				if j >= maxColumns || len(field) > maxField {
					wantRow, wantField = row, j
					break
				}
			}
		}
		l := newCSVLimiter(bytes.NewReader(data))
		l.maxColumns, l.maxField, l.maxRecord = maxColumns, maxField, 1<<20
		_, err := io.Copy(io.Discard, l)
		switch {
		case wantRow < 0 && err != nil:
			t.Fatalf("got %v (%+v), want no limit hit", err, *l.hit)
		case wantRow >= 0 && err == nil:
			t.Fatalf("got no limit hit, want one at row %d field %d", wantRow, wantField)
		case wantRow >= 0 && (l.hit.row != wantRow || l.hit.field != wantField):
			t.Fatalf("got a hit at row %d field %d (%s), want row %d field %d", l.hit.row, l.hit.field, l.hit.what, wantRow, wantField)
		}
	})
}
