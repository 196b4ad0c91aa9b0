// Command go_command is a Go guest fixture built as a WASI command, as a
// participant who leaves out -buildmode=c-shared would:
//
//	GOOS=wasip1 GOARCH=wasm go build -o ../go_command.wasm .
//
// It exports _start and the ABI but no _initialize, so the Go runtime is
// never initialized and any call of an export traps ("wasmexport function
// called before runtime initialization"): the sandbox must refuse it at
// validation and say how to rebuild.
package main

import "unsafe"

var buffers [][]float64

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
		y[i] = 0.5
	}
	return 0
}

func main() {}
