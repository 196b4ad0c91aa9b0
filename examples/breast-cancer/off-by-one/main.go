//go:build wasip1

// Command off-by-one is carol's breast-cancer submission, and it has a bug on
// purpose: it builds, exports everything the guest ABI asks for and passes
// validation, but its first prediction panics with
//
//	panic: runtime error: index out of range [N] with length N
//
// so the demo shows how verdict reports a guest that traps. The model is a
// hand-rolled linear score on the raw (unstandardized) features whose
// weight table carries the bias as its last entry; the loop over features
// runs one step too far, reading a feature column that does not exist.
//
// Build it with:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags=-s -o model.wasm .
package main

import (
	"math"
	"unsafe"
)

// weights are per-feature weights for the 30 raw features followed by the
// bias, hand-tuned by looking at the "worst_*" columns.
var weights = [31]float64{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	-0.35, -0.12, -0.04, -0.002, -8, -1.5, -2.5, -12, -3, -10, // worst_*
	12.5, // bias
}

var pinned [][]float64

//go:wasmexport verdict_alloc
func alloc(size int32) unsafe.Pointer {
	if size < 0 {
		return nil
	}
	buf := make([]float64, (int(size)+7)/8+1)
	pinned = append(pinned, buf)
	return unsafe.Pointer(&buf[0])
}

//go:wasmexport verdict_predict
func predict(xp unsafe.Pointer, rows, cols int32, yp unsafe.Pointer, outs int32) int32 {
	if rows <= 0 || cols != 30 || outs != 1 {
		return 1
	}
	n, p := int(rows), int(cols)
	x := unsafe.Slice((*float64)(xp), n*p)
	y := unsafe.Slice((*float64)(yp), n)
	for i := 0; i < n; i++ {
		z := 0.0
		// Include the bias: it is the last entry of weights.
		for j := 0; j <= p; j++ { // BUG: the bias has no feature column; stop at j < p and add weights[p]
			z += weights[j] * x[j*n+i]
		}
		y[i] = 1 / (1 + math.Exp(-z))
	}
	return 0
}

func main() {}
