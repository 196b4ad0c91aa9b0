//go:build wasip1

// Command memorizer is mallory's submission to the two-phase contest of
// `verdict demo --phases`, and it cheats on purpose: it has memorised the
// labels of the development phase's rows (seen.csv: the first 100 rows of
// ../../data/breast_cancer_test.csv, as if she had learnt them by probing
// the development leaderboard) and answers them perfectly, recognising a
// row by its first three features. On any other row it knows nothing and
// answers 0.5. It tops the development board; the final phase re-runs it
// on rows nobody has seen, where it is worth a coin toss: what a final
// phase on unseen data is for.
//
// Build it with:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags=-s -o model.wasm .
package main

import (
	_ "embed"
	"strconv"
	"strings"
	"unsafe"
)

//go:embed seen.csv
var seenCSV string

// seen maps a development row's first three features to its label.
var seen = map[[3]float64]float64{}

func init() {
	for i, line := range strings.Split(strings.TrimSpace(seenCSV), "\n") {
		if i == 0 {
			continue // header
		}
		f := strings.Split(line, ",")
		var k [3]float64
		for j := range k {
			k[j], _ = strconv.ParseFloat(f[j], 64)
		}
		seen[k], _ = strconv.ParseFloat(f[3], 64)
	}
}

// pinned keeps every buffer handed to the host reachable.
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

// predict reads rows×cols column-major features at x and writes rows
// probabilities of class 1 at y: the memorised label, or 0.5.
//
//go:wasmexport verdict_predict
func predict(x unsafe.Pointer, rows, cols int32, y unsafe.Pointer, outs int32) int32 {
	switch {
	case rows < 0 || x == nil || y == nil:
		return 1
	case cols < 3:
		return 2
	case outs != 1:
		return 3
	case rows == 0:
		return 0
	}
	n := int(rows)
	xs := unsafe.Slice((*float64)(x), n*int(cols))
	ys := unsafe.Slice((*float64)(y), n)
	for i := range n {
		k := [3]float64{xs[i], xs[n+i], xs[2*n+i]}
		if label, ok := seen[k]; ok {
			ys[i] = label
		} else {
			ys[i] = 0.5
		}
	}
	return 0
}

func main() {}
