// Command gopanic is a Go guest fixture whose verdict_predict panics with an
// index out of range, to check that the Go panic message reaches the host's
// error.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ../gopanic.wasm .
package main

import "unsafe"

var (
	buffers [][]float64
	weights = []float64{1, 2, 3}
)

//go:wasmexport verdict_alloc
func verdictAlloc(size int32) unsafe.Pointer {
	if size <= 0 {
		return nil
	}
	b := make([]float64, (int(size)+7)/8)
	buffers = append(buffers, b)
	return unsafe.Pointer(&b[0])
}

//go:wasmexport verdict_predict
func verdictPredict(xp unsafe.Pointer, rows, cols int32, yp unsafe.Pointer, outs int32) int32 {
	y := unsafe.Slice((*float64)(yp), int(rows)*int(outs))
	for i := range y {
		y[i] = weights[int(cols)+2] // cols >= 1, so this is out of range
	}
	return 0
}

func main() {}
