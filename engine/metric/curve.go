package metric

import (
	"math"
	"slices"
)

// Metrics computed from the ranking of scores: roc_auc, roc_auc_ovr,
// average_precision. Each walks the distinct scores from the highest down,
// as scikit-learn's _binary_clf_curve does, so tied scores form one step.

// sweep calls visit once per distinct score, highest first, with the total
// weight of positive rows (truth == pos) and of negative rows scoring at or
// above it. It sorts once and allocates once; without weights it sorts two
// plain slices of integer keys with a radix sort.
func sweep(truth []float64, pos float64, score, weight []float64, visit func(tp, fp float64)) {
	if weight == nil {
		sweepCounts(truth, pos, score, visit)
		return
	}
	// A negative row's weight is stored negated; the sign bit, which -0
	// also carries, keeps the class of zero-weight rows.
	type row struct{ s, w float64 }
	rows := make([]row, len(score))
	for i, s := range score {
		w := weight[i]
		if truth[i] != pos {
			w = math.Copysign(w, -1)
		}
		rows[i] = row{s, w}
	}
	slices.SortFunc(rows, func(a, b row) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		}
		return 0
	})
	var tp, fp float64
	for i := 0; i < len(rows); {
		s := rows[i].s
		for ; i < len(rows) && rows[i].s == s; i++ {
			if w := rows[i].w; math.Signbit(w) {
				fp -= w
			} else {
				tp += w
			}
		}
		visit(tp, fp)
	}
}

func sweepCounts(truth []float64, pos float64, score []float64, visit func(tp, fp float64)) {
	n := len(score)
	buf := make([]uint64, 2*n) // keys, then radix scratch
	buf, tmp := buf[:n], buf[n:]
	np, nn := 0, n
	for i, s := range score {
		if truth[i] == pos {
			buf[np] = sortKey(s)
			np++
		} else {
			nn--
			buf[nn] = sortKey(s)
		}
	}
	ps, ns := buf[:np], buf[np:]
	radixSort(ps, tmp[:np])
	radixSort(ns, tmp[np:])
	i, j := len(ps)-1, len(ns)-1
	var tp, fp float64
	for i >= 0 || j >= 0 {
		var s uint64
		if i >= 0 {
			s = ps[i]
		}
		if j >= 0 && ns[j] > s {
			s = ns[j]
		}
		for ; i >= 0 && ps[i] == s; i-- {
			tp++
		}
		for ; j >= 0 && ns[j] == s; j-- {
			fp++
		}
		visit(tp, fp)
	}
}

// sortKey maps a non-NaN float64 to a uint64 with the same order, and -0
// to the key of +0, so that integer comparison (which slices.Sort does
// without the NaN checks float64 needs) sorts and groups scores exactly.
func sortKey(f float64) uint64 {
	b := math.Float64bits(f + 0) // -0 + 0 = +0
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSort sorts a ascending using tmp (same length) as scratch: a
// least-significant-digit radix sort on bytes that skips the bytes all keys
// share, which for probabilities are most of the exponent.
func radixSort(a, tmp []uint64) {
	if len(a) < 512 {
		slices.Sort(a)
		return
	}
	var count [8][256]int
	for _, k := range a {
		for d := range 8 {
			count[d][byte(k>>(8*d))]++
		}
	}
	src, dst := a, tmp
	for d := range 8 {
		c := &count[d]
		shift := 8 * uint(d)
		if c[byte(src[0]>>shift)] == len(src) {
			continue // every key has this byte
		}
		sum := 0
		for b, m := range c {
			c[b] = sum
			sum += m
		}
		for _, k := range src {
			b := byte(k >> shift)
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

// classWeights returns the weight of rows with truth == pos and of the rest.
func classWeights(truth []float64, pos float64, weight []float64) (p, n float64) {
	for i, y := range truth {
		w := 1.0
		if weight != nil {
			w = weight[i]
		}
		if y == pos {
			p += w
		} else {
			n += w
		}
	}
	return p, n
}

// auc is the trapezoidal area under the ROC curve of column score against
// truth == pos. It fails when either class has no weight.
func auc(truth []float64, pos float64, score, weight []float64) (float64, error) {
	p, n := classWeights(truth, pos, weight)
	if p == 0 || n == 0 {
		return 0, undefined("truth holds a single class; ROC AUC needs both")
	}
	var area, tp0, fp0 float64
	sweep(truth, pos, score, weight, func(tp, fp float64) {
		area += (fp - fp0) * (tp + tp0)
		tp0, fp0 = tp, fp
	})
	return area / 2 / (p * n), nil
}

func rocAUC(in Input) (float64, error) {
	return auc(in.Truth, 1, in.Pred[0], in.Weight)
}

func rocAUCOvR(in Input) (float64, error) {
	var sum float64
	for c, col := range in.Pred {
		v, err := auc(in.Truth, float64(c), col, in.Weight)
		if err != nil {
			return 0, undefined("class %d has no rows (or all rows) in the truth; one-vs-rest AUC needs every class", c)
		}
		sum += v
	}
	return sum / float64(len(in.Pred)), nil
}

func averagePrecision(in Input) (float64, error) {
	p, _ := classWeights(in.Truth, 1, in.Weight)
	if p == 0 {
		return 0, undefined("truth has no positive rows; average precision needs one")
	}
	var ap, tp0 float64
	sweep(in.Truth, 1, in.Pred[0], in.Weight, func(tp, fp float64) {
		if tp > tp0 {
			ap += (tp - tp0) / p * (tp / (tp + fp))
		}
		tp0 = tp
	})
	return ap, nil
}
