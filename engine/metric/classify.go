package metric

import "math"

// Classification metrics on probabilities (log_loss, brier) and on labels
// derived from them (everything built on the confusion matrix).

// eps is the probability clip of log_loss.
const eps = 1e-15

// weightAt returns row i's weight: 1 when weight is nil.
func weightAt(weight []float64, i int) float64 {
	if weight == nil {
		return 1
	}
	return weight[i]
}

// average returns sum(v_i * w_i) / sum(w_i) of values produced by f. When
// the sum overflows though every value is finite, it sums the values
// already divided (v_i * w_i / sum(w_i)), so that a representable mean
// comes out finite; it is infinite only when a value is.
func average(n int, weight []float64, f func(i int) float64) float64 {
	if weight == nil {
		var s float64
		for i := range n {
			s += f(i)
		}
		if isFinite(s) {
			return s / float64(n)
		}
		s = 0
		for i := range n {
			s += f(i) / float64(n)
		}
		return s
	}
	var s, ws float64
	for i, w := range weight {
		if w != 0 {
			s += w * f(i)
			ws += w
		}
	}
	if isFinite(s) {
		return s / ws
	}
	s = 0
	for i, w := range weight {
		if w != 0 {
			s += w / ws * f(i)
		}
	}
	return s
}

func clip(p float64) float64 { return min(max(p, eps), 1-eps) }

// logLoss follows sklearn 1.2: clip each probability to [eps, 1-eps],
// renormalise the row, take -log of the true class's share.
func logLoss(in Input) (float64, error) {
	return average(len(in.Truth), in.Weight, logLossTerm(in)), nil
}

// logLossTerm returns row i's log loss.
func logLossTerm(in Input) func(i int) float64 {
	if in.Type == Binary {
		p := in.Pred[0]
		return func(i int) float64 {
			q := clip(p[i])
			s := (1 - q) + q
			if in.Truth[i] == 1 {
				return -math.Log(q / s)
			}
			return -math.Log((1 - q) / s)
		}
	}
	return func(i int) float64 {
		var s float64
		for _, col := range in.Pred {
			s += clip(col[i])
		}
		return -math.Log(clip(in.Pred[int(in.Truth[i])][i]) / s)
	}
}

func brier(in Input) (float64, error) {
	return average(len(in.Truth), in.Weight, squaredError(in)), nil
}

// confusion is a weighted C x C confusion matrix: at(t, p) is the weight of
// rows with true class t predicted as p.
type confusion struct {
	c     int
	cells []float64
	truth []float64 // row sums: true support per class
	pred  []float64 // column sums: predicted count per class
	seen  []bool    // class occurs in truth or predictions, whatever its weight
	total float64
}

func (m *confusion) at(t, p int) float64 { return m.cells[t*m.c+p] }

// present reports whether class k occurs in the truth or the predictions,
// scikit-learn's unique_labels(y_true, y_pred), even on zero-weight rows.
func (m *confusion) present(k int) bool { return m.seen[k] }

func (m *confusion) trace() float64 {
	var s float64
	for k := range m.c {
		s += m.at(k, k)
	}
	return s
}

// predictedClass is the label derived from row i's probabilities: binary
// p >= 0.5 is class 1; multiclass is the argmax, lowest index on ties.
func predictedClass(in Input, i int) int {
	if in.Type == Binary {
		if in.Pred[0][i] >= 0.5 {
			return 1
		}
		return 0
	}
	best, bp := 0, in.Pred[0][i]
	for k := 1; k < len(in.Pred); k++ {
		if p := in.Pred[k][i]; p > bp {
			best, bp = k, p
		}
	}
	return best
}

func newConfusion(in Input) *confusion {
	c := len(in.Pred)
	if in.Type == Binary {
		c = 2
	}
	m := &confusion{c: c, cells: make([]float64, c*c), truth: make([]float64, c), pred: make([]float64, c), seen: make([]bool, c)}
	for i, y := range in.Truth {
		w := weightAt(in.Weight, i)
		t, p := int(y), predictedClass(in, i)
		m.cells[t*c+p] += w
		m.truth[t] += w
		m.pred[p] += w
		m.seen[t], m.seen[p] = true, true
	}
	m.total = sum(m.truth)
	return m
}

// fromConfusion turns a metric of the confusion matrix into a metric of
// the input.
func fromConfusion(f func(*confusion) (float64, error)) func(Input) (float64, error) {
	return func(in Input) (float64, error) { return f(newConfusion(in)) }
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// div is a/b, or 0 when b is 0 (sklearn zero_division=0).
func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// fscore is sklearn's F1 from precision and recall.
func fscore(p, r float64) float64 {
	return div(2*p*r, p+r)
}

// classF1 is the F1 of class k against the rest.
func (m *confusion) classF1(k int) float64 {
	tp := m.at(k, k)
	return fscore(div(tp, m.pred[k]), div(tp, m.truth[k]))
}

func accuracy(m *confusion) (float64, error) {
	return m.trace() / m.total, nil
}

func balancedAccuracy(m *confusion) (float64, error) {
	var s float64
	var n int
	for k := range m.c {
		if m.truth[k] > 0 {
			s += m.at(k, k) / m.truth[k]
			n++
		}
	}
	return s / float64(n), nil
}

func precision(m *confusion) (float64, error) {
	return div(m.at(1, 1), m.pred[1]), nil
}

func recall(m *confusion) (float64, error) {
	return div(m.at(1, 1), m.truth[1]), nil
}

func f1(m *confusion) (float64, error) {
	return m.classF1(1), nil
}

func f1Macro(m *confusion) (float64, error) {
	var s float64
	var n int
	for k := range m.c {
		if m.present(k) {
			s += m.classF1(k)
			n++
		}
	}
	return s / float64(n), nil
}

func f1Micro(m *confusion) (float64, error) {
	p := m.trace() / m.total
	return fscore(p, p), nil
}

func f1Weighted(m *confusion) (float64, error) {
	var s float64
	for k := range m.c {
		if m.truth[k] > 0 {
			s += m.classF1(k) * m.truth[k]
		}
	}
	return s / m.total, nil
}

// mcc is sklearn's matthews_corrcoef (Gorodkin's R_K for C > 2).
func mcc(m *confusion) (float64, error) {
	var tp, pp float64
	for k := range m.c {
		tp += m.truth[k] * m.pred[k]
		pp += m.pred[k] * m.pred[k]
	}
	var tt float64
	for k := range m.c {
		tt += m.truth[k] * m.truth[k]
	}
	n := m.total
	cov := m.trace()*n - tp
	vp := n*n - pp
	vt := n*n - tt
	if vp*vt == 0 {
		return 0, nil
	}
	return cov / math.Sqrt(vt*vp), nil
}

// kappa is sklearn's cohen_kappa_score with disagreement weight w(t, p).
func kappa(m *confusion, w func(t, p int) float64) (float64, error) {
	var obs, exp float64
	for t := range m.c {
		for p := range m.c {
			if wt := w(t, p); wt != 0 {
				obs += wt * m.at(t, p)
				exp += wt * m.truth[t] * m.pred[p] / m.total
			}
		}
	}
	if exp == 0 {
		return 0, undefined("chance disagreement is 0 (truth and predictions are one and the same class)")
	}
	return 1 - obs/exp, nil
}

func cohenKappa(m *confusion) (float64, error) {
	return kappa(m, func(t, p int) float64 {
		if t == p {
			return 0
		}
		return 1
	})
}

// quadraticKappa weights by the squared distance between class indices
// 0..C-1, i.e. sklearn's cohen_kappa_score(..., labels=range(C),
// weights="quadratic"); sklearn's default would renumber the classes
// present, shrinking distances across an absent class.
func quadraticKappa(m *confusion) (float64, error) {
	return kappa(m, func(t, p int) float64 {
		d := float64(t - p)
		return d * d
	})
}
