package datasets

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestHashGolden pins the hash of the example data to the values that
// testdata/hash.py, an independent implementation of the encoding in
// doc.go, prints. A change here is a change of encoding: bump hashTag.
func TestHashGolden(t *testing.T) {
	tests := []struct {
		file string
		kind LabelKind
		want string
	}{
		{"breast_cancer_test.csv", BinaryLabel, "7c58fd0886c0ecdc7992d52e8a56f346a6ca893980f54dfbee1b086c7113748e"},
		{"wine_test.csv", MulticlassLabel, "7175932201289c387100dad5550dd468500b0d4b886dcb2b457902966ae1cdd1"},
		{"diabetes_test.csv", NumericLabel, "b07629097a3d48b4d6aa7a1e5c44a8b1593bb2e3e6bc300018faeda88b0b6816"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			d, err := Load(filepath.Join(exampleData, tc.file), Schema{ID: "id", Label: "target", Kind: tc.kind, Alloc: checkedAlloc(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			if d.Hash != tc.want {
				t.Errorf("got %s, want %s", d.Hash, tc.want)
			}
		})
	}
}

// TestHashSensitivity checks that the hash sees every part of the
// encoding, and not what it leaves out.
func TestHashSensitivity(t *testing.T) {
	base := "id,a,b,y\nr1,1,2,0\nr2,3,4,1\n"
	schema := Schema{ID: "id", Label: "y", Kind: BinaryLabel}
	tests := []struct {
		name   string
		input  string
		schema Schema
		same   bool
	}{
		{"Value", "id,a,b,y\nr1,1,2,0\nr2,3,4.5,1\n", schema, false},
		{"Label", "id,a,b,y\nr1,1,2,1\nr2,3,4,1\n", schema, false},
		{"ID", "id,a,b,y\nr1,1,2,0\nr3,3,4,1\n", schema, false},
		{"RowOrder", "id,a,b,y\nr2,3,4,1\nr1,1,2,0\n", schema, false},
		{"FeatureName", "id,a,c,y\nr1,1,2,0\nr2,3,4,1\n", schema, false},
		{"FeatureOrder", base, Schema{ID: "id", Label: "y", Kind: BinaryLabel, Features: []string{"b", "a"}}, false},
		{"Kind", base, Schema{ID: "id", Label: "y", Kind: NumericLabel}, false},
		{"NoLabel", base, Schema{ID: "id", Features: []string{"a", "b"}}, false},
		{"Group", "id,a,b,y\nr1,1,2,0\nr2,3,4,1\n", Schema{ID: "id", Label: "y", Kind: BinaryLabel, Group: "b"}, false},
		{"Spelling", "id,a,b,y\nr1,1.0,2e0,0.0\nr2,+3,4.00,1\n", schema, true},
		{"IDColumnName", "key,a,b,target\nr1,1,2,0\nr2,3,4,1\n", Schema{ID: "key", Label: "target", Kind: BinaryLabel}, true},
		{"ColumnPosition", "y,b,id,a\n0,2,r1,1\n1,4,r2,3\n", Schema{ID: "id", Label: "y", Kind: BinaryLabel, Features: []string{"a", "b"}}, true},
	}
	ref := mustRead(t, base, schema)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustRead(t, tc.input, tc.schema)
			if (got == ref) != tc.same {
				t.Errorf("got hash %s vs %s, want same=%v", got, ref, tc.same)
			}
		})
	}
	// Every NaN hashes alike, whatever its spelling or payload.
	nan1 := mustRead(t, "id,a\nr1,NaN\n", Schema{ID: "id"})
	nan2 := mustRead(t, "id,a\nr1,\n", Schema{ID: "id"})
	if nan1 != nan2 {
		t.Errorf("got %s and %s for NaN and null, want equal", nan1, nan2)
	}
	for _, bits := range []uint64{0x7ff8000000000001, 0xfff8000000000000, 0x7ff0000000000001} {
		mem := checkedAlloc(t)
		rec := newRecord(t, mem, []string{"id", "a"}, []string{"r1"}, []float64{math.Float64frombits(bits)})
		data := ipcStreamBytes(t, rec, 1, mem)
		rec.Release()
		d, err := Read(bytes.NewReader(data), "nan.arrows", Auto, Schema{ID: "id", Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		if d.Hash != nan1 {
			t.Errorf("NaN %#x: got hash %s, want %s", bits, d.Hash, nan1)
		}
		d.Release()
	}
}

func mustRead(t *testing.T, input string, s Schema) string {
	t.Helper()
	s.Alloc = checkedAlloc(t)
	d, err := Read(strings.NewReader(input), "h.csv", CSV, s)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	return d.Hash
}
