// Command gomodel is a Go guest fixture: a good model built as a WASI reactor.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ../gomodel.wasm .
//
// For outs == 1 it predicts sigmoid(sum_j x[j][i] / (j+1)); for outs > 1 it
// predicts softmax_k(k * s) with the same score s, so every row sums to 1.
// NaN features count as 0.
package main

import (
	"math"
	"os"
	"unsafe"
)

// buffers keeps every allocation reachable so the Go GC never frees memory
// the host writes into.
var buffers [][]float64

func init() {
	os.Stdout.WriteString("gomodel: ready\n")
}

//go:wasmexport verdict_alloc
func verdictAlloc(size int32) unsafe.Pointer {
	if size <= 0 {
		return nil
	}
	b := make([]float64, (int(size)+7)/8) // float64 slices are 8-byte aligned
	buffers = append(buffers, b)
	return unsafe.Pointer(&b[0])
}

//go:wasmexport verdict_predict
func verdictPredict(xp unsafe.Pointer, rows, cols int32, yp unsafe.Pointer, outs int32) int32 {
	if rows < 0 || cols < 0 || outs < 1 {
		return 1
	}
	n, c, o := int(rows), int(cols), int(outs)
	x := unsafe.Slice((*float64)(xp), n*c)
	y := unsafe.Slice((*float64)(yp), n*o)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < c; j++ {
			if v := x[j*n+i]; !math.IsNaN(v) {
				s += v / float64(j+1)
			}
		}
		if o == 1 {
			y[i] = 1 / (1 + math.Exp(-s))
			continue
		}
		total := 0.0
		for k := 0; k < o; k++ {
			e := math.Exp(float64(k)*s - float64(o-1)*math.Abs(s))
			y[k*n+i] = e
			total += e
		}
		for k := 0; k < o; k++ {
			y[k*n+i] /= total
		}
	}
	return 0
}

func main() {}
