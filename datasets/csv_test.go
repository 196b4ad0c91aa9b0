package datasets

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestReadCSVErrors(t *testing.T) {
	binary := Schema{ID: "id", Label: "y", Kind: BinaryLabel}
	multi := Schema{ID: "id", Label: "y", Kind: MulticlassLabel}
	numeric := Schema{ID: "id", Label: "y", Kind: NumericLabel}
	tests := []struct {
		name     string
		schema   Schema
		input    string
		want     error
		row      int
		column   string
		contains string // in the message, when set
	}{
		{name: "ErrMissingColumn/id", schema: binary, input: "key,a,y\nr1,1,0\n",
			want: ErrMissingColumn, column: "id", contains: `"key", "a", "y"`},
		{name: "ErrMissingColumn/label", schema: binary, input: "id,a,target\nr1,1,0\n",
			want: ErrMissingColumn, column: "y"},
		{name: "ErrMissingColumn/feature", schema: Schema{ID: "id", Features: []string{"a", "b"}}, input: "id,a\nr1,1\n",
			want: ErrMissingColumn, column: "b"},
		{name: "ErrMissingColumn/group", schema: Schema{ID: "id", Group: "q"}, input: "id,a\nr1,1\n",
			want: ErrMissingColumn, column: "q"},
		{name: "ErrDuplicateColumn", schema: binary, input: "id,a,b,a,y\nr1,1,2,3,0\n",
			want: ErrDuplicateColumn, column: "a", contains: "columns 2 and 4"},
		{name: "ErrDuplicateColumn/unused", schema: Schema{ID: "id", Features: []string{"a"}}, input: "id,a,x,x\nr1,1,2,3\n",
			want: ErrDuplicateColumn, column: "x"},
		{name: "ErrBadColumnName/empty", schema: Schema{ID: "id"}, input: "id,,b\nr1,1,2\n",
			want: ErrBadColumnName, column: "", contains: "column 2"},
		{name: "ErrDuplicateID", schema: binary, input: "id,a,y\nr1,1,0\nr2,2,1\nr1,3,1\n",
			want: ErrDuplicateID, row: 3, column: "id", contains: `"r1" on rows 1 and 3`},
		{name: "ErrBadID/empty", schema: binary, input: "id,a,y\nr1,1,0\n,2,1\n",
			want: ErrBadID, row: 2, column: "id"},
		{name: "ErrBadID/spaces", schema: binary, input: "id,a,y\n  ,2,1\n",
			want: ErrBadID, row: 1, column: "id"},
		{name: "ErrBadID/NA", schema: binary, input: "id,a,y\nNA,2,1\n",
			want: ErrBadID, row: 1, column: "id"},
		{name: "ErrBadID/utf8", schema: binary, input: "id,a,y\nr\xff,2,1\n",
			want: ErrBadID, row: 1, column: "id"},
		{name: "ErrBadLabel/missing", schema: binary, input: "id,a,y\nr1,1,0\nr2,2,\n",
			want: ErrBadLabel, row: 2, column: "y"},
		{name: "ErrBadLabel/NA", schema: numeric, input: "id,a,y\nr1,1,NA\n",
			want: ErrBadLabel, row: 1, column: "y"},
		{name: "ErrBadLabel/text", schema: numeric, input: "id,a,y\nr1,1,yes\n",
			want: ErrBadLabel, row: 1, column: "y", contains: `"yes" is not a number`},
		{name: "ErrBadLabel/binary2", schema: binary, input: "id,a,y\nr1,1,0\nr2,1,1\nr3,1,2\n",
			want: ErrBadLabel, row: 3, column: "y", contains: `"2" is not 0 or 1`},
		{name: "ErrBadLabel/binaryHalf", schema: binary, input: "id,a,y\nr1,1,0.5\n",
			want: ErrBadLabel, row: 1, column: "y"},
		{name: "ErrBadLabel/multiclassNegative", schema: multi, input: "id,a,y\nr1,1,2\nr2,1,-1\n",
			want: ErrBadLabel, row: 2, column: "y"},
		{name: "ErrBadLabel/multiclassFraction", schema: multi, input: "id,a,y\nr1,1,1.5\n",
			want: ErrBadLabel, row: 1, column: "y"},
		{name: "ErrBadLabel/multiclassInf", schema: multi, input: "id,a,y\nr1,1,Inf\n",
			want: ErrBadLabel, row: 1, column: "y"},
		{name: "ErrBadLabel/multiclassHuge", schema: multi, input: "id,a,y\nr1,1,1e9\n",
			want: ErrBadLabel, row: 1, column: "y", contains: "more than 65536 classes"},
		{name: "ErrBadLabel/numClasses", schema: Schema{ID: "id", Label: "y", Kind: MulticlassLabel, NumClasses: 3},
			input: "id,y\nr1,2\nr2,3\n", want: ErrBadLabel, row: 2, column: "y", contains: "3 classes"},
		{name: "ErrBadLabel/numericInf", schema: numeric, input: "id,a,y\nr1,1,-inf\n",
			want: ErrBadLabel, row: 1, column: "y", contains: "not a finite number"},
		{name: "ErrBadLabel/numericOverflow", schema: numeric, input: "id,a,y\nr1,1,1e400\n",
			want: ErrBadLabel, row: 1, column: "y"},
		{name: "ErrBadGroup/missing", schema: Schema{ID: "id", Group: "q"}, input: "id,q,a\nr1,q1,1\nr2,,2\n",
			want: ErrBadGroup, row: 2, column: "q"},
		{name: "ErrNotNumeric", schema: binary, input: "id,a,b,y\nr1,1,2,0\nr2,1,abc,0\n",
			want: ErrNotNumeric, row: 2, column: "b", contains: `"abc"`},
		{name: "ErrNotNumeric/comma", schema: binary, input: "id,a,y\nr1,\"1,5\",0\n",
			want: ErrNotNumeric, row: 1, column: "a", contains: `"1,5"`},
		{name: "ErrRaggedRow/short", schema: binary, input: "id,a,y\nr1,1,0\nr2,1\n",
			want: ErrRaggedRow, row: 2, contains: "2 fields, the header has 3"},
		{name: "ErrRaggedRow/long", schema: binary, input: "id,a,y\nr1,1,0,9\n",
			want: ErrRaggedRow, row: 1},
		{name: "ErrEmpty/headerOnly", schema: binary, input: "id,a,y\n",
			want: ErrEmpty},
		{name: "ErrEmpty/nothing", schema: binary, input: "",
			want: ErrEmpty},
		{name: "ErrMalformed/quote", schema: binary, input: "id,a,y\nr1,1,0\nr2,1\"2,0\n",
			want: ErrMalformed, row: 2, contains: "bare \" in non-quoted-field at byte 5 of line 3"},
		{name: "ErrMalformed/unterminated", schema: binary, input: "id,a,y\nr1,\"1,0\n",
			want: ErrMalformed, row: 1},
		{name: "ErrTooLarge/bytes", schema: Schema{ID: "id", MaxBytes: 20}, input: "id,a\nr1,1\nr2,2\nr3,3\nr4,4\n",
			want: ErrTooLarge},
		{name: "ErrTooLarge/rows", schema: Schema{ID: "id", MaxRows: 2}, input: "id,a\nr1,1\nr2,2\nr3,3\n",
			want: ErrTooLarge},
		{name: "ErrTooLarge/cells", schema: Schema{ID: "id", MaxCells: 5}, input: "id,a,b\nr1,1,1\nr2,2,2\nr3,3,3\n",
			want: ErrTooLarge},
		{name: "ErrTooLarge/field", schema: Schema{ID: "id"}, input: "id,a\nr1," + strings.Repeat("1", MaxFieldBytes+1) + "\n",
			want: ErrTooLarge, row: 1, column: "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := checkedAlloc(t)
			tc.schema.Alloc = mem
			d, err := Read(strings.NewReader(tc.input), "in.csv", CSV, tc.schema)
			if err == nil {
				d.Release()
			}
			wantParseError(t, err, tc.want, tc.row, tc.column)
			if tc.contains != "" && !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want it to contain %q", err, tc.contains)
			}
			if !strings.HasPrefix(err.Error(), "in.csv: ") {
				t.Errorf("got %q, want it to start with the file name", err)
			}
		})
	}
}

func TestReadBadSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema Schema
	}{
		{"NoID", Schema{}},
		{"LabelAsFeature", Schema{ID: "id", Label: "y", Kind: BinaryLabel, Features: []string{"a", "y"}}},
		{"IDAsFeature", Schema{ID: "id", Features: []string{"id"}}},
		{"GroupAsFeature", Schema{ID: "id", Group: "q", Features: []string{"q"}}},
		{"LabelIsID", Schema{ID: "id", Label: "id", Kind: NumericLabel}},
		{"KindWithoutLabel", Schema{ID: "id", Kind: BinaryLabel}},
		{"LabelWithoutKind", Schema{ID: "id", Label: "y"}},
		{"UnknownKind", Schema{ID: "id", Label: "y", Kind: "ordinal"}},
		{"NumClassesBinary", Schema{ID: "id", Label: "y", Kind: BinaryLabel, NumClasses: 2}},
		{"NumClassesOne", Schema{ID: "id", Label: "y", Kind: MulticlassLabel, NumClasses: 1}},
		{"DuplicateFeature", Schema{ID: "id", Features: []string{"a", "a"}}},
		{"NegativeLimit", Schema{ID: "id", MaxRows: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader("id,a,y,q\nr1,1,0,q\n"), "in.csv", CSV, tc.schema)
			if !errors.Is(err, ErrBadSchema) {
				t.Fatalf("got %v, want %v", err, ErrBadSchema)
			}
		})
	}
}

func TestReadCSVValues(t *testing.T) {
	mem := checkedAlloc(t)
	input := "\ufeffid,a,b,c,y\n" +
		"r1,1.5, 2 ,true,1\n" +
		"r2,,NA,False,0.0\n" +
		"\"r,3\",nan,NULL,-0,1\n" +
		"\"r\n4\",Inf,-1e-3,0x1p-2,-0\n"
	d, err := Read(strings.NewReader(input), "v.csv", Auto, Schema{ID: "id", Label: "y", Kind: BinaryLabel, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	nan := math.NaN()
	want := [][]float64{{1.5, nan, nan, math.Inf(1)}, {2, nan, nan, -1e-3}, {1, 0, 0, 0.25}}
	if got := strings.Join(d.FeatureNames, ","); got != "a,b,c" {
		t.Errorf("got features %s, want a,b,c", got)
	}
	if got := strings.Join(d.IDs, "|"); got != "r1|r2|r,3|r\n4" {
		t.Errorf("got ids %q, want r1|r2|r,3|r\\n4", got)
	}
	for j, col := range want {
		got := d.Column(j)
		for i := range col {
			if !sameFloat(got[i], col[i]) {
				t.Errorf("column %d row %d: got %v, want %v", j, i, got[i], col[i])
			}
		}
	}
	for i, l := range []float64{1, 0, 1, 0} {
		if d.Labels[i] != l || math.Signbit(d.Labels[i]) {
			t.Errorf("label %d: got %v, want %v", i, d.Labels[i], l)
		}
	}
	if d.Features.Column(0).NullN() != 0 {
		t.Errorf("got %d nulls, want 0 (NaN)", d.Features.Column(0).NullN())
	}
}

// sameFloat is == with NaN equal to NaN.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestReadCSVLine(t *testing.T) {
	// A quoted newline makes line and row differ.
	input := "id,a\n\"r\n1\",1\nr2,x\n"
	_, err := Read(strings.NewReader(input), "l.csv", CSV, Schema{ID: "id"})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want *ParseError", err)
	}
	if pe.Row != 2 || pe.Line != 4 {
		t.Errorf("got row %d line %d, want row 2 line 4", pe.Row, pe.Line)
	}
	if want := `l.csv: row 2 (line 4), column "a": datasets: not numeric: "x"`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestSchemaFeatures(t *testing.T) {
	input := "q,b,id,y,a\nq1,1,r1,0.5,2\nq1,3,r2,1.5,4\n"
	tests := []struct {
		name   string
		schema Schema
		want   string
		first  []float64
	}{
		{"Default", Schema{ID: "id", Label: "y", Kind: NumericLabel, Group: "q"}, "b,a", []float64{1, 2}},
		{"Explicit", Schema{ID: "id", Label: "y", Kind: NumericLabel, Features: []string{"a", "b"}}, "a,b", []float64{2, 1}},
		{"None", Schema{ID: "id", Label: "y", Kind: NumericLabel, Group: "q", Features: nil}, "b,a", []float64{1, 2}},
		{"NoLabel", Schema{ID: "id", Group: "q"}, "b,y,a", []float64{1, 0.5, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.schema.Alloc = checkedAlloc(t)
			d, err := Read(strings.NewReader(input), "f.csv", CSV, tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			if got := strings.Join(d.FeatureNames, ","); got != tc.want {
				t.Errorf("got features %s, want %s", got, tc.want)
			}
			if got := int(d.Features.NumCols()); got != len(tc.first) {
				t.Fatalf("got %d columns, want %d", got, len(tc.first))
			}
			for j, v := range tc.first {
				if got := d.Column(j)[0]; got != v {
					t.Errorf("column %d: got %v, want %v", j, got, v)
				}
			}
			if (tc.schema.Label == "") != (d.Labels == nil) {
				t.Errorf("got labels %v with label column %q", d.Labels, tc.schema.Label)
			}
			if (tc.schema.Group == "") != (d.Groups == nil) {
				t.Errorf("got groups %v with group column %q", d.Groups, tc.schema.Group)
			}
		})
	}
}

func TestReadNoFeatures(t *testing.T) {
	mem := checkedAlloc(t)
	d, err := Read(strings.NewReader("id,y\nr1,0\nr2,2\n"), "n.csv", CSV,
		Schema{ID: "id", Label: "y", Kind: MulticlassLabel, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if d.Rows() != 2 || d.Features.NumCols() != 0 || d.Features.NumRows() != 2 || len(d.FeatureNames) != 0 {
		t.Errorf("got %d rows, %d×%d features %v; want 2 rows, 2×0", d.Rows(), d.Features.NumRows(), d.Features.NumCols(), d.FeatureNames)
	}
	if d.NumClasses != 3 {
		t.Errorf("got %d classes, want 3", d.NumClasses)
	}
}
