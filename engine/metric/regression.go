package metric

import (
	"math"
	"slices"
)

// Regression metrics. Truth and predictions are finite (validate checked).

func mse(in Input) (float64, error) {
	if in.Weight == nil {
		return meanDiff(in.Truth, in.Pred[0], false), nil
	}
	return average(len(in.Truth), in.Weight, squaredError(in)), nil
}

// meanDiff is the unweighted mean of (truth[i] - pred[i])^2, or of
// |truth[i] - pred[i]| when abs is set: the hot loop of mse, rmse and
// mae, summed in four interleaved partial sums. The two loops are spelled
// out because a function value would not be inlined.
func meanDiff(truth, pred []float64, abs bool) float64 {
	n := len(truth)
	pred = pred[:n]
	var s0, s1, s2, s3 float64
	i := 0
	if abs {
		for ; i+4 <= n; i += 4 {
			s0 += math.Abs(truth[i] - pred[i])
			s1 += math.Abs(truth[i+1] - pred[i+1])
			s2 += math.Abs(truth[i+2] - pred[i+2])
			s3 += math.Abs(truth[i+3] - pred[i+3])
		}
		for ; i < n; i++ {
			s0 += math.Abs(truth[i] - pred[i])
		}
	} else {
		for ; i+4 <= n; i += 4 {
			d0, d1 := truth[i]-pred[i], truth[i+1]-pred[i+1]
			d2, d3 := truth[i+2]-pred[i+2], truth[i+3]-pred[i+3]
			s0 += d0 * d0
			s1 += d1 * d1
			s2 += d2 * d2
			s3 += d3 * d3
		}
		for ; i < n; i++ {
			d := truth[i] - pred[i]
			s0 += d * d
		}
	}
	if s := s0 + s1 + (s2 + s3); isFinite(s) {
		return s / float64(n)
	}
	// The sum overflowed: average divides each term first.
	if abs {
		return average(n, nil, func(i int) float64 { return math.Abs(truth[i] - pred[i]) })
	}
	return average(n, nil, func(i int) float64 { d := truth[i] - pred[i]; return d * d })
}

func rmse(in Input) (float64, error) {
	v, err := mse(in)
	return math.Sqrt(v), err
}

func mae(in Input) (float64, error) {
	if in.Weight == nil {
		return meanDiff(in.Truth, in.Pred[0], true), nil
	}
	return average(len(in.Truth), in.Weight, absoluteError(in)), nil
}

func rmsle(in Input) (float64, error) {
	p := in.Pred[0]
	for i, y := range in.Truth {
		if y < 0 {
			return 0, invalid(i, "truth %v is negative; rmsle needs values >= 0", y)
		}
		if p[i] < 0 {
			return 0, invalid(i, "prediction %v is negative; rmsle needs values >= 0", p[i])
		}
	}
	return math.Sqrt(average(len(in.Truth), in.Weight, squaredLogError(in))), nil
}

// mape divides by max(|truth|, machine epsilon) like sklearn, so a zero
// truth gives a huge but finite term.
func mape(in Input) (float64, error) {
	return average(len(in.Truth), in.Weight, relativeError(in)), nil
}

// Per-row terms of the mean-type metrics, shared by Score and the
// bootstrap. Each reads column 0 of the predictions.

func squaredError(in Input) func(i int) float64 {
	p := in.Pred[0]
	return func(i int) float64 {
		d := in.Truth[i] - p[i]
		return d * d
	}
}

func absoluteError(in Input) func(i int) float64 {
	p := in.Pred[0]
	return func(i int) float64 { return math.Abs(in.Truth[i] - p[i]) }
}

func squaredLogError(in Input) func(i int) float64 {
	p := in.Pred[0]
	return func(i int) float64 {
		d := math.Log1p(in.Truth[i]) - math.Log1p(p[i])
		return d * d
	}
}

func relativeError(in Input) func(i int) float64 {
	const epsilon = 0x1p-52
	p := in.Pred[0]
	return func(i int) float64 {
		return math.Abs(p[i]-in.Truth[i]) / max(math.Abs(in.Truth[i]), epsilon)
	}
}

// medianAE is np.median of the absolute errors; with weights it is
// sklearn's _weighted_percentile(50): the smallest error whose cumulative
// weight reaches half the total.
func medianAE(in Input) (float64, error) {
	n := len(in.Truth)
	p := in.Pred[0]
	if in.Weight == nil {
		e := make([]float64, n)
		for i, y := range in.Truth {
			e[i] = math.Abs(p[i] - y)
		}
		slices.Sort(e)
		if n%2 == 1 {
			return e[n/2], nil
		}
		return (e[n/2-1] + e[n/2]) / 2, nil
	}
	type ew struct{ e, w float64 }
	e := make([]ew, n)
	var total float64
	for i, y := range in.Truth {
		e[i] = ew{math.Abs(p[i] - y), in.Weight[i]}
		total += in.Weight[i]
	}
	slices.SortFunc(e, func(a, b ew) int {
		switch {
		case a.e < b.e:
			return -1
		case a.e > b.e:
			return 1
		}
		return 0
	})
	half := total / 2
	var cdf float64
	for _, x := range e {
		cdf += x.w
		if cdf >= half {
			return x.e, nil
		}
	}
	return e[n-1].e, nil
}

// r2 and explainedVariance follow sklearn's force_finite: on constant
// truth they are 1 for a perfect model and 0 otherwise.
func r2(in Input) (float64, error) {
	if len(in.Truth) < 2 {
		return 0, undefined("r2 needs at least 2 rows")
	}
	p := in.Pred[0]
	mean := average(len(in.Truth), in.Weight, func(i int) float64 { return in.Truth[i] })
	var sse, sst float64
	for i, y := range in.Truth {
		w := weightAt(in.Weight, i)
		d := y - p[i]
		sse += w * d * d
		d = y - mean
		sst += w * d * d
	}
	return finiteRatio(sse, sst), nil
}

func explainedVariance(in Input) (float64, error) {
	n := len(in.Truth)
	p := in.Pred[0]
	diffMean := average(n, in.Weight, func(i int) float64 { return in.Truth[i] - p[i] })
	num := average(n, in.Weight, func(i int) float64 {
		d := in.Truth[i] - p[i] - diffMean
		return d * d
	})
	mean := average(n, in.Weight, func(i int) float64 { return in.Truth[i] })
	den := average(n, in.Weight, func(i int) float64 {
		d := in.Truth[i] - mean
		return d * d
	})
	return finiteRatio(num, den), nil
}

// finiteRatio is 1 - num/den with sklearn's force_finite rule for den == 0.
func finiteRatio(num, den float64) float64 {
	switch {
	case den != 0:
		return 1 - num/den
	case num == 0:
		return 1
	default:
		return 0
	}
}

// correlation is the Pearson correlation of x and y. When the sums
// overflow (values near 1e308), it rescales each column by a power of 2,
// which is exact, so that its largest magnitude is below 1.
func correlation(x, y []float64) (float64, error) {
	if len(x) < 2 {
		return 0, undefined("correlation needs at least 2 rows")
	}
	sxy, sxx, syy := comoments(x, y)
	if !isFinite(sxy) || !isFinite(sxx) || !isFinite(syy) {
		sxy, sxx, syy = comoments(scaled(x), scaled(y))
	}
	if sxx == 0 || syy == 0 {
		return 0, undefined("truth or predictions are constant; correlation needs variation in both")
	}
	r := sxy / (math.Sqrt(sxx) * math.Sqrt(syy))
	return max(-1, min(1, r)), nil
}

// comoments returns the sums of (x-mean)(y-mean), (x-mean)^2, (y-mean)^2.
func comoments(x, y []float64) (sxy, sxx, syy float64) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy, sxx, syy
}

// scaled returns v times the power of 2 that brings its largest magnitude
// into [0.5, 1).
func scaled(v []float64) []float64 {
	var big float64
	for _, x := range v {
		big = max(big, math.Abs(x))
	}
	_, exp := math.Frexp(big)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Ldexp(x, -exp)
	}
	return out
}

func pearson(in Input) (float64, error) {
	return correlation(in.Truth, in.Pred[0])
}

func spearman(in Input) (float64, error) {
	return correlation(ranks(in.Truth), ranks(in.Pred[0]))
}

// ranks returns the 1-based ranks of v, tied values sharing their mean rank
// (scipy.stats.rankdata method "average").
func ranks(v []float64) []float64 {
	type iv struct {
		v float64
		i int
	}
	s := make([]iv, len(v))
	for i, x := range v {
		s[i] = iv{x, i}
	}
	slices.SortFunc(s, func(a, b iv) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	r := make([]float64, len(v))
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j].v == s[i].v {
			j++
		}
		mean := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			r[s[k].i] = mean
		}
		i = j
	}
	return r
}
