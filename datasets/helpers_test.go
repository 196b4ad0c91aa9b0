package datasets

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// exampleData is the project's shipped real data.
var exampleData = filepath.Join("..", "examples", "data")

func checkedAlloc(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// breastCancer is the schema of examples/data/breast_cancer_*.csv.
func breastCancer(mem memory.Allocator) Schema {
	return Schema{ID: "id", Label: "target", Kind: BinaryLabel, Alloc: mem}
}

// toRecord turns d back into one Arrow record: id (string), the features
// (float64), the label (int64, float64 for NumericLabel) and the group
// (string), in that order.
func toRecord(t testing.TB, d *Dataset, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	fields := []arrow.Field{{Name: d.IDColumn, Type: arrow.BinaryTypes.String}}
	var cols []arrow.Array
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues(d.IDs, nil)
	cols = append(cols, sb.NewArray())
	for j, n := range d.FeatureNames {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
		c := d.Features.Column(j)
		c.Retain()
		cols = append(cols, c)
	}
	if d.Labels != nil && d.Kind == NumericLabel {
		fields = append(fields, arrow.Field{Name: d.LabelColumn, Type: arrow.PrimitiveTypes.Float64})
		fb := array.NewFloat64Builder(mem)
		defer fb.Release()
		fb.AppendValues(d.Labels, nil)
		cols = append(cols, fb.NewArray())
	} else if d.Labels != nil {
		fields = append(fields, arrow.Field{Name: d.LabelColumn, Type: arrow.PrimitiveTypes.Int64})
		ib := array.NewInt64Builder(mem)
		defer ib.Release()
		for _, v := range d.Labels {
			ib.Append(int64(v))
		}
		cols = append(cols, ib.NewArray())
	}
	if d.Groups != nil {
		fields = append(fields, arrow.Field{Name: d.GroupColumn, Type: arrow.BinaryTypes.String})
		gb := array.NewStringBuilder(mem)
		defer gb.Release()
		gb.AppendValues(d.Groups, nil)
		cols = append(cols, gb.NewArray())
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(d.Rows()))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// batches calls fn on consecutive slices of rec of at most n rows.
func batches(rec arrow.RecordBatch, n int64, fn func(arrow.RecordBatch) error) error {
	for i := int64(0); i < rec.NumRows(); i += n {
		part := rec.NewSlice(i, min(i+n, rec.NumRows()))
		err := fn(part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func ipcStreamBytes(t testing.TB, rec arrow.RecordBatch, batch int64, mem memory.Allocator) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err := batches(rec, batch, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ipcFileBytes(t testing.TB, rec arrow.RecordBatch, batch int64, mem memory.Allocator) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := batches(rec, batch, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parquetBytes(t testing.TB, rec arrow.RecordBatch, rowGroup int64, mem memory.Allocator) []byte {
	t.Helper()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithAllocator(mem), parquet.WithMaxRowGroupLength(rowGroup))
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newRecord builds a record from columns given as Go slices: []string,
// []float64, []int64, []bool, []any (nil entries are nulls; elements
// string, float64, int64 or bool).
func newRecord(t testing.TB, mem memory.Allocator, names []string, values ...any) arrow.RecordBatch {
	t.Helper()
	var fields []arrow.Field
	var cols []arrow.Array
	for k, v := range values {
		var b array.Builder
		switch v := v.(type) {
		case []string:
			sb := array.NewStringBuilder(mem)
			sb.AppendValues(v, nil)
			b = sb
		case []float64:
			fb := array.NewFloat64Builder(mem)
			fb.AppendValues(v, nil)
			b = fb
		case []int64:
			ib := array.NewInt64Builder(mem)
			ib.AppendValues(v, nil)
			b = ib
		case []bool:
			bb := array.NewBooleanBuilder(mem)
			bb.AppendValues(v, nil)
			b = bb
		case []any:
			b = anyBuilder(t, mem, v)
		default:
			t.Fatalf("newRecord: column %d of type %T", k, v)
		}
		cols = append(cols, b.NewArray())
		b.Release()
		fields = append(fields, arrow.Field{Name: names[k], Type: cols[k].DataType(), Nullable: true})
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, -1)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func anyBuilder(t testing.TB, mem memory.Allocator, v []any) array.Builder {
	t.Helper()
	var typ arrow.DataType
	for _, x := range v {
		switch x.(type) {
		case string:
			typ = arrow.BinaryTypes.String
		case float64:
			typ = arrow.PrimitiveTypes.Float64
		case int64:
			typ = arrow.PrimitiveTypes.Int64
		case bool:
			typ = arrow.FixedWidthTypes.Boolean
		}
	}
	b := array.NewBuilder(mem, typ)
	for _, x := range v {
		switch x := x.(type) {
		case nil:
			b.AppendNull()
		case string:
			b.(*array.StringBuilder).Append(x)
		case float64:
			b.(*array.Float64Builder).Append(x)
		case int64:
			b.(*array.Int64Builder).Append(x)
		case bool:
			b.(*array.BooleanBuilder).Append(x)
		}
	}
	return b
}

// wantParseError checks that err is a *ParseError at row and column
// wrapping sentinel.
func wantParseError(t *testing.T, err, sentinel error, row int, column string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("got %v, want errors.Is %v", err, sentinel)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %T (%v), want *ParseError", err, err)
	}
	if pe.Row != row || pe.Column != column {
		t.Errorf("got row %d column %q, want row %d column %q (%v)", pe.Row, pe.Column, row, column, err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
