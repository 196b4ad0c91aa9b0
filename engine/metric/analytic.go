package metric

import "math"

// Analytical intervals. Resampling costs O(units) per resample, a thousand
// times over; at scale the metrics below have a closed-form standard
// error that costs one pass over work the plan already did, and is as
// honest as the bootstrap there (TestCoverage measures both). Bootstrap
// uses them from AnalyticMinUnits units on, unless BootstrapConfig.Method
// asks otherwise.

// Interval methods: Interval.Method and BootstrapConfig.Method.
const (
	// MethodBootstrap is the percentile bootstrap (Resamples resamples).
	MethodBootstrap = "bootstrap"
	// MethodAnalytic, in a BootstrapConfig, asks for the metric's
	// analytical interval whatever the number of units (falling back to
	// the bootstrap for metrics without one). It is never an
	// Interval.Method: that names the analytical method used.
	MethodAnalytic = "analytic"
	// MethodNormal is mean ± z·SE for a mean of per-unit terms (SE from
	// the sample variance; weighted, the ratio estimator's linearised
	// variance), mapped through the metric's increasing transform (rmse,
	// rmsle take the square root of the interval of the mean).
	MethodNormal = "normal"
	// MethodWilson is Wilson's score interval for an unweighted proportion
	// (accuracy).
	MethodWilson = "wilson"
	// MethodDeLong is AUC ± z·SE with DeLong's variance (DeLong, DeLong
	// and Clarke-Pearson 1988) from the structural components of one sort;
	// for roc_auc_ovr the same components' influence on the mean over
	// classes. Unweighted inputs only.
	MethodDeLong = "delong"
)

// AnalyticMinUnits is the number of resampling units (rows, or queries)
// from which Bootstrap with the default Method gives a metric's analytical
// interval, where it has one, instead of resampling. Below it the
// percentile bootstrap is kept: it is what smaller tasks always had, and
// the normal approximation is weakest there.
const AnalyticMinUnits = 10_000

// analytic is a plan that has a closed-form interval for its input.
type analytic interface {
	// analyticInterval returns the interval at level; ok is false when
	// the plan has no closed form for its input (e.g. weighted AUC) or
	// its standard error is not finite.
	analyticInterval(level float64) (iv Interval, ok bool)
}

var (
	_ analytic = (*meanPlan)(nil)
	_ analytic = (*confusionPlan)(nil)
	_ analytic = aucPlan{}
)

// zOf is the standard normal quantile at (1+level)/2.
func zOf(level float64) float64 { return math.Sqrt2 * math.Erfinv(level) }

// normalInterval is centre ± z·se, or ok false when either is not finite.
func normalInterval(centre, se, level float64, method string) (Interval, bool) {
	z := zOf(level)
	lo, hi := centre-z*se, centre+z*se
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
		return Interval{}, false
	}
	return Interval{Low: lo, High: hi, Level: level, Method: method}, true
}

// meanSE returns the mean of terms and its standard error. weight nil:
// the terms' sample variance over n. Weighted (terms already multiplied
// by their weight): the ratio estimator sum(terms)/sum(weight), with the
// linearised variance n/(n-1) * sum((terms - w*mean)^2) / sum(w)^2.
func meanSE(terms, weight []float64) (mean, se float64) {
	n := float64(len(terms))
	if weight == nil {
		for _, t := range terms {
			mean += t
		}
		mean /= n
		var ss float64
		for _, t := range terms {
			d := t - mean
			ss += d * d
		}
		return mean, math.Sqrt(ss / (n - 1) / n)
	}
	var s, ws float64
	for i, t := range terms {
		s += t
		ws += weight[i]
	}
	mean = s / ws
	var ss float64
	for i, t := range terms {
		d := t - weight[i]*mean
		ss += d * d
	}
	return mean, math.Sqrt(n/(n-1)*ss) / ws
}

func (p *meanPlan) analyticInterval(level float64) (Interval, bool) {
	mean, se := meanSE(p.terms, p.weight)
	iv, ok := normalInterval(mean, se, level, MethodNormal)
	if ok && p.post != nil {
		// post is increasing on [0, inf) and the terms are >= 0 (sqrt of
		// a mean of squares): the interval of the mean maps through it.
		iv.Low, iv.High = p.post(max(iv.Low, 0)), p.post(iv.High)
	}
	return iv, ok
}

// analyticInterval is Wilson's interval for unweighted accuracy and the
// normal interval of the weighted mean of "correct" otherwise; the other
// confusion-matrix metrics have none here.
func (p *confusionPlan) analyticInterval(level float64) (Interval, bool) {
	if !p.accuracy {
		return Interval{}, false
	}
	c := int32(p.c)
	correct := func(cell int32) bool { return cell/c == cell%c }
	if p.weight == nil {
		var k int
		for _, cell := range p.cell {
			if correct(cell) {
				k++
			}
		}
		n := float64(len(p.cell))
		ph := float64(k) / n
		z := zOf(level)
		z2n := z * z / n
		centre := (ph + z2n/2) / (1 + z2n)
		half := z / (1 + z2n) * math.Sqrt(ph*(1-ph)/n+z2n/(4*n))
		return Interval{Low: max(0, centre-half), High: min(1, centre+half), Level: level, Method: MethodWilson}, true
	}
	terms := make([]float64, len(p.cell))
	for i, cell := range p.cell {
		if correct(cell) {
			terms[i] = p.weight[i]
		}
	}
	mean, se := meanSE(terms, p.weight)
	iv, ok := normalInterval(mean, se, level, MethodNormal)
	iv.Low, iv.High = max(0, iv.Low), min(1, iv.High)
	return iv, ok
}

// analyticInterval is DeLong's interval of the AUC (binary), or of the
// mean of the one-vs-rest AUCs with the variance of their summed
// influence (multiclass). Weighted inputs have none.
func (p aucPlan) analyticInterval(level float64) (Interval, bool) {
	for _, s := range p.classes {
		if s.wp != nil {
			return Interval{}, false
		}
	}
	if len(p.classes) == 1 {
		auc, v, ok := p.classes[0].deLong(nil, 0)
		if !ok {
			return Interval{}, false
		}
		iv, ok := normalInterval(auc, math.Sqrt(v), level, MethodDeLong)
		iv.Low, iv.High = max(0, iv.Low), min(1, iv.High)
		return iv, ok
	}
	n := len(p.classes[0].code)
	psi := make([]float64, n) // each row's influence on the mean AUC
	var mean float64
	scale := 1 / float64(len(p.classes))
	for _, s := range p.classes {
		auc, _, ok := s.deLong(psi, scale)
		if !ok {
			return Interval{}, false
		}
		mean += auc
	}
	mean *= scale
	var ss float64
	for _, x := range psi {
		ss += x * x
	}
	iv, ok := normalInterval(mean, math.Sqrt(ss/float64(n)/float64(n-1)), level, MethodDeLong)
	iv.Low, iv.High = max(0, iv.Low), min(1, iv.High)
	return iv, ok
}

// deLong returns the unweighted AUC and DeLong's variance
// S10/m + S01/n from its structural components: a positive's V10 is the
// fraction of negatives scoring below it (ties one half), a negative's V01
// the fraction of positives scoring above it. With psi non-nil it also
// adds scale times each row's influence on the AUC — (V10 - AUC)/P(pos)
// for a positive, (V01 - AUC)/P(neg) for a negative — to psi[row]. ok is
// false when a class is empty or has one row.
func (p *sweepPlan) deLong(psi []float64, scale float64) (auc, variance float64, ok bool) {
	var pos, neg float64
	for _, x := range p.code {
		pos += float64(x & 1)
	}
	neg = float64(len(p.code)) - pos
	if pos < 2 || neg < 2 {
		return 0, 0, false
	}
	// Pass 1: the positives and negatives of each run of tied scores,
	// from the highest score down, and the AUC as the mean of the
	// positives' V10.
	type run struct{ pr, nr float64 }
	runs := make([]run, len(p.ends))
	start := 0
	for r, e := range p.ends {
		var pr float64
		for _, x := range p.code[start:e] {
			pr += float64(x & 1)
		}
		runs[r] = run{pr, float64(int(e)-start) - pr}
		start = int(e)
	}
	var sum10 float64
	negBelowAll := neg
	for _, rn := range runs {
		negBelow := negBelowAll - rn.nr // strictly below this run
		sum10 += rn.pr * (negBelow + rn.nr/2) / neg
		negBelowAll = negBelow
	}
	auc = sum10 / pos
	// Pass 2: the variances of V10 over positives and V01 over negatives.
	var ss10, ss01 float64
	var posAbove float64
	negBelowAll = neg
	start = 0
	n := float64(len(p.code))
	for r, rn := range runs {
		negBelow := negBelowAll - rn.nr
		v10 := (negBelow+rn.nr/2)/neg - auc
		v01 := (posAbove+rn.pr/2)/pos - auc
		ss10 += rn.pr * v10 * v10
		ss01 += rn.nr * v01 * v01
		if psi != nil {
			i10, i01 := scale*v10*n/pos, scale*v01*n/neg
			for _, x := range p.code[start:p.ends[r]] {
				if x&1 == 1 {
					psi[x>>1] += i10
				} else {
					psi[x>>1] += i01
				}
			}
		}
		start = int(p.ends[r])
		posAbove += rn.pr
		negBelowAll = negBelow
	}
	return auc, ss10/(pos-1)/pos + ss01/(neg-1)/neg, true
}
