package web

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// Chart sizes, in user units of the viewBox.
const (
	chartWidth = 720
	maxCIRows  = 25 // entries drawn on the interval chart
	seriesN    = 6  // CSS classes s0..s5
	// pictureSize is the plot area of a submission's pictures, which sit
	// side by side: each is drawn about this size, so text stays legible.
	pictureSize = 280.0
)

// better names the direction of a metric for axis titles.
func better(metric string, higher bool) string {
	if higher {
		return metric + " (higher is better →)"
	}
	return metric + " (← lower is better)"
}

// ciChart draws each ranked entry's score with its confidence interval as
// an error bar, best first, and each baseline as a dashed vertical line.
func ciChart(id string, board []engine.Entry, metric string, higher bool) template.HTML {
	var rows, bases []engine.Entry
	for _, en := range board {
		switch {
		case en.Baseline:
			bases = append(bases, en)
		case len(rows) < maxCIRows:
			rows = append(rows, en)
		}
	}
	if len(rows) == 0 {
		return ""
	}
	lo, hi, near, far := ciDomain(rows, bases)
	vals, d0, d1, dec := ticks(lo, hi, 6)
	const left, right, top, rowH, bottom = 180.0, 24.0, 34.0, 26.0, 46.0
	h := top + rowH*float64(len(rows)) + bottom
	x := scale{d0, d1, left, chartWidth - right}
	level := ""
	for _, en := range rows {
		if en.CI != nil {
			level = fmt.Sprintf("%g%% ", en.CI.Level*100)
			break
		}
	}
	var s svg
	desc := fmt.Sprintf("Error bars: each of the %d ranked entries' score and its %sbootstrap confidence interval; dashed lines mark %d baselines. The table lists the same numbers.", len(rows), level, len(near))
	if len(far) > 0 {
		desc += fmt.Sprintf(" %d baselines lie far off the scale and are named at its edge.", len(far))
	}
	s.open(id, "ci", chartWidth, h, fmt.Sprintf("%s by participant, with %sconfidence intervals", metric, level), desc)
	plotBottom := top + rowH*float64(len(rows))
	for _, v := range vals {
		px := x.at(v)
		s.line("grid", px, top-6, px, plotBottom)
		s.text("tick", "middle", px, plotBottom+16, fixed(v, dec))
	}
	s.line("axis", left, plotBottom, chartWidth-right, plotBottom)
	s.text("axis-title", "middle", (left+chartWidth-right)/2, h-8, better(metric, higher))
	for i, en := range rows {
		cy := top + rowH*(float64(i)+0.5)
		cls := "s0"
		if i == 0 {
			cls = "s0 lead"
		}
		if i%2 == 0 {
			s.rect("band", 1, "", 0, cy-rowH/2, chartWidth, rowH)
		}
		s.titled("label", "end", left-10, cy+4, fmt.Sprintf("%d. %s", en.Rank, chartName(en.Name, en.Participant, 20)), fullName(en.Name, en.Participant))
		tip := fullName(en.Name, en.Participant) + ": " + fmtScore(en.Score)
		if en.CI != nil {
			l, r := x.at(en.CI.Low), x.at(en.CI.High)
			s.line("bar "+cls, l, cy, r, cy)
			s.line("cap "+cls, l, cy-6, l, cy+6)
			s.line("cap "+cls, r, cy-6, r, cy+6)
			tip += fmt.Sprintf(" [%s, %s]", fmtScore(en.CI.Low), fmtScore(en.CI.High))
		}
		s.circle("dot "+cls, tip, x.at(en.Score), cy, 5)
	}
	for i, b := range near {
		px := x.at(b.Score)
		s.line("ref", px, top-6, px, plotBottom)
		s.text("ref-label", "middle", px, top-12-float64(i%2)*12, trunc(b.Participant, 20)+" "+fmtScore(b.Score))
	}
	// A far baseline is named at the edge it lies beyond, with an arrow,
	// instead of stretching the axis to it.
	for i, b := range far {
		ty := top - 12 - float64((len(near)+i)%2)*12
		label := trunc(b.Participant, 20) + " " + fmtScore(b.Score)
		if b.Score > d1 {
			s.text("ref-label off-scale", "end", chartWidth-right, ty, label+" →")
		} else {
			s.text("ref-label off-scale", "start", left, ty, "← "+label)
		}
	}
	return s.close()
}

// farFactor is how many times the entrants' spread a baseline may lie
// beyond them and still be drawn to scale.
const farFactor = 2.0

// ciDomain returns the score range the interval chart draws: the entries'
// intervals and the baselines near them (near), and the baselines that lie
// further than farFactor times the entries' spread beyond them (far). A
// far baseline (log_loss 2.30 against entrants at 0.07) would squash
// every interval into a dot; it is named at the edge instead.
func ciDomain(rows, bases []engine.Entry) (lo, hi float64, near, far []engine.Entry) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, en := range rows {
		l, h := en.Score, en.Score
		if en.CI != nil {
			l, h = en.CI.Low, en.CI.High
		}
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	near, far = splitFar(lo, hi, bases)
	for _, b := range near {
		l, h := b.Score, b.Score
		if b.CI != nil {
			l, h = b.CI.Low, b.CI.High
		}
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	return lo, hi, near, far
}

// splitFar splits baselines into those within farFactor spreads of
// [lo, hi] and those beyond.
func splitFar(lo, hi float64, bases []engine.Entry) (near, far []engine.Entry) {
	spread := hi - lo
	if spread <= 0 || math.IsNaN(spread) || math.IsInf(spread, 0) {
		spread = math.Max(math.Abs(hi)*0.1, 1e-9)
	}
	for _, b := range bases {
		if b.Score < lo-farFactor*spread || b.Score > hi+farFactor*spread {
			far = append(far, b)
		} else {
			near = append(near, b)
		}
	}
	return near, far
}

// chartName is how a chart labels an entrant in little room: the display
// name when there is one, else the id (a did:key shortened, see who), cut
// to n characters only when longer.
func chartName(name, id string, n int) string {
	if name != "" {
		return trunc(name, n)
	}
	return trunc(who("", id), n)
}

// historyChart draws the best score over time of the top entries of board
// as step lines, from the events of the same board, with baselines as
// dashed horizontal lines; end is where the lines stop (now, or the close).
//
// On the private board the lines follow the final ranking's rule, so that
// they end where the table does: each entrant's best private score among
// the submissions the final board chose among (Entry.Selected), not their
// best private score overall. The private board is only drawn when the
// viewer may see it (after close, or the host).
func historyChart(id string, board []engine.Entry, events []engine.Event, private bool, top int, end time.Time, metric string, higher bool) template.HTML {
	type series struct {
		name, tip string
		rank      int
		entry     engine.Entry
		pts       []engine.Event
	}
	var ss []*series
	byName := map[string]*series{}
	var bases []engine.Entry
	for _, en := range board {
		if en.Baseline {
			bases = append(bases, en)
			continue
		}
		if len(ss) < top && en.Rank > 0 {
			sr := &series{name: chartName(en.Name, en.Participant, 20), tip: fullName(en.Name, en.Participant), rank: en.Rank, entry: en}
			ss = append(ss, sr)
			byName[key(en.Participant, en.Team)] = sr
		}
	}
	for _, ev := range events {
		if ev.Private != private {
			continue
		}
		if sr := byName[key(ev.Participant, ev.Team)]; sr != nil {
			sr.pts = append(sr.pts, ev)
		}
	}
	if private {
		for _, sr := range ss {
			sr.pts = finalSteps(sr.entry, sr.pts, higher)
		}
	}
	t0 := time.Time{}
	for _, sr := range ss {
		for _, ev := range sr.pts {
			if t0.IsZero() || ev.Time.Before(t0) {
				t0 = ev.Time
			}
		}
	}
	if t0.IsZero() {
		return ""
	}
	if !end.After(t0) {
		end = t0.Add(time.Hour)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sr := range ss {
		for _, ev := range sr.pts {
			if ev.Submission != "" {
				lo, hi = math.Min(lo, ev.Score), math.Max(hi, ev.Score)
			}
		}
	}
	near, far := splitFar(lo, hi, bases)
	for _, b := range near {
		lo, hi = math.Min(lo, b.Score), math.Max(hi, b.Score)
	}
	vals, d0, d1, dec := ticks(lo, hi, 5)
	const left, right, topM, h, bottom = 64.0, 200.0, 16.0, 316.0, 62.0
	x := scale{0, float64(end.Sub(t0)), left, chartWidth - right}
	y := scale{d0, d1, h - bottom, topM}
	if !higher { // better is up either way
		y = scale{d0, d1, topM, h - bottom}
	}
	at := func(t time.Time) float64 { return x.at(float64(t.Sub(t0))) }
	board1 := "public"
	if private {
		board1 = "final private"
	}
	var s svg
	desc := fmt.Sprintf("Step lines: the best %s %s of each of the top %d entrants from %s to %s; better is up. Dashed lines mark %d baselines.",
		board1, metric, len(ss), t0.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), len(near))
	if private {
		desc += " Each line is the best private score among the submissions the final ranking chose among, so it ends at the table's score."
	}
	if len(far) > 0 {
		desc += fmt.Sprintf(" %d baselines lie far off the scale and are named at its edge.", len(far))
	}
	s.open(id, "history", chartWidth, h, fmt.Sprintf("Best %s score over time, top %d", board1, len(ss)), desc)
	for _, v := range vals {
		py := y.at(v)
		s.line("grid", left, py, chartWidth-right, py)
		s.text("tick", "end", left-8, py+4, fixed(v, dec))
	}
	tts, layout := timeTicks(t0, end, 8)
	day := ""
	for _, t := range tts {
		s.text("tick", "middle", at(t), h-bottom+18, t.UTC().Format(layout))
		if d := t.UTC().Format("Jan 2"); layout == "15:04" && d != day {
			s.text("tick date", "middle", at(t), h-bottom+32, d)
			day = d
		}
	}
	s.line("axis", left, h-bottom, chartWidth-right, h-bottom)
	s.text("axis-title", "middle", (left+chartWidth-right)/2, h-8, "time (UTC)")
	s.raw(`<text class="axis-title" text-anchor="middle" transform="translate(14 %s) rotate(-90)">%s (better ↑)</text>`, num((topM+h-bottom)/2), text(metric))
	for _, b := range near {
		py := y.at(b.Score)
		s.line("ref", left, py, chartWidth-right, py)
		s.text("ref-label", "end", chartWidth-right-4, py-5, trunc(b.Participant, 24)+" "+fmtScore(b.Score))
	}
	// A far baseline gets a legend entry below the entrants', its arrow
	// pointing the way it lies off the scale: up when better than
	// everyone (better is up), down when worse.
	for i, b := range far {
		ly := topM + 8 + float64(len(ss)+i)*22 + 8
		arrow := "↓"
		if y.at(b.Score) < topM {
			arrow = "↑"
		}
		s.line("ref off-scale", chartWidth-right+16, ly, chartWidth-right+36, ly)
		s.titled("ref-label off-scale", "start", chartWidth-right+42, ly+4, trunc(b.Participant, 14)+" "+fmtScore(b.Score)+" "+arrow,
			b.Participant+" "+fmtScore(b.Score)+": off the scale")
	}
	// The leader is drawn last, on top: entrants with equal scores draw
	// the same line, and the leader's is the one to see.
	for i := len(ss) - 1; i >= 0; i-- {
		sr := ss[i]
		cls := "s" + strconv.Itoa(i%seriesN)
		var pts [][2]float64
		var cur *float64
		for _, ev := range sr.pts {
			px := at(ev.Time)
			if cur != nil {
				pts = append(pts, [2]float64{px, y.at(*cur)})
			}
			if ev.Submission == "" { // left the board
				s.path("line "+cls, sr.tip, pts)
				pts, cur = nil, nil
				continue
			}
			v := ev.Score
			cur = &v
			pts = append(pts, [2]float64{px, y.at(v)})
		}
		if cur != nil {
			pts = append(pts, [2]float64{at(end), y.at(*cur)})
		}
		s.path("line "+cls, sr.tip, pts)
		for _, ev := range sr.pts {
			if ev.Submission != "" {
				s.circle("mark "+cls, fmt.Sprintf("%s: %s at %s", sr.tip, fmtScore(ev.Score), ev.Time.UTC().Format("Jan 2 15:04")), at(ev.Time), y.at(ev.Score), 3.5)
			}
		}
	}
	for i, sr := range ss {
		cls := "s" + strconv.Itoa(i%seriesN)
		ly := topM + 8 + float64(i)*22
		s.line("line "+cls, chartWidth-right+16, ly, chartWidth-right+36, ly)
		s.titled("legend", "start", chartWidth-right+42, ly+4, fmt.Sprintf("%d. %s", sr.rank, sr.name), sr.tip)
	}
	return s.close()
}

// finalSteps turns an entrant's private events into the steps of the
// final ranking's rule: only the submissions the final board chose among
// (en.Selected) count, each point is the best of them so far, and the
// counted submission (en.Submission, en.Score) is always a point, so the
// line ends at the table's score.
func finalSteps(en engine.Entry, evs []engine.Event, higher bool) []engine.Event {
	chosen := map[string]bool{en.Submission: true}
	for _, id := range en.Selected {
		chosen[id] = true
	}
	var pts []engine.Event
	seen := false
	for _, ev := range evs {
		if ev.Submission == "" || !chosen[ev.Submission] {
			continue
		}
		seen = seen || ev.Submission == en.Submission
		pts = append(pts, ev)
	}
	if !seen {
		pts = append(pts, engine.Event{Time: en.Submitted, Private: true, Participant: en.Participant, Team: en.Team,
			Submission: en.Submission, Score: en.Score, Rank: en.Rank})
	}
	slices.SortStableFunc(pts, func(a, b engine.Event) int { return a.Time.Compare(b.Time) })
	out := pts[:0]
	for _, p := range pts {
		if n := len(out); n > 0 {
			prev := out[n-1].Score
			if p.Score == prev || (p.Score > prev) != higher {
				continue // not better than the best so far
			}
		}
		out = append(out, p)
	}
	return out
}

func key(name string, team bool) string {
	if team {
		return "team/" + name
	}
	return name
}

// rocChart draws the ROC curve of each part given, over the chance
// diagonal.
func rocChart(id string, parts []namedPart) template.HTML {
	const size, m, left = pictureSize, 24.0, 60.0
	w, h := left+size+m, m+size+44
	x := scale{0, 1, left, left + size}
	y := scale{0, 1, m + size, m}
	var s svg
	s.open(id, "roc", w, h, "ROC curve", "True positive rate against false positive rate as the threshold falls, for each part of the held-out rows shown; the dashed diagonal is a random guess.")
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		s.line("grid", x.at(v), m, x.at(v), m+size)
		s.line("grid", left, y.at(v), left+size, y.at(v))
		s.text("tick", "middle", x.at(v), m+size+16, fixed(v, 2))
		s.text("tick", "end", left-6, y.at(v)+4, fixed(v, 2))
	}
	s.rect("frame", 1, "", left, m, size, size)
	s.line("ref", x.at(0), y.at(0), x.at(1), y.at(1))
	s.text("axis-title", "middle", left+size/2, h-8, "false positive rate")
	s.raw(`<text class="axis-title" text-anchor="middle" transform="translate(14 %s) rotate(-90)">true positive rate</text>`, num(m+size/2))
	n := 0
	for _, p := range parts {
		if len(p.ROC) == 0 {
			continue
		}
		cls := "s" + strconv.Itoa(n%seriesN)
		pts := make([][2]float64, len(p.ROC))
		for i, q := range p.ROC {
			pts[i] = [2]float64{x.at(q.FPR), y.at(q.TPR)}
		}
		s.path("line "+cls, p.Name+" part", pts)
		ly := m + size - 16 - float64(n)*20
		s.line("line "+cls, left+size-140, ly, left+size-120, ly)
		s.text("legend", "start", left+size-114, ly+4, fmt.Sprintf("%s (%d rows)", p.Name, p.Rows))
		n++
	}
	return s.close()
}

// namedPart is one part's diagnostics with its name.
type namedPart struct {
	Name string
	*engine.PartDiagnostics
}

// confusionChart draws a confusion matrix as a heat map: rows are the true
// class, columns the predicted class, each cell shaded by its share of
// its row.
func confusionChart(id, part string, m [][]int) template.HTML {
	c := len(m)
	if c == 0 {
		return ""
	}
	cell := math.Min(pictureSize/2, pictureSize/float64(c))
	const left, top = 60.0, 48.0
	w := left + pictureSize + 28
	h := top + cell*float64(c) + 28
	var s svg
	s.open(id, "confusion", w, h, "Confusion matrix, "+part+" part",
		fmt.Sprintf("Rows are the true class, columns the predicted class, of the %s part; a cell's shade is its share of the row.", part))
	s.text("axis-title", "middle", left+cell*float64(c)/2, 16, "predicted class")
	s.raw(`<text class="axis-title" text-anchor="middle" transform="translate(16 %s) rotate(-90)">true class</text>`, num(top+cell*float64(c)/2))
	for k := range c {
		s.text("tick", "middle", left+cell*(float64(k)+0.5), top-10, strconv.Itoa(k))
		s.text("tick", "end", left-8, top+cell*(float64(k)+0.5)+4, strconv.Itoa(k))
	}
	for t, row := range m {
		total := 0
		for _, v := range row {
			total += v
		}
		for p, v := range row {
			share := 0.0
			if total > 0 {
				share = float64(v) / float64(total)
			}
			cls := "cell"
			if t == p {
				cls = "cell diag"
			}
			if share > 0.55 {
				cls += " dark"
			}
			px, py := left+cell*float64(p), top+cell*float64(t)
			s.rect(cls, 0.06+0.94*share,
				fmt.Sprintf("true %d, predicted %d: %d rows (%.0f%% of class %d)", t, p, v, share*100, t), px, py, cell, cell)
			if c <= 12 {
				cls := "count"
				if share > 0.55 {
					cls += " on-dark"
				}
				switch {
				case cell >= 56:
					cls += " l"
				case cell >= 36:
					cls += " m"
				}
				s.text(cls, "middle", px+cell/2, py+cell/2+5, strconv.Itoa(v))
			}
		}
	}
	return s.close()
}

// scatterChart draws a binned predicted-vs-true scatter: a dot per
// non-empty bin, its area proportional to the rows in it, over y = x.
func scatterChart(id, part string, sc *engine.Scatter) template.HTML {
	if sc == nil || sc.Bins == 0 {
		return ""
	}
	const size, left, bottom, m = pictureSize, 60.0, 44.0, 16.0
	w, h := left+size+m, m+size+bottom
	vals, d0, d1, dec := ticks(sc.Min, sc.Max, 5)
	x := scale{d0, d1, left, left + size}
	y := scale{d0, d1, m + size, m}
	maxC := 0
	for _, c := range sc.Counts {
		maxC = max(maxC, c)
	}
	binW := (sc.Max - sc.Min) / float64(sc.Bins)
	cellPx := x.at(sc.Min+binW) - x.at(sc.Min)
	var s svg
	desc := fmt.Sprintf("Predicted against true values of the %s part, binned on a %d × %d grid; a dot's area is the number of rows in its bin. The dashed diagonal is a perfect prediction.", part, sc.Bins, sc.Bins)
	if sc.Clamped > 0 {
		desc += fmt.Sprintf(" %d predictions fell outside the range and are drawn at its edge.", sc.Clamped)
	}
	s.open(id, "scatter", w, h, "Predicted vs true, "+part+" part", desc)
	for _, v := range vals {
		s.line("grid", x.at(v), m, x.at(v), m+size)
		s.line("grid", left, y.at(v), left+size, y.at(v))
		s.text("tick", "middle", x.at(v), m+size+16, fixed(v, dec))
		s.text("tick", "end", left-6, y.at(v)+4, fixed(v, dec))
	}
	s.rect("frame", 1, "", left, m, size, size)
	s.line("ref", x.at(d0), y.at(d0), x.at(d1), y.at(d1))
	s.text("axis-title", "middle", left+size/2, h-8, "true value")
	s.raw(`<text class="axis-title" text-anchor="middle" transform="translate(14 %s) rotate(-90)">predicted value</text>`, num(m+size/2))
	for t := range sc.Bins {
		for p := range sc.Bins {
			n := sc.Counts[t*sc.Bins+p]
			if n == 0 {
				continue
			}
			cx := x.at(sc.Min + binW*(float64(t)+0.5))
			cy := y.at(sc.Min + binW*(float64(p)+0.5))
			r := math.Max(1.5, cellPx/2*math.Sqrt(float64(n)/float64(maxC)))
			s.circle("dot s0", fmt.Sprintf("%d rows: true ≈ %s, predicted ≈ %s", n,
				fmtScore(sc.Min+binW*(float64(t)+0.5)), fmtScore(sc.Min+binW*(float64(p)+0.5))), cx, cy, r)
		}
	}
	return s.close()
}

// fmtScore formats a score for people: four decimals for the usual
// metrics, fewer for large values.
func fmtScore(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case a >= 1e6 || a < 1e-4:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
}

func trunc(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
