// Command golinear is the Go twin of clinear.c, the benchmark guest: a
// linear model with 20 weights built as a WASI reactor.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ../golinear.wasm .
//
// y[k][i] = B + sum_j W[j%20] * x[j][i] + k, summed column by column in
// feature order (bit-identical to sandboxtest.WeightedPredict).
package main

import "unsafe"

var w = [20]float64{
	0.5, -0.25, 0.125, 1.5, -2.0, 0.75, 0.0625, -0.5, 3.0, -1.25,
	0.375, -0.875, 2.5, -0.0625, 0.25, 1.125, -1.5, 0.625, -0.375, 1.0,
}

const b = 0.1

// buffers keeps every allocation reachable so the GC never frees memory
// the host writes into.
var buffers [][]float64

//go:wasmexport verdict_alloc
func verdictAlloc(size int32) unsafe.Pointer {
	if size <= 0 {
		return nil
	}
	buf := make([]float64, (int(size)+7)/8)
	buffers = append(buffers, buf)
	return unsafe.Pointer(&buf[0])
}

//go:wasmexport verdict_predict
func verdictPredict(xp unsafe.Pointer, rows, cols int32, yp unsafe.Pointer, outs int32) int32 {
	if rows < 0 || cols < 0 || outs < 1 {
		return 1
	}
	n, c, o := int(rows), int(cols), int(outs)
	x := unsafe.Slice((*float64)(xp), n*c)
	y := unsafe.Slice((*float64)(yp), n*o)
	y0 := y[:n]
	for i := range y0 {
		y0[i] = b
	}
	for j := 0; j < c; j++ {
		wj := w[j%20]
		col := x[j*n : j*n+n]
		for i, v := range col {
			y0[i] += wj * v
		}
	}
	for k := 1; k < o; k++ {
		yk := y[k*n : k*n+n]
		for i, v := range y0 {
			yk[i] = v + float64(k)
		}
	}
	return 0
}

func main() {}
