package logreg

import "math"

// Predict writes to y[i] the probability of class 1 for each of the rows
// in x, which holds cols feature columns of length rows (column-major, as
// in the guest ABI: feature j of row i at x[j*rows+i]).
//
// A NaN or infinite feature counts as missing and contributes nothing,
// as if it were at its training mean. Predict panics if cols is not
// NumFeatures or if x or y is too short; the wasm wrapper checks the
// shapes first and returns an error code instead.
func Predict(x []float64, rows, cols int, y []float64) {
	if cols != NumFeatures {
		panic("logreg: wrong number of feature columns")
	}
	x = x[:rows*cols]
	y = y[:rows]
	for i := range y {
		y[i] = Intercept
	}
	// Walk column by column so every inner loop reads contiguous memory.
	for j := 0; j < NumFeatures; j++ {
		col := x[j*rows : (j+1)*rows]
		mean, scale, coef := Mean[j], Scale[j], Coef[j]
		for i, v := range col {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			// The explicit conversion forbids fusing into an FMA, so
			// native and wasm builds agree to the last bit.
			y[i] += float64(coef * ((v - mean) / scale))
		}
	}
	for i, z := range y {
		y[i] = sigmoid(z)
	}
}

// sigmoid is 1/(1+e^-z) computed with math.Expm1, which is pure Go on
// amd64, arm64 and wasm alike; math.Exp has amd64 and arm64 assembly whose
// last bit can differ from the pure-Go code a wasm build runs.
func sigmoid(z float64) float64 { return 1 / (2 + math.Expm1(-z)) }
