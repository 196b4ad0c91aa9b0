package bench

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// genRows is how many rows writeArrowTask generates per batch.
const genRows = 1 << 16

// genColumns returns feature j of rows [lo, hi) of a generated task:
// uniform in [0, 1), the same whoever asks (seeded by the row range and
// the column), so the benchmark can make the sandbox's input without
// reading the engine's copy.
func genColumn(j, lo, hi int) []float64 {
	out := make([]float64, hi-lo)
	for b := lo / genRows * genRows; b < hi; b += genRows {
		r := rand.New(rand.NewPCG(uint64(b), uint64(j)+1))
		for i := b; i < min(b+genRows, hi); i++ {
			v := r.Float64()
			if i >= lo {
				out[i-lo] = v
			}
		}
	}
	return out
}

// genBatch returns the features and labels of rows [lo, hi) of a
// generated task, drawing the labels from labels, which must have drawn
// those of rows [0, lo) before: a row's label is 1 with probability the
// mean of its features, summed in column order as the Linear guest does.
func genBatch(lo, hi, feats int, labels *rand.Rand) (x [][]float64, y []float64) {
	sum := make([]float64, hi-lo)
	for j := range feats {
		c := genColumn(j, lo, hi)
		for i, v := range c {
			sum[i] += v
		}
		x = append(x, c)
	}
	y = make([]float64, hi-lo)
	for i, v := range sum {
		if labels.Float64() < v/float64(feats) {
			y[i] = 1
		}
	}
	return x, y
}

// newLabels returns the label source of a generated task.
func newLabels() *rand.Rand { return rand.New(rand.NewPCG(7, 8)) }

// writeArrowTask writes a generated binary task of rows rows and feats
// uniform features to dir, batch by batch (memory bounded by a batch,
// whatever rows): data.arrow (id, f0..f{feats-1}, target) and task.yaml
// (roc_auc, public the given fraction of rows). The label of a row is 1 with probability the
// mean of its features, which the sandboxtest.Linear guest predicts.
// It returns the spec's path.
func writeArrowTask(tb testing.TB, dir string, rows, feats int, public float64) string {
	tb.Helper()
	fields := []arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}
	for j := range feats {
		fields = append(fields, arrow.Field{Name: "f" + strconv.Itoa(j), Type: arrow.PrimitiveTypes.Float64})
	}
	fields = append(fields, arrow.Field{Name: "target", Type: arrow.PrimitiveTypes.Float64})
	sch := arrow.NewSchema(fields, nil)
	f, err := os.Create(filepath.Join(dir, "data.arrow"))
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := ipc.NewFileWriter(bw, ipc.WithSchema(sch))
	if err != nil {
		tb.Fatal(err)
	}
	mem := memory.DefaultAllocator
	labels := newLabels()
	var id []byte
	for lo := 0; lo < rows; lo += genRows {
		hi := min(lo+genRows, rows)
		cols := make([]arrow.Array, 0, len(fields))
		ids := array.NewStringBuilder(mem)
		for i := lo; i < hi; i++ {
			id = strconv.AppendInt(append(id[:0], 'r'), int64(i), 10)
			ids.BinaryBuilder.Append(id)
		}
		cols = append(cols, ids.NewArray())
		ids.Release()
		x, y := genBatch(lo, hi, feats, labels)
		fb := array.NewFloat64Builder(mem)
		for _, c := range x {
			fb.AppendValues(c, nil)
			cols = append(cols, fb.NewArray())
		}
		fb.AppendValues(y, nil)
		cols = append(cols, fb.NewArray())
		fb.Release()
		rec := array.NewRecordBatch(sch, cols, int64(hi-lo))
		for _, c := range cols {
			c.Release()
		}
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	spec := filepath.Join(dir, "task.yaml")
	yaml := "id: scale\ntype: binary\nmetric: roc_auc\ndata: {test: data.arrow, id: id, label: target}\n" +
		"split: {public_fraction: " + strconv.FormatFloat(public, 'g', -1, 64) + ", seed: scale}\nlimits: {timeout_s: 3600}\n"
	if err := os.WriteFile(spec, []byte(yaml), 0o600); err != nil {
		tb.Fatal(err)
	}
	return spec
}

// peakRSS returns the process's peak resident set since resetPeakRSS
// (Linux: VmHWM of /proc/self/status), in bytes; 0 where unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS returns freed memory to the system and resets the peak
// resident set to the current one (Linux: 5 to /proc/self/clear_refs),
// so that peakRSS measures what follows.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
