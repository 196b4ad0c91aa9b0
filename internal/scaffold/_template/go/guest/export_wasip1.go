//go:build wasip1

package guest

import (
	"os"
	"unsafe"
)

// buffers keeps every region handed to the host alive (and unmoved: Go's
// collector does not move heap objects) for the life of the instance.
var buffers [][]float64

//go:wasmexport verdict_alloc
func verdictAlloc(size int32) unsafe.Pointer {
	if size <= 0 {
		return nil
	}
	buf := make([]float64, (int(size)+7)/8) // float64 backing: 8-byte aligned
	buffers = append(buffers, buf)
	return unsafe.Pointer(&buf[0])
}

//go:wasmexport verdict_predict
func verdictPredict(x unsafe.Pointer, rows, cols int32, y unsafe.Pointer, outs int32) int32 {
	if x == nil || y == nil || rows < 0 || cols < 0 || outs < 1 ||
		!owned(x, int(rows)*int(cols)) || !owned(y, int(rows)*int(outs)) {
		return CodeBadArguments
	}
	return predict(Batch{
		X:    unsafe.Slice((*float64)(x), int(rows)*int(cols)),
		Rows: int(rows), Cols: int(cols),
		Y:    unsafe.Slice((*float64)(y), int(rows)*int(outs)),
		Outs: int(outs), Stride: int(rows),
	})
}

//go:wasmexport verdict_predict_v2
func verdictPredictV2(x unsafe.Pointer, rows, cols, stride int32, y unsafe.Pointer, outs int32) int32 {
	if x == nil || y == nil || rows < 0 || cols < 0 || outs < 1 || stride < rows {
		return CodeBadArguments
	}
	nx, ny := span(int(cols), int(rows), int(stride)), span(int(outs), int(rows), int(stride))
	if !owned(x, nx) || !owned(y, ny) {
		return CodeBadArguments
	}
	return predict(Batch{
		X:    unsafe.Slice((*float64)(x), nx),
		Rows: int(rows), Cols: int(cols),
		Y:    unsafe.Slice((*float64)(y), ny),
		Outs: int(outs), Stride: int(stride),
	})
}

// owned reports whether n float64s from p lie inside one buffer from
// verdictAlloc.
func owned(p unsafe.Pointer, n int) bool {
	for _, b := range buffers {
		start := uintptr(unsafe.Pointer(&b[0]))
		if uintptr(p) >= start && uintptr(p)+uintptr(8*n) <= start+uintptr(8*len(b)) {
			return true
		}
	}
	return false
}

func reportError(err error) {
	os.Stderr.WriteString("verdict_predict: " + err.Error() + "\n")
}
