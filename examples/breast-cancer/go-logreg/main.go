//go:build wasip1

// Command go-logreg is alice's breast-cancer submission: the logistic
// regression of package logreg, compiled to a WASI reactor that implements
// the verdict guest ABI v1.
//
// Build it with:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags=-s -o model.wasm .
//
// -buildmode=c-shared makes a reactor (it exports _initialize, which the
// host calls once before anything else); a plain build makes a command
// with only _start, which verdict refuses.
package main

import (
	"unsafe"

	"github.com/verdictlab/verdict/examples/breast-cancer/logreg"
)

// Error codes returned by verdict_predict; the host reports them as guest
// errors.
const (
	okCode        = 0
	errBadShape   = 1 // rows < 0 or a nil buffer
	errBadColumns = 2 // cols is not logreg.NumFeatures
	errBadOutputs = 3 // outs is not 1 (binary task)
)

// pinned keeps every buffer handed to the host reachable, so the garbage
// collector never frees it. Go's collector does not move objects, so the
// addresses stay valid for the life of the instance.
var pinned [][]float64

// alloc returns an 8-byte-aligned region of at least size bytes, or nil
// (address 0) for a negative size. A []float64 is 8-byte aligned.
//
//go:wasmexport verdict_alloc
func alloc(size int32) unsafe.Pointer {
	if size < 0 {
		return nil
	}
	buf := make([]float64, (int(size)+7)/8+1) // +1: never a zero-size allocation
	pinned = append(pinned, buf)
	return unsafe.Pointer(&buf[0])
}

// predict reads rows×cols column-major float64 features at x and writes
// rows probabilities of class 1 at y.
//
//go:wasmexport verdict_predict
func predict(x unsafe.Pointer, rows, cols int32, y unsafe.Pointer, outs int32) int32 {
	switch {
	case rows < 0 || x == nil || y == nil:
		return errBadShape
	case cols != logreg.NumFeatures:
		return errBadColumns
	case outs != 1:
		return errBadOutputs
	case rows == 0:
		return okCode
	}
	xs := unsafe.Slice((*float64)(x), int(rows)*int(cols))
	ys := unsafe.Slice((*float64)(y), int(rows))
	logreg.Predict(xs, int(rows), int(cols), ys)
	return okCode
}

func main() {}
