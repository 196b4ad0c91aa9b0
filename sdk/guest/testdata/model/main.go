// Command model is a participant model written with the guest SDK: the
// probability of class 1 is a logistic function of the mean of the row's
// features; a row whose first feature is -1 makes it return an error.
package main

import (
	"errors"
	"math"

	"github.com/verdictlab/verdict/sdk/guest"
)

func init() {
	guest.Register(func(b guest.Batch) error {
		y := b.Output(0)
		for i := range y {
			y[i] = 0
		}
		for j := range b.Cols {
			x := b.Feature(j)
			for i := range y {
				if j == 0 && x[i] == -1 {
					return errors.New("feature 0 is -1: refusing to predict")
				}
				y[i] += x[i]
			}
		}
		for i := range y {
			y[i] = 1 / (2 + math.Expm1(-y[i]/float64(b.Cols)))
		}
		return nil
	})
}

func main() {}
