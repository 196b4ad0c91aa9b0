package metric

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
)

// Resampling. A bootstrap resample draws n of the n units of an input
// (rows, or queries for ranking) with replacement, and is represented by
// the multiplicity of each unit: cnt[u] is how many times unit u was
// drawn. A plan scores a metric from those counts. The fast plans do it
// without copying rows, from work done once per input (per-row terms, a
// sort, confusion cells); the materialised plan, used for every metric
// without one, builds the resampled Input and calls Score.

// plan scores one validated Input's metric on its resamples.
type plan interface {
	// evaluator returns a function, for use by one goroutine at a time,
	// that scores the resample with unit counts cnt. An error wrapping
	// ErrUndefined means the metric has no value on that resample.
	evaluator() func(cnt []uint32) (float64, error)
}

// planner prepares a metric's fast plan for a validated Input whose cutoff
// K is resolved. units holds the rows of each resampling unit, or is nil
// when every row is a unit. It returns nil when it has no fast path for
// the input.
type planner func(in Input, units [][]int) plan

// errResampleUndefined marks a resample on which a fast plan found the
// metric undefined; no caller sees it.
var errResampleUndefined = &InputError{Problem: "undefined on this resample", Err: ErrUndefined}

// finite returns v, or errResampleUndefined when v is NaN or infinite, as
// Score would.
func finite(v float64) (float64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errResampleUndefined
	}
	return v, nil
}

// drawCounts fills cnt with the unit counts of resample r: len(cnt) draws,
// uniform over the units, from PCG-DXSM seeded from (seed, r) only, so the
// resample does not depend on which goroutine draws it or in what order.
// Draws are unbiased: Lemire's multiply-and-reject on each 32-bit half of
// a PCG output (64-bit draws beyond 2^32 units).
func drawCounts(cnt []uint32, seed uint64, r int) {
	clear(cnt)
	var src rand.PCG
	src.Seed(mix64(seed), mix64(seed+0x9e3779b97f4a7c15*uint64(r+1)))
	if uint64(len(cnt)) > math.MaxUint32 {
		n := uint64(len(cnt))
		thresh := -n % n
		for range cnt {
			hi, lo := bits.Mul64(src.Uint64(), n)
			for lo < thresh {
				hi, lo = bits.Mul64(src.Uint64(), n)
			}
			cnt[hi]++
		}
		return
	}
	n := uint64(len(cnt))
	thresh := uint32(-uint32(n) % uint32(n))
	for left := len(cnt); left > 0; {
		x := src.Uint64()
		if m := (x & math.MaxUint32) * n; uint32(m) >= thresh {
			cnt[m>>32]++
			left--
		}
		if left == 0 {
			break
		}
		if m := (x >> 32) * n; uint32(m) >= thresh {
			cnt[m>>32]++
			left--
		}
	}
}

// mix64 is the SplitMix64 finaliser, a bijection on uint64.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// materialised scores the resampled Input itself; it serves every metric.
type materialised struct {
	m      Metric
	in     Input
	units  [][]int  // rows per unit; nil: units are rows
	labels []string // query ids for the copies of drawn queries
}

func newMaterialised(m Metric, in Input, units [][]int) *materialised {
	p := &materialised{m: m, in: in, units: units}
	if units != nil {
		p.labels = make([]string, len(units))
		for j := range p.labels {
			p.labels[j] = strconv.Itoa(j)
		}
	}
	return p
}

func (p *materialised) evaluator() func(cnt []uint32) (float64, error) {
	in := p.in
	n := len(in.Truth)
	sub := Input{Type: in.Type, K: in.K, Truth: make([]float64, 0, n), Pred: make([][]float64, len(in.Pred))}
	for k := range sub.Pred {
		sub.Pred[k] = make([]float64, 0, n)
	}
	if in.Weight != nil {
		sub.Weight = make([]float64, 0, n)
	}
	if p.units != nil {
		sub.Group = make([]string, 0, n)
	}
	add := func(i int) {
		sub.Truth = append(sub.Truth, in.Truth[i])
		for k, col := range in.Pred {
			sub.Pred[k] = append(sub.Pred[k], col[i])
		}
		if in.Weight != nil {
			sub.Weight = append(sub.Weight, in.Weight[i])
		}
	}
	return func(cnt []uint32) (float64, error) {
		sub.Truth = sub.Truth[:0]
		for k := range sub.Pred {
			sub.Pred[k] = sub.Pred[k][:0]
		}
		if sub.Weight != nil {
			sub.Weight = sub.Weight[:0]
		}
		if p.units == nil {
			for i, c := range cnt {
				for range c {
					add(i)
				}
			}
		} else {
			sub.Group = sub.Group[:0]
			copies := 0
			for u, c := range cnt {
				for range c {
					// Each copy of a query is a query of its own.
					for _, i := range p.units[u] {
						add(i)
						sub.Group = append(sub.Group, p.labels[copies])
					}
					copies++
				}
			}
		}
		return p.m.Score(sub)
	}
}

// meanPlan is a metric that is post(weighted mean of a per-row term):
// log_loss, brier, mse, rmse, mae, rmsle, mape.
type meanPlan struct {
	terms  []float64 // term of each row; times its weight when weighted
	weight []float64 // nil: unweighted
	post   func(float64) float64
}

// meanOf returns the planner of the metric post(mean of term(in)(i)); a
// nil post is the identity.
func meanOf(term func(Input) func(int) float64, post func(float64) float64) planner {
	return func(in Input, units [][]int) plan {
		if units != nil {
			return nil
		}
		f := term(in)
		p := &meanPlan{terms: make([]float64, len(in.Truth)), weight: in.Weight, post: post}
		for i := range p.terms {
			if p.weight == nil {
				p.terms[i] = f(i)
			} else if w := p.weight[i]; w != 0 {
				p.terms[i] = w * f(i)
			}
		}
		return p
	}
}

func (p *meanPlan) evaluator() func(cnt []uint32) (float64, error) {
	return func(cnt []uint32) (float64, error) {
		terms := p.terms[:len(cnt)]
		var v float64
		if p.weight == nil {
			// Four sums break the add latency chain.
			var s0, s1, s2, s3 float64
			i := 0
			for ; i+4 <= len(cnt); i += 4 {
				s0 += float64(cnt[i]) * terms[i]
				s1 += float64(cnt[i+1]) * terms[i+1]
				s2 += float64(cnt[i+2]) * terms[i+2]
				s3 += float64(cnt[i+3]) * terms[i+3]
			}
			for ; i < len(cnt); i++ {
				s0 += float64(cnt[i]) * terms[i]
			}
			v = (s0 + s1 + (s2 + s3)) / float64(len(cnt))
		} else {
			weight := p.weight[:len(cnt)]
			var s, ws float64
			for i, c := range cnt {
				if c != 0 && weight[i] != 0 {
					f := float64(c)
					s += f * terms[i]
					ws += f * weight[i]
				}
			}
			v = s / ws
		}
		if p.post != nil {
			v = p.post(v)
		}
		return finite(v)
	}
}

// ndcgOf is the fast path of ndcg: the NDCG of each query once, then each
// resample is the mean over its drawn queries.
func ndcgOf(in Input, units [][]int) plan {
	if units == nil {
		return nil
	}
	return &meanPlan{terms: queryNDCG(in, units)}
}

// confusionPlan is a metric of the confusion matrix. A resample's matrix
// is the sum of each row's cell times its count.
type confusionPlan struct {
	accuracy bool // f is accuracy, a mean: see analyticInterval
	c        int
	cell     []int32   // t*c + p of each row
	weight   []float64 // nil: unweighted
	f        func(*confusion) (float64, error)
}

// accuracyOf is the fast path of accuracy: confusionOf(accuracy), which
// also has an analytical interval.
func accuracyOf(in Input, units [][]int) plan {
	p := confusionOf(accuracy)(in, units)
	if cp, ok := p.(*confusionPlan); ok {
		cp.accuracy = true
	}
	return p
}

// confusionOf returns the planner of the confusion-matrix metric f.
func confusionOf(f func(*confusion) (float64, error)) planner {
	return func(in Input, units [][]int) plan {
		if units != nil {
			return nil
		}
		c := len(in.Pred)
		if in.Type == Binary {
			c = 2
		}
		p := &confusionPlan{c: c, cell: make([]int32, len(in.Truth)), weight: in.Weight, f: f}
		for i, y := range in.Truth {
			p.cell[i] = int32(int(y)*c + predictedClass(in, i))
		}
		return p
	}
}

func (p *confusionPlan) evaluator() func(cnt []uint32) (float64, error) {
	c := p.c
	m := &confusion{c: c, cells: make([]float64, c*c), truth: make([]float64, c), pred: make([]float64, c), seen: make([]bool, c)}
	rows := make([]uint64, c*c) // drawn rows per cell, whatever their weight
	return func(cnt []uint32) (float64, error) {
		clear(rows)
		clear(m.cells)
		cell := p.cell[:len(cnt)]
		if p.weight == nil {
			for i, k := range cnt {
				rows[cell[i]] += uint64(k)
			}
			for j, r := range rows {
				m.cells[j] = float64(r)
			}
		} else {
			weight := p.weight[:len(cnt)]
			for i, k := range cnt {
				if k != 0 {
					rows[cell[i]] += uint64(k)
					m.cells[cell[i]] += float64(k) * weight[i]
				}
			}
		}
		clear(m.truth)
		clear(m.pred)
		clear(m.seen)
		for t := range c {
			for q := range c {
				j := t*c + q
				m.truth[t] += m.cells[j]
				m.pred[q] += m.cells[j]
				if rows[j] != 0 {
					m.seen[t], m.seen[q] = true, true
				}
			}
		}
		m.total = sum(m.truth)
		v, err := p.f(m)
		if err != nil {
			return 0, err
		}
		return finite(v)
	}
}

// sweepPlan holds rows sorted once by decreasing score for one
// positive class, so each resample walks the curve in O(n) from counts.
type sweepPlan struct {
	code   []uint32  // by decreasing score: row<<1 | 1 if the row is positive
	ends   []int32   // end (exclusive) in code of each run of tied scores
	wp, wn []float64 // weighted: weight at that position if positive / negative, else 0
}

func newSweepPlan(truth []float64, positive float64, score, weight []float64) *sweepPlan {
	n := len(score)
	type row struct {
		key uint64
		i   uint32
	}
	rows := make([]row, n)
	for i, s := range score {
		rows[i] = row{sortKey(s), uint32(i)}
	}
	sortRowsDesc(rows, func(r row) uint64 { return r.key })
	p := &sweepPlan{code: make([]uint32, n)}
	if weight != nil {
		p.wp, p.wn = make([]float64, n), make([]float64, n)
	}
	for k, r := range rows {
		isPos := truth[r.i] == positive
		p.code[k] = r.i << 1
		if isPos {
			p.code[k] |= 1
		}
		if weight != nil {
			if isPos {
				p.wp[k] = weight[r.i]
			} else {
				p.wn[k] = weight[r.i]
			}
		}
		if k+1 == n || rows[k+1].key != r.key {
			p.ends = append(p.ends, int32(k+1))
		}
	}
	return p
}

// sortRowsDesc sorts rows by decreasing key with an LSD radix sort on
// bytes, skipping bytes all keys share.
func sortRowsDesc[T any](rows []T, key func(T) uint64) {
	tmp := make([]T, len(rows))
	var count [8][256]int
	for _, r := range rows {
		k := ^key(r) // descending
		for d := range 8 {
			count[d][byte(k>>(8*d))]++
		}
	}
	src, dst := rows, tmp
	for d := range 8 {
		c := &count[d]
		shift := 8 * uint(d)
		if len(src) == 0 || c[byte(^key(src[0])>>shift)] == len(src) {
			continue
		}
		total := 0
		for b, m := range c {
			c[b] = total
			total += m
		}
		for _, r := range src {
			b := byte(^key(r) >> shift)
			dst[c[b]] = r
			c[b]++
		}
		src, dst = dst, src
	}
	if len(rows) > 0 && &src[0] != &rows[0] {
		copy(rows, src)
	}
}

// The sweeps below walk the runs of tied scores from the highest down, as
// sweep does for Score, with tp and fp the resampled weight of positive
// and negative rows scoring at or above the run. Unweighted, they count in
// integers, which is exact and what Score sees on materialised rows.

// auc is the ROC AUC of the resample; ok is false when a class is empty.
func (p *sweepPlan) auc(cnt []uint32) (float64, bool) {
	code, k := p.code, 0
	var area float64
	if p.wp == nil {
		var tp, all, tp0, fp0 uint64
		for _, e := range p.ends {
			for ; k < int(e); k++ {
				x := code[k]
				c := uint64(cnt[x>>1])
				tp += c * uint64(x&1)
				all += c
			}
			fp := all - tp
			area += float64(fp-fp0) * float64(tp+tp0)
			tp0, fp0 = tp, fp
		}
		if tp0 == 0 || fp0 == 0 {
			return 0, false
		}
		return area / 2 / (float64(tp0) * float64(fp0)), true
	}
	wp, wn := p.wp, p.wn
	var tp, fp, tp0, fp0 float64
	for _, e := range p.ends {
		for ; k < int(e); k++ {
			c := float64(cnt[code[k]>>1])
			tp += c * wp[k]
			fp += c * wn[k]
		}
		area += (fp - fp0) * (tp + tp0)
		tp0, fp0 = tp, fp
	}
	if tp == 0 || fp == 0 {
		return 0, false
	}
	return area / 2 / (tp * fp), true
}

// averagePrecision is the average precision of the resample; ok is false
// when it has no positive weight.
func (p *sweepPlan) averagePrecision(cnt []uint32) (float64, bool) {
	code, k := p.code, 0
	var ap float64
	if p.wp == nil {
		var pos uint64
		for _, x := range code {
			pos += uint64(cnt[x>>1]) * uint64(x&1)
		}
		if pos == 0 {
			return 0, false
		}
		fpos := float64(pos)
		var tp, all, tp0 uint64
		for _, e := range p.ends {
			for ; k < int(e); k++ {
				x := code[k]
				c := uint64(cnt[x>>1])
				tp += c * uint64(x&1)
				all += c
			}
			if tp > tp0 {
				ap += float64(tp-tp0) / fpos * (float64(tp) / float64(all))
			}
			tp0 = tp
		}
		return ap, true
	}
	var pos float64
	for k, x := range code {
		pos += float64(cnt[x>>1]) * p.wp[k]
	}
	if pos == 0 {
		return 0, false
	}
	wp, wn := p.wp, p.wn
	var tp, fp, tp0 float64
	for _, e := range p.ends {
		for ; k < int(e); k++ {
			c := float64(cnt[code[k]>>1])
			tp += c * wp[k]
			fp += c * wn[k]
		}
		if tp > tp0 {
			ap += (tp - tp0) / pos * (tp / (tp + fp))
		}
		tp0 = tp
	}
	return ap, true
}

type aucPlan struct{ classes []*sweepPlan }

func (p aucPlan) evaluator() func(cnt []uint32) (float64, error) {
	return func(cnt []uint32) (float64, error) {
		var total float64
		for _, s := range p.classes {
			v, ok := s.auc(cnt)
			if !ok {
				return 0, errResampleUndefined
			}
			total += v
		}
		if len(p.classes) == 1 {
			return finite(total)
		}
		return finite(total / float64(len(p.classes)))
	}
}

// aucOf is the fast path of roc_auc.
func aucOf(in Input, units [][]int) plan {
	if units != nil {
		return nil
	}
	return aucPlan{[]*sweepPlan{newSweepPlan(in.Truth, 1, in.Pred[0], in.Weight)}}
}

// aucOvROf is the fast path of roc_auc_ovr: one sorted order per class.
func aucOvROf(in Input, units [][]int) plan {
	if units != nil {
		return nil
	}
	p := aucPlan{make([]*sweepPlan, len(in.Pred))}
	for c, col := range in.Pred {
		p.classes[c] = newSweepPlan(in.Truth, float64(c), col, in.Weight)
	}
	return p
}

type apPlan struct{ *sweepPlan }

func (p apPlan) evaluator() func(cnt []uint32) (float64, error) {
	return func(cnt []uint32) (float64, error) {
		v, ok := p.averagePrecision(cnt)
		if !ok {
			return 0, errResampleUndefined
		}
		return finite(v)
	}
}

// averagePrecisionOf is the fast path of average_precision.
func averagePrecisionOf(in Input, units [][]int) plan {
	if units != nil {
		return nil
	}
	return apPlan{newSweepPlan(in.Truth, 1, in.Pred[0], in.Weight)}
}
