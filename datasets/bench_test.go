package datasets

import (
	"bytes"
	"os"
	"path/filepath"
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
