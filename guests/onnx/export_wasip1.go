//go:build wasip1

package main

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/verdictlab/verdict/guests/onnx/graph"
)

// Return codes of verdict_predict and verdict_model_load.
const (
	codeOK      = 0
	codeError   = 1
	codeNoModel = 2
)

var (
	buffers [][]float64 // everything verdict_alloc handed out stays reachable
	model   *graph.Model
)

//go:wasmexport verdict_alloc
func verdictAlloc(size int32) unsafe.Pointer {
	if size < 0 {
		return nil
	}
	b := make([]float64, (int(size)+7)/8+1)
	buffers = append(buffers, b)
	return unsafe.Pointer(&b[0])
}

//go:wasmexport verdict_model_load
func verdictModelLoad(p unsafe.Pointer, size int32) int32 {
	if p == nil || size <= 0 {
		fmt.Fprintln(os.Stderr, "onnx: empty model")
		return codeError
	}
	b := unsafe.Slice((*byte)(p), int(size))
	m, err := graph.Load(b)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return codeError
	}
	model = m
	// The model bytes are no longer needed: drop the buffer that held them.
	for i := range buffers {
		if unsafe.Pointer(&buffers[i][0]) == p {
			buffers = append(buffers[:i], buffers[i+1:]...)
			break
		}
	}
	return codeOK
}

//go:wasmexport verdict_predict
func verdictPredict(x unsafe.Pointer, rows, cols int32, y unsafe.Pointer, outs int32) int32 {
	if model == nil {
		fmt.Fprintln(os.Stderr, "onnx: no model: pack one with `verdict pack model.onnx -o model.wasm`")
		return codeNoModel
	}
	xs := unsafe.Slice((*float64)(x), int(rows)*int(cols))
	ys := unsafe.Slice((*float64)(y), int(rows)*int(outs))
	if err := model.Predict(xs, int(rows), int(cols), ys, int(outs)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return codeError
	}
	return codeOK
}
