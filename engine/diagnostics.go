package engine

import (
	"encoding/json"
	"math"

	"github.com/verdictlab/verdict/engine/metric"
)

// Diagnostics bounds. They keep a submission's record small and, because
// every point or cell aggregates many rows, keep the pictures from
// revealing the label of any one row.
const (
	// MaxROCPoints bounds the points of a ROC curve; each point after the
	// first stands for at least rows/MaxROCPoints rows.
	MaxROCPoints = 64
	// ScatterBins is the number of bins of each axis of a scatter.
	ScatterBins = 24
	// MaxConfusionClasses is the most classes a confusion matrix is kept for.
	MaxConfusionClasses = 50
)

// Diagnostics are the pictures of a submission's predictions against the
// labels, as a viewer may see them: a ROC curve and a confusion matrix for a
// binary task, a confusion matrix for a multiclass task, a binned
// predicted-vs-true scatter for a regression task (ranking tasks have
// none yet). They are computed when the submission is scored, from the
// very outputs that were scored, and kept with it: reading them never runs
// a guest.
type Diagnostics struct {
	Submission string `json:"submission"`
	Task       string `json:"task"`
	Type       string `json:"type"`
	// Public and Private are nil when the viewer may not see that part, or
	// when the task has no private part; Note then says why.
	Public  *PartDiagnostics `json:"public,omitempty"`
	Private *PartDiagnostics `json:"private,omitempty"`
	Note    string           `json:"note,omitempty"`
}

// PartDiagnostics are the pictures of one part (public or private) of the
// held-out rows.
type PartDiagnostics struct {
	Rows int `json:"rows"`
	// ROC is the ROC curve of a binary task, from (0,0) to (1,1) by
	// decreasing threshold; nil when the part has one class only.
	ROC []ROCPoint `json:"roc,omitempty"`
	// Confusion counts rows by true class (first index) and predicted
	// class (second): the argmax of the outputs, p >= 0.5 for binary.
	// Nil above MaxConfusionClasses classes.
	Confusion [][]int `json:"confusion,omitempty"`
	// Scatter bins a regression task's predictions against the truth.
	Scatter *Scatter `json:"scatter,omitempty"`
}

// ROCPoint is one point of a ROC curve.
type ROCPoint struct {
	FPR float64 `json:"fpr"`
	TPR float64 `json:"tpr"`
}

// Scatter is a predicted-vs-true scatter binned on a ScatterBins ×
// ScatterBins grid over [Min, Max] on both axes, so that y = x is the
// diagonal. Counts[t*Bins+p] is the number of rows whose true value falls
// in bin t and prediction in bin p. Predictions outside the range are
// counted in the edge bins, and in Clamped.
type Scatter struct {
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Bins    int     `json:"bins"`
	Counts  []int   `json:"counts"`
	Clamped int     `json:"clamped,omitempty"`
}

// storedDiagnostics is what a scored submission keeps (detail.Diag).
type storedDiagnostics struct {
	Public  *PartDiagnostics `json:"public,omitempty"`
	Private *PartDiagnostics `json:"private,omitempty"`
}

// Diagnostics returns the pictures of a submission's predictions as v may
// see them: only a submission v may see (ErrNotFound otherwise); the
// private part only to the host until the task closes; and, under the
// Ladder, the public part only to the host until the task closes, since a
// picture would give away the exact public score the Ladder hides.
func (e *Engine) Diagnostics(id string, v Viewer) (*Diagnostics, error) {
	sub, err := e.Submission(id, v)
	if err != nil {
		return nil, err
	}
	t, err := e.Task(sub.Task)
	if err != nil {
		return nil, err
	}
	st, err := e.TaskState(sub.Task)
	if err != nil {
		return nil, err
	}
	d := &Diagnostics{Submission: sub.ID, Task: sub.Task, Type: t.Spec.Type}
	if sub.Status != StatusScored {
		d.Note = "the submission is " + string(sub.Status) + ": there is nothing to draw"
		return d, nil
	}
	var sd storedDiagnostics
	switch {
	case metric.TaskType(t.Spec.Type) == metric.Ranking:
		d.Note = "ranking tasks have no picture yet"
		return d, nil
	case len(sub.diag) == 0 || json.Unmarshal(sub.diag, &sd) != nil || sd.Public == nil:
		d.Note = "no diagnostics were recorded for this submission (it was scored before they were)"
		return d, nil
	}
	w := e.sightOf(v, t, st)
	switch {
	case w.exactFor(sub.Phase):
		d.Public = sd.Public
	default:
		d.Note = "the Ladder hides exact public scores, and so these pictures, until the task closes"
	}
	switch {
	case t.PrivateRows == 0:
	case w.private:
		d.Private = sd.Private
	case d.Note == "":
		d.Note = "the private part is shown when the task closes"
	}
	return d, nil
}

// diagnose computes what Diagnostics shows from the scored outputs, for
// the submission's record; nil when the task type has no picture.
func (lt *loadedTask) diagnose(outs [][]float64) json.RawMessage {
	tt := metric.TaskType(lt.task.Spec.Type)
	part := func(rows []int) *PartDiagnostics {
		if len(rows) == 0 {
			return nil
		}
		in := gather(tt, lt.data.Labels, outs, nil, rows)
		return diagnosePart(tt, in, max(lt.task.Classes, 2))
	}
	sd := storedDiagnostics{Public: part(lt.split.public), Private: part(lt.split.private)}
	// A part that cannot be written (a truth range beyond float64's) is
	// left out on its own: whether the public pictures are kept must not
	// depend on the private labels.
	if _, err := json.Marshal(sd.Private); err != nil {
		sd.Private = nil
	}
	if sd.Public == nil {
		return nil
	}
	raw, err := json.Marshal(sd)
	if err != nil {
		return nil
	}
	return raw
}

// diagnosePart computes one part's pictures; nil for a task type that has
// none.
func diagnosePart(tt metric.TaskType, in metric.Input, classes int) *PartDiagnostics {
	p := &PartDiagnostics{Rows: len(in.Truth)}
	switch tt {
	case metric.Binary:
		p.ROC = rocCurve(in.Truth, in.Pred[0], MaxROCPoints)
		p.Confusion = confusionMatrix(in, 2)
	case metric.Multiclass:
		p.Confusion = confusionMatrix(in, classes)
	case metric.Regression:
		p.Scatter = binScatter(in.Truth, in.Pred[0], ScatterBins)
	default:
		return nil
	}
	return p
}

// rocCurve returns the ROC curve of scores against 0/1 truth, one point per
// distinct threshold, thinned so that each point after (0,0) stands for at
// least ceil(rows/maxPoints) rows. NaN scores are left out. Nil when there
// are no positives or no negatives.
func rocCurve(truth, score []float64, maxPoints int) []ROCPoint {
	idx := make([]int, 0, len(truth))
	var pos, neg int
	for i, s := range score {
		if math.IsNaN(s) {
			continue
		}
		idx = append(idx, i)
		if truth[i] == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	sortByScoreDesc(idx, score)
	step := (len(idx) + maxPoints - 2) / (maxPoints - 1) // ceil(n / (maxPoints-1))
	out := []ROCPoint{{0, 0}}
	var tp, fp, since int
	for n, i := range idx {
		if truth[i] == 1 {
			tp++
		} else {
			fp++
		}
		since++
		last := n == len(idx)-1
		if !last && score[idx[n+1]] == score[i] {
			continue // a threshold cannot split tied scores
		}
		if since >= step || last {
			out = append(out, ROCPoint{FPR: round4(float64(fp) / float64(neg)), TPR: round4(float64(tp) / float64(pos))})
			since = 0
		}
	}
	return out
}

// sortByScoreDesc orders idx by decreasing score, ties in their order in
// idx: what a stable sort gives, by an LSD radix sort on the scores'
// order-preserving bit patterns (skipping bytes all keys share), several
// times faster than a comparison sort on a million rows. No score is NaN;
// -0 sorts as 0.
func sortByScoreDesc(idx []int, score []float64) {
	type keyed struct {
		key uint64 // ascending key = decreasing score
		row int
	}
	rows := make([]keyed, len(idx))
	var count [8][256]int
	for k, i := range idx {
		s := score[i]
		if s == 0 {
			s = 0 // -0 ties with 0
		}
		b := math.Float64bits(s)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		rows[k] = keyed{^b, i}
		for d := range 8 {
			count[d][byte(rows[k].key>>(8*d))]++
		}
	}
	tmp := make([]keyed, len(rows))
	src, dst := rows, tmp
	for d := range 8 {
		c := &count[d]
		shift := 8 * uint(d)
		if len(src) == 0 || c[byte(src[0].key>>shift)] == len(src) {
			continue
		}
		total := 0
		for b, m := range c {
			c[b] = total
			total += m
		}
		for _, r := range src {
			b := byte(r.key >> shift)
			dst[c[b]] = r
			c[b]++
		}
		src, dst = dst, src
	}
	for k, r := range src {
		idx[k] = r.row
	}
}

// confusionMatrix counts rows by true and predicted class (metric's rule:
// binary p >= 0.5 is class 1, multiclass the argmax, lowest index on
// ties). Nil above MaxConfusionClasses classes.
func confusionMatrix(in metric.Input, classes int) [][]int {
	if classes > MaxConfusionClasses {
		return nil
	}
	m := make([][]int, classes)
	for k := range m {
		m[k] = make([]int, classes)
	}
	for i, y := range in.Truth {
		pred := 0
		if in.Type == metric.Binary {
			if in.Pred[0][i] >= 0.5 {
				pred = 1
			}
		} else {
			best := in.Pred[0][i]
			for k := 1; k < len(in.Pred); k++ {
				if p := in.Pred[k][i]; p > best {
					pred, best = k, p
				}
			}
		}
		t := int(y)
		if t < 0 || t >= classes || pred >= classes {
			continue
		}
		m[t][pred]++
	}
	return m
}

// binScatter bins (truth, prediction) pairs on a bins × bins grid over the
// truth's range, padded by 5% (a constant truth gets ±0.5), within
// ±math.MaxFloat64. It works on halves of the values, so that a range wider
// than float64's, or a constant truth too large for ±0.5 to move it, bins
// like any other.
func binScatter(truth, pred []float64, bins int) *Scatter {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range truth {
		lo, hi = min(lo, y), max(hi, y)
	}
	if len(truth) == 0 {
		return nil
	}
	if pad := (hi/2 - lo/2) * 0.1; pad > 0 { // 5% of hi - lo
		lo, hi = lo-pad, hi+pad
	} else {
		lo, hi = lo-0.5, hi+0.5
	}
	lo, hi = max(lo, -math.MaxFloat64), min(hi, math.MaxFloat64)
	half := hi/2 - lo/2 // finite: half the range
	s := &Scatter{Min: lo, Max: hi, Bins: bins, Counts: make([]int, bins*bins)}
	bin := func(v float64) (int, bool) {
		if math.IsNaN(v) || v < lo || v > hi {
			if v > hi {
				return bins - 1, true
			}
			return 0, true
		}
		if !(half > 0) {
			return 0, false
		}
		// v in [lo, hi], so the fraction is in [0, 1].
		return min(int((v/2-lo/2)/half*float64(bins)), bins-1), false
	}
	for i, y := range truth {
		t, _ := bin(y)
		p, clamped := bin(pred[i])
		if clamped {
			s.Clamped++
		}
		s.Counts[t*bins+p]++
	}
	return s
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
