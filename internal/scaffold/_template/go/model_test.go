package main

import (
	"math"
	"testing"

	"github.com/verdictlab/verdict/sdk/guest"
)

// TestPredict runs the model natively, in batches, as the host would.
func TestPredict(t *testing.T) {
	cols := [][]float64{{0, 1, math.NaN()}, {0, 2, 1}, {0, -1, 1}}
	out, err := guest.Run(cols, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range out[0] {
		if !(p > 0 && p < 1) {
			t.Errorf("row %d: got %v, want a probability", i, p)
		}
	}
	if want := 1 / (1 + math.Exp(-bias)); out[0][0] != want {
		t.Errorf("row 0: got %v, want %v", out[0][0], want)
	}
}
