// Command model is a verdict model: a logistic regression over the three
// features of sample/rows.csv. Replace the weights (or the whole of
// predict) with your own model; keep package main, the Register call and
// the empty main.
//
// Build it (see the Makefile):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o model.wasm .
package main

import (
	"fmt"
	"math"

	"github.com/verdictlab/verdict/sdk/guest"
)

// weights[j] multiplies feature j, in the task's column order.
var weights = []float64{0.8, -0.5, 0.3}

const bias = 0.1

func init() {
	guest.Register(predict)
}

// predict writes P(class 1) for every row of the batch. A missing feature
// is NaN and contributes nothing.
func predict(b guest.Batch) error {
	if b.Cols != len(weights) {
		return fmt.Errorf("got %d features, want %d", b.Cols, len(weights))
	}
	if b.Outs != 1 {
		return fmt.Errorf("got %d outputs, want 1 (a binary task)", b.Outs)
	}
	y := b.Output(0)
	for i := range y {
		y[i] = bias
	}
	for j, w := range weights {
		for i, v := range b.Feature(j) {
			if !math.IsNaN(v) {
				y[i] += w * v
			}
		}
	}
	for i, z := range y {
		y[i] = 1 / (1 + math.Exp(-z))
	}
	return nil
}

// main is never called: the host calls the SDK's exports.
func main() {}
