package datasets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func BenchmarkLoadCSV(b *testing.B) {
	path := filepath.Join(exampleData, "breast_cancer_test.csv")
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	rows := 0
	for b.Loop() {
		d, err := Load(path, breastCancer(nil))
		if err != nil {
			b.Fatal(err)
		}
		rows += d.Rows()
		d.Release()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadFormats reads the breast cancer data as each format, for
// comparison with BenchmarkLoadCSV.
func BenchmarkReadFormats(b *testing.B) {
	mem := memory.NewGoAllocator()
	d, err := Load(filepath.Join(exampleData, "breast_cancer_test.csv"), breastCancer(mem))
	if err != nil {
		b.Fatal(err)
	}
	rec := toRecord(b, d, mem)
	inputs := []struct {
		name   string
		format Format
		data   []byte
	}{
		{"Parquet", Parquet, parquetBytes(b, rec, 1<<20, mem)},
		{"IPCFile", IPCFile, ipcFileBytes(b, rec, 1<<20, mem)},
		{"IPCStream", IPCStream, ipcStreamBytes(b, rec, 1<<20, mem)},
	}
	rec.Release()
	d.Release()
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			rows := 0
			for b.Loop() {
				d, err := Read(bytes.NewReader(in.data), in.name, in.format, breastCancer(mem))
				if err != nil {
					b.Fatal(err)
				}
				rows += d.Rows()
				d.Release()
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkOpen opens a stored dataset of 1e6 rows x 5 features (a task's
// first submission waits for it), with the row count recorded in the file
// and, for comparison, without it (files saved before it was recorded).
func BenchmarkOpen(b *testing.B) {
	const rows = 1_000_000
	var csv bytes.Buffer
	csv.WriteString("id,a,b,c,d,e,target\n")
	for i := range rows {
		fmt.Fprintf(&csv, "r%07d,%d.5,%d.25,%d,%d,%d,%d\n", i, i%97, i%89, i%83, i%79, i%73, i%2)
	}
	mem := memory.NewGoAllocator()
	d, err := Read(&csv, "big.csv", CSV, Schema{ID: "id", Label: "target", Kind: BinaryLabel, Alloc: mem})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	recorded, unrecorded := filepath.Join(dir, "recorded.arrow"), filepath.Join(dir, "unrecorded.arrow")
	if err := d.Save(recorded); err != nil {
		b.Fatal(err)
	}
	d.Release()
	resave(b, recorded, unrecorded, "", mem)
	for _, path := range []string{recorded, unrecorded} {
		b.Run(strings.TrimSuffix(filepath.Base(path), ".arrow"), func(b *testing.B) {
			for b.Loop() {
				d, err := Open(path, mem)
				if err != nil {
					b.Fatal(err)
				}
				d.Release()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
