package datasets

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/verdictlab/verdict/datasets/datasetstest"
)

// Fuzz inputs are bounded so that every iteration stays small.
const fuzzMaxInput = 64 << 10

// fuzzSchema picks a schema from mode: the label kind (none, binary,
// multiclass, numeric) and whether column "q" is a group.
func fuzzSchema(mode uint8, mem memory.Allocator) Schema {
	s := Schema{ID: "id", Alloc: mem, MaxBytes: 1 << 20, MaxRows: 1 << 12, MaxCells: 1 << 16}
	if k := []LabelKind{NoLabel, BinaryLabel, MulticlassLabel, NumericLabel}[mode%4]; k != NoLabel {
		s.Label, s.Kind = "y", k
	}
	if mode&4 != 0 {
		s.Group = "q"
	}
	return s
}

// csvSeeds returns the files of testdata/csv with the mode that reads
// each best (group.csv: numeric labels and a group).
func csvSeeds(t testing.TB) map[string]uint8 {
	seeds := map[string]uint8{}
	files, err := filepath.Glob(filepath.Join("testdata", "csv", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds in testdata/csv: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mode := uint8(2) // multiclass
		if filepath.Base(f) == "group.csv" {
			mode = 3 | 4
		}
		seeds[string(data)] = mode
	}
	return seeds
}

// checkDataset checks the invariants of a loaded dataset, and that it
// survives a trip through an IPC stream with the same hash.
func checkDataset(t *testing.T, d *Dataset, s Schema, mem memory.Allocator) {
	t.Helper()
	n := d.Rows()
	if n == 0 || int(d.Features.NumRows()) != n || len(d.FeatureNames) != int(d.Features.NumCols()) {
		t.Fatalf("got %d rows, features %d×%d for %d names", n, d.Features.NumRows(), d.Features.NumCols(), len(d.FeatureNames))
	}
	seen := map[string]bool{}
	for _, id := range d.IDs {
		if id == "" || seen[id] {
			t.Fatalf("got empty or duplicate id %q", id)
		}
		seen[id] = true
	}
	for j, name := range d.FeatureNames {
		if name == s.ID || name == s.Label || name == s.Group {
			t.Fatalf("got %q among the features", name)
		}
		if len(d.Column(j)) != n || d.Features.Column(j).NullN() != 0 {
			t.Fatalf("feature %d: got %d values, %d nulls", j, len(d.Column(j)), d.Features.Column(j).NullN())
		}
	}
	if (s.Label == "") != (d.Labels == nil) || (d.Labels != nil && len(d.Labels) != n) {
		t.Fatalf("got %d labels for label column %q", len(d.Labels), s.Label)
	}
	for _, v := range d.Labels {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0),
			s.Kind == BinaryLabel && v != 0 && v != 1,
			s.Kind == MulticlassLabel && (v < 0 || v != math.Trunc(v) || int(v) >= d.NumClasses):
			t.Fatalf("got %s label %v (%d classes)", s.Kind, v, d.NumClasses)
		}
	}
	rec := toRecord(t, d, mem)
	data := ipcStreamBytes(t, rec, 3, mem)
	rec.Release()
	again, err := Read(bytes.NewReader(data), "again", IPCStream, s)
	if err != nil {
		t.Fatalf("reading the dataset back: %v", err)
	}
	defer again.Release()
	if again.Hash != d.Hash {
		t.Fatalf("got hash %s read back, want %s", again.Hash, d.Hash)
	}
}

// fuzzRead reads data in format f and checks the result. Errors must be
// *ParseError (or ErrBadSchema).
func fuzzRead(t *testing.T, data []byte, f Format, mode uint8) {
	if len(data) > fuzzMaxInput {
		return
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	s := fuzzSchema(mode, mem)
	d, err := Read(bytes.NewReader(data), "fuzz", f, s)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("got %T %v, want a *ParseError", err, err)
		}
		if f == CSV {
			mem.AssertSize(t, 0)
		}
		return
	}
	checkDataset(t, d, s, mem)
	d.Release()
	mem.AssertSize(t, 0)
}

func FuzzLoadCSV(f *testing.F) {
	for data, mode := range csvSeeds(f) {
		f.Add([]byte(data), mode)
	}
	// Line breaks csvLimiter must read as encoding/csv does: blank lines,
	// "\r\n" in and after quoted fields, a final '\r', no final break.
	for _, s := range []string{
		"\r\n\nid,a,y\r\n\r\nr1,\"1\r\n\",0\r\nr2,2,1\r",
		"id,a,y\n\"r\"\"1\",\"2\"\r\n,1\n",
		"\r\r\nid,a,y\nr1,1,1",
	} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		fuzzRead(t, data, CSV, mode)
		// Sniffing never panics either.
		_, _ = Sniff(data, "fuzz")
	})
}

// arrowSeeds converts the valid CSV seeds to bytes of another format.
func arrowSeeds(f *testing.F, encode func(testing.TB, *Dataset, memory.Allocator) []byte) {
	mem := memory.NewGoAllocator()
	for data, mode := range csvSeeds(f) {
		d, err := Read(bytes.NewReader([]byte(data)), "seed", CSV, fuzzSchema(mode, mem))
		if err != nil {
			continue
		}
		f.Add(encode(f, d, mem), mode)
		d.Release()
	}
}

func FuzzReadIPC(f *testing.F) {
	arrowSeeds(f, func(t testing.TB, d *Dataset, mem memory.Allocator) []byte {
		rec := toRecord(t, d, mem)
		defer rec.Release()
		return ipcStreamBytes(t, rec, 2, mem)
	})
	arrowSeeds(f, func(t testing.TB, d *Dataset, mem memory.Allocator) []byte {
		rec := toRecord(t, d, mem)
		defer rec.Release()
		return ipcFileBytes(t, rec, 2, mem)
	})
	// The JavaScript library's layout: the schema only in the footer.
	arrowSeeds(f, func(t testing.TB, d *Dataset, mem memory.Allocator) []byte {
		rec := toRecord(t, d, mem)
		defer rec.Release()
		js, err := datasetstest.IPCFileSchemaInFooter(ipcFileBytes(t, rec, 2, mem))
		if err != nil {
			t.Fatal(err)
		}
		return js
	})
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		fuzzRead(t, data, IPCStream, mode)
		fuzzRead(t, data, IPCFile, mode)
	})
}

func FuzzReadParquet(f *testing.F) {
	arrowSeeds(f, func(t testing.TB, d *Dataset, mem memory.Allocator) []byte {
		rec := toRecord(t, d, mem)
		defer rec.Release()
		return parquetBytes(t, rec, 2, mem)
	})
	arrowSeeds(f, func(t testing.TB, d *Dataset, mem memory.Allocator) []byte {
		rec := toRecord(t, d, mem)
		defer rec.Release()
		lz4, err := datasetstest.ParquetLegacyLZ4(parquetBytes(t, rec, 2, mem))
		if err != nil {
			t.Fatal(err)
		}
		return lz4
	})
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		fuzzRead(t, data, Parquet, mode)
	})
}
