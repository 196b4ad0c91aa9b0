package datasets

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestLoadExamples(t *testing.T) {
	tests := []struct {
		file       string
		kind       LabelKind
		rows       int
		features   int
		numClasses int
		firstID    string
		firstValue float64 // feature 0 of row 1
	}{
		{"breast_cancer_test.csv", BinaryLabel, 171, 30, 2, "br00001", 20.57},
		{"breast_cancer_train.csv", BinaryLabel, 398, 30, 2, "br00000", 17.99},
		{"wine_test.csv", MulticlassLabel, 54, 13, 3, "wi00006", 14.39},
		{"wine_train.csv", MulticlassLabel, 124, 13, 3, "wi00000", 14.23},
		{"diabetes_test.csv", NumericLabel, 133, 10, 0, "di00001", -0.0018820165277906047},
		{"diabetes_train.csv", NumericLabel, 309, 10, 0, "di00000", 0.038075906433423026},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			mem := checkedAlloc(t)
			d, err := Load(filepath.Join(exampleData, tc.file), Schema{ID: "id", Label: "target", Kind: tc.kind, Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			if d.Rows() != tc.rows || len(d.Labels) != tc.rows || int(d.Features.NumRows()) != tc.rows {
				t.Errorf("got %d rows (%d labels, %d feature rows), want %d", d.Rows(), len(d.Labels), d.Features.NumRows(), tc.rows)
			}
			if len(d.FeatureNames) != tc.features || int(d.Features.NumCols()) != tc.features {
				t.Errorf("got %d features, want %d", len(d.FeatureNames), tc.features)
			}
			for _, n := range d.FeatureNames {
				if n == "target" || n == "id" {
					t.Errorf("got %q among the features", n)
				}
			}
			if d.NumClasses != tc.numClasses {
				t.Errorf("got %d classes, want %d", d.NumClasses, tc.numClasses)
			}
			if d.IDs[0] != tc.firstID || d.Column(0)[0] != tc.firstValue {
				t.Errorf("got first row %s %v, want %s %v", d.IDs[0], d.Column(0)[0], tc.firstID, tc.firstValue)
			}
			if len(d.Hash) != 64 {
				t.Errorf("got hash %q, want 64 hex digits", d.Hash)
			}
			for j := range d.FeatureNames {
				if c := d.Features.Column(j); c.DataType().ID() != arrow.FLOAT64 || c.NullN() != 0 || len(d.Column(j)) != tc.rows {
					t.Errorf("feature %d: got %s with %d nulls, %d values", j, c.DataType(), c.NullN(), len(d.Column(j)))
				}
			}
		})
	}
}

// TestHashAcrossFormats converts the breast cancer data to Parquet and
// IPC file and stream (in several batchings) and checks that every copy
// loads to the same rows and hash as the CSV.
func TestHashAcrossFormats(t *testing.T) {
	mem := checkedAlloc(t)
	path := filepath.Join(exampleData, "breast_cancer_test.csv")
	ref, err := Load(path, breastCancer(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Release()
	rec := toRecord(t, ref, mem)
	defer rec.Release()

	inputs := []struct {
		name   string
		format Format
		data   []byte
	}{
		{"parquet-1group.parquet", Parquet, parquetBytes(t, rec, 1<<20, mem)},
		{"parquet-7groups.parquet", Parquet, parquetBytes(t, rec, 25, mem)},
		{"file-1batch.arrow", IPCFile, ipcFileBytes(t, rec, 1<<20, mem)},
		{"file-4batches.arrow", IPCFile, ipcFileBytes(t, rec, 50, mem)},
		{"stream-1batch.arrows", IPCStream, ipcStreamBytes(t, rec, 1<<20, mem)},
		{"stream-18batches.arrows", IPCStream, ipcStreamBytes(t, rec, 10, mem)},
	}
	dir := t.TempDir()
	for _, in := range inputs {
		// Read from a plain io.Reader (buffered), from a ReaderAt, and
		// Load from a file with a misleading extension (magic decides).
		readers := map[string]func() (*Dataset, error){
			"Read/Reader": func() (*Dataset, error) {
				return Read(io.MultiReader(bytes.NewReader(in.data)), in.name, Auto, breastCancer(mem))
			},
			"Read/ReaderAt": func() (*Dataset, error) {
				return Read(bytes.NewReader(in.data), in.name, in.format, breastCancer(mem))
			},
			"Load": func() (*Dataset, error) {
				p := filepath.Join(dir, in.name+".csv")
				if err := os.WriteFile(p, in.data, 0o600); err != nil {
					t.Fatal(err)
				}
				return Load(p, breastCancer(mem))
			},
		}
		for how, read := range readers {
			t.Run(in.name+"/"+how, func(t *testing.T) {
				d, err := read()
				if err != nil {
					t.Fatal(err)
				}
				defer d.Release()
				if d.Hash != ref.Hash {
					t.Errorf("got hash %s, want %s", d.Hash, ref.Hash)
				}
				sameDataset(t, d, ref)
			})
		}
	}
}

// sameDataset compares everything but Path and Hash.
func sameDataset(t *testing.T, got, want *Dataset) {
	t.Helper()
	if strings.Join(got.IDs, ",") != strings.Join(want.IDs, ",") {
		t.Errorf("got ids %v, want %v", got.IDs, want.IDs)
	}
	if strings.Join(got.FeatureNames, ",") != strings.Join(want.FeatureNames, ",") {
		t.Errorf("got features %v, want %v", got.FeatureNames, want.FeatureNames)
	}
	if strings.Join(got.Groups, ",") != strings.Join(want.Groups, ",") || (got.Groups == nil) != (want.Groups == nil) {
		t.Errorf("got groups %v, want %v", got.Groups, want.Groups)
	}
	if (got.Labels == nil) != (want.Labels == nil) || len(got.Labels) != len(want.Labels) {
		t.Fatalf("got %d labels, want %d", len(got.Labels), len(want.Labels))
	}
	for i := range want.Labels {
		if got.Labels[i] != want.Labels[i] {
			t.Errorf("label %d: got %v, want %v", i, got.Labels[i], want.Labels[i])
		}
	}
	for j := range want.FeatureNames {
		g, w := got.Column(j), want.Column(j)
		for i := range w {
			if !sameFloat(g[i], w[i]) {
				t.Fatalf("feature %d row %d: got %v, want %v", j, i, g[i], w[i])
			}
		}
	}
	if got.NumClasses != want.NumClasses || got.Kind != want.Kind {
		t.Errorf("got %d classes of %q, want %d of %q", got.NumClasses, got.Kind, want.NumClasses, want.Kind)
	}
}

// TestArrowTypes checks conversions from Arrow types: integers, floats,
// booleans and dictionaries as features, integer ids and groups, nulls
// as NaN.
func TestArrowTypes(t *testing.T) {
	mem := checkedAlloc(t)
	var cols []arrow.Array
	add := func(b array.Builder) {
		cols = append(cols, b.NewArray())
		b.Release()
	}
	ids := array.NewUint32Builder(mem)
	ids.AppendValues([]uint32{7, 8, 4000000000}, nil)
	add(ids)
	i8 := array.NewInt8Builder(mem)
	i8.AppendValues([]int8{-1, 0, 127}, []bool{true, false, true})
	add(i8)
	f32 := array.NewFloat32Builder(mem)
	f32.AppendValues([]float32{0.5, -2, 3}, nil)
	add(f32)
	bl := array.NewBooleanBuilder(mem)
	bl.AppendValues([]bool{true, false, true}, nil)
	add(bl)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.PrimitiveTypes.Float64}
	db := array.NewDictionaryBuilder(mem, dt).(*array.Float64DictionaryBuilder)
	for _, v := range []float64{2.5, 2.5, 9} {
		if err := db.Append(v); err != nil {
			t.Fatal(err)
		}
	}
	add(db)
	st := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	gb := array.NewDictionaryBuilder(mem, st).(*array.BinaryDictionaryBuilder)
	for _, v := range []string{"q1", "q1", "q2"} {
		if err := gb.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	add(gb)
	lb := array.NewUint8Builder(mem)
	lb.AppendValues([]uint8{0, 2, 1}, nil)
	add(lb)
	names := []string{"id", "i8", "f32", "bool", "dict", "q", "y"}
	fields := make([]arrow.Field, len(cols))
	for k, c := range cols {
		fields[k] = arrow.Field{Name: names[k], Type: c.DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, -1)
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()

	d, err := Read(bytes.NewReader(ipcStreamBytes(t, rec, 2, mem)), "types.arrows", Auto,
		Schema{ID: "id", Label: "y", Kind: MulticlassLabel, Group: "q", Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if got := strings.Join(d.IDs, ","); got != "7,8,4000000000" {
		t.Errorf("got ids %s, want 7,8,4000000000", got)
	}
	if got := strings.Join(d.Groups, ","); got != "q1,q1,q2" {
		t.Errorf("got groups %s, want q1,q1,q2", got)
	}
	want := [][]float64{{-1, math.NaN(), 127}, {0.5, -2, 3}, {1, 0, 1}, {2.5, 2.5, 9}}
	for j, w := range want {
		for i := range w {
			if g := d.Column(j)[i]; !sameFloat(g, w[i]) {
				t.Errorf("%s row %d: got %v, want %v", d.FeatureNames[j], i, g, w[i])
			}
		}
	}
	if d.NumClasses != 3 || d.Labels[1] != 2 {
		t.Errorf("got %d classes, labels %v; want 3, [0 2 1]", d.NumClasses, d.Labels)
	}
}

func TestReadArrowErrors(t *testing.T) {
	names := []string{"id", "a", "y"}
	binary := func(mem memory.Allocator) Schema {
		return Schema{ID: "id", Label: "y", Kind: BinaryLabel, Alloc: mem}
	}
	tests := []struct {
		name   string
		build  func(t *testing.T, mem memory.Allocator) arrow.RecordBatch
		schema func(memory.Allocator) Schema
		want   error
		row    int
		column string
	}{
		{"ErrDuplicateID/acrossBatches", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a", "b", "c", "d", "b"}, []float64{1, 2, 3, 4, 5}, []int64{0, 1, 0, 1, 0})
		}, binary, ErrDuplicateID, 5, "id"},
		{"ErrBadID/null", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []any{"a", "b", nil}, []float64{1, 2, 3}, []int64{0, 1, 0})
		}, binary, ErrBadID, 3, "id"},
		{"ErrBadID/empty", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a", ""}, []float64{1, 2}, []int64{0, 1})
		}, binary, ErrBadID, 2, "id"},
		{"ErrBadID/float", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []float64{1, 2}, []float64{1, 2}, []int64{0, 1})
		}, binary, ErrBadID, 0, "id"},
		{"ErrBadLabel/null", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a", "b", "c"}, []float64{1, 2, 3}, []any{int64(0), int64(1), nil})
		}, binary, ErrBadLabel, 3, "y"},
		{"ErrBadLabel/binary", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a", "b", "c"}, []float64{1, 2, 3}, []float64{0, 1, 0.5})
		}, binary, ErrBadLabel, 3, "y"},
		{"ErrBadLabel/string", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a"}, []float64{1}, []string{"1"})
		}, binary, ErrBadLabel, 0, "y"},
		{"ErrBadLabel/numericNaN", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a", "b"}, []float64{1, 2}, []float64{3, math.NaN()})
		}, func(mem memory.Allocator) Schema {
			return Schema{ID: "id", Label: "y", Kind: NumericLabel, Alloc: mem}
		}, ErrBadLabel, 2, "y"},
		{"ErrNotNumeric/string", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a"}, []string{"1.5"}, []int64{1})
		}, binary, ErrNotNumeric, 0, "a"},
		{"ErrMissingColumn", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, []string{"id", "a", "target"}, []string{"a"}, []float64{1}, []int64{1})
		}, binary, ErrMissingColumn, 0, "y"},
		{"ErrDuplicateColumn", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, []string{"id", "a", "y", "a"}, []string{"a"}, []float64{1}, []int64{1}, []float64{1})
		}, binary, ErrDuplicateColumn, 0, "a"},
		{"ErrBadGroup/null", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, []string{"id", "q"}, []string{"a", "b"}, []any{"q1", nil})
		}, func(mem memory.Allocator) Schema { return Schema{ID: "id", Group: "q", Alloc: mem} }, ErrBadGroup, 2, "q"},
		{"ErrEmpty", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{}, []float64{}, []int64{})
		}, binary, ErrEmpty, 0, ""},
		{"ErrTooLarge/rows", func(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
			return newRecord(t, mem, names, []string{"a", "b", "c"}, []float64{1, 2, 3}, []int64{0, 1, 0})
		}, func(mem memory.Allocator) Schema {
			return Schema{ID: "id", Label: "y", Kind: BinaryLabel, Alloc: mem, MaxRows: 2}
		}, ErrTooLarge, 0, ""},
	}
	formats := []struct {
		name  string
		f     Format
		bytes func(testing.TB, arrow.RecordBatch, memory.Allocator) []byte
	}{
		{"stream", IPCStream, func(t testing.TB, r arrow.RecordBatch, m memory.Allocator) []byte { return ipcStreamBytes(t, r, 2, m) }},
		{"file", IPCFile, func(t testing.TB, r arrow.RecordBatch, m memory.Allocator) []byte { return ipcFileBytes(t, r, 2, m) }},
		{"parquet", Parquet, func(t testing.TB, r arrow.RecordBatch, m memory.Allocator) []byte { return parquetBytes(t, r, 2, m) }},
	}
	for _, tc := range tests {
		for _, f := range formats {
			t.Run(tc.name+"/"+f.name, func(t *testing.T) {
				mem := checkedAlloc(t)
				rec := tc.build(t, mem)
				data := f.bytes(t, rec, mem)
				rec.Release()
				d, err := Read(bytes.NewReader(data), "in."+f.name, f.f, tc.schema(mem))
				if err == nil {
					d.Release()
				}
				wantParseError(t, err, tc.want, tc.row, tc.column)
			})
		}
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Format
		err  error
	}{
		{"data.csv", "id,a\n1,2\n", CSV, nil},
		{"data", "id,a\n1,2\n", CSV, nil},
		{"data.txt", "id,caf\xc3", CSV, nil}, // a rune cut by the sniff window
		{"x.csv", "PAR1\x15\x04", Parquet, nil},
		{"x", "ARROW1\x00\x00", IPCFile, nil},
		{"x.arrow", "\xff\xff\xff\xff\x10\x00", IPCStream, nil},
		{"data.parquet", "id,a\n1,2\n", Auto, ErrUnknownFormat},
		{"data.feather", "id,a\n1,2\n", Auto, ErrUnknownFormat},
		{"data.csv.gz", "\x1f\x8b\x08\x00", Auto, ErrUnknownFormat},
		{"data.xlsx", "PK\x03\x04\x14\x00", Auto, ErrUnknownFormat},
		{"data.bin", "id\x00a", Auto, ErrUnknownFormat},
		{"latin1.csv", "id,caf\xe9,x\n", Auto, ErrUnknownFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff([]byte(tc.head), tc.name)
			if got != tc.want || (tc.err == nil) != (err == nil) || (tc.err != nil && !errorsIs(err, tc.err)) {
				t.Errorf("got %v, %v; want %v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}
