package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// svg writes one chart. Coordinates are in user units of a viewBox; the
// page's CSS scales the element to its container and gives every class its
// colour, so a chart carries no colour of its own (see RATIONALE.md, "Why
// hand-made SVG charts?").
type svg struct {
	b strings.Builder
}

// open starts an <svg> of w × h user units, labelled for assistive
// technology by its <title> and <desc>; id must be unique in the page.
func (s *svg) open(id, class string, w, h float64, title, desc string) {
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart %s" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-t %s-d">`,
		attr(class), num(w), num(h), attr(id), attr(id))
	fmt.Fprintf(&s.b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, attr(id), text(title), attr(id), text(desc))
}

// close ends the <svg> and returns it, safe to put in a page: every text
// and attribute written through s is escaped.
func (s *svg) close() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String()) // #nosec: built from escaped parts
}

func (s *svg) raw(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func (s *svg) line(class string, x1, y1, x2, y2 float64) {
	s.raw(`<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>`, attr(class), num(x1), num(y1), num(x2), num(y2))
}

// text writes a text element; anchor is start, middle or end.
func (s *svg) text(class, anchor string, x, y float64, t string) {
	s.raw(`<text class="%s" text-anchor="%s" x="%s" y="%s">%s</text>`, attr(class), anchor, num(x), num(y), text(t))
}

// titled writes a text element with a tooltip: the full text of a label
// drawn shortened.
func (s *svg) titled(class, anchor string, x, y float64, t, tip string) {
	s.raw(`<text class="%s" text-anchor="%s" x="%s" y="%s"><title>%s</title>%s</text>`, attr(class), anchor, num(x), num(y), text(tip), text(t))
}

// path writes a polyline through pts as a path, with a tooltip.
func (s *svg) path(class, tip string, pts [][2]float64) {
	if len(pts) == 0 {
		return
	}
	var d strings.Builder
	for i, p := range pts {
		if i == 0 {
			d.WriteString("M")
		} else {
			d.WriteString(" L")
		}
		d.WriteString(num(p[0]) + " " + num(p[1]))
	}
	s.raw(`<path class="%s" d="%s"><title>%s</title></path>`, attr(class), d.String(), text(tip))
}

func (s *svg) circle(class, tip string, x, y, r float64) {
	s.raw(`<circle class="%s" cx="%s" cy="%s" r="%s"><title>%s</title></circle>`, attr(class), num(x), num(y), num(r), text(tip))
}

// rect writes a rectangle; opacity, when not 1, is its fill-opacity (a
// presentation attribute: the page's CSP allows no inline style).
func (s *svg) rect(class string, opacity float64, tip string, x, y, w, h float64) {
	op := ""
	if opacity != 1 {
		op = ` fill-opacity="` + num(opacity) + `"`
	}
	if tip == "" {
		s.raw(`<rect class="%s"%s x="%s" y="%s" width="%s" height="%s"/>`, attr(class), op, num(x), num(y), num(w), num(h))
		return
	}
	s.raw(`<rect class="%s"%s x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`, attr(class), op, num(x), num(y), num(w), num(h), text(tip))
}

func attr(v string) string { return html.EscapeString(v) }
func text(v string) string { return html.EscapeString(v) }

// num formats a coordinate with at most two decimals, so the output is
// small and stable (golden files).
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// scale maps a domain [d0, d1] linearly onto a range [r0, r1].
type scale struct{ d0, d1, r0, r1 float64 }

func (sc scale) at(v float64) float64 {
	if sc.d1 == sc.d0 {
		return (sc.r0 + sc.r1) / 2
	}
	return sc.r0 + (v-sc.d0)/(sc.d1-sc.d0)*(sc.r1-sc.r0)
}

// ticks returns about n round tick values covering [lo, hi] (steps of 1, 2
// or 5 × 10^k), the domain they span, and the decimals they need.
func ticks(lo, hi float64, n int) (vals []float64, d0, d1 float64, decimals int) {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		lo, hi = 0, 1
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		pad := math.Max(math.Abs(lo)*0.05, 0.5)
		lo, hi = lo-pad, hi+pad
	}
	step := niceStep((hi - lo) / float64(max(n-1, 1)))
	d0, d1 = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	decimals = max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	p := math.Pow(10, float64(decimals))
	for i := 0.0; d0+i*step <= d1+step/2; i++ {
		vals = append(vals, math.Round((d0+i*step)*p)/p)
	}
	return vals, d0, d1, decimals
}

func niceStep(raw float64) float64 {
	exp := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / exp; {
	case f < 1.5:
		return exp
	case f < 3:
		return 2 * exp
	case f < 7:
		return 5 * exp
	default:
		return 10 * exp
	}
}

func fixed(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if s == "-0" || strings.Trim(s, "-0.") == "" {
		return "0"
	}
	return s
}

// timeTicks returns about n tick times over [t0, t1] at a round unit, with
// their label layout: a time of day below a day (the chart adds the date
// under the first tick of each day), a date or a year above.
func timeTicks(t0, t1 time.Time, n int) ([]time.Time, string) {
	span := t1.Sub(t0)
	units := []struct {
		d      time.Duration
		layout string
	}{
		{time.Minute, "15:04"}, {5 * time.Minute, "15:04"}, {15 * time.Minute, "15:04"},
		{time.Hour, "15:04"}, {3 * time.Hour, "15:04"}, {6 * time.Hour, "15:04"},
		{12 * time.Hour, "15:04"}, {24 * time.Hour, "Jan 2"}, {7 * 24 * time.Hour, "Jan 2"},
		{30 * 24 * time.Hour, "Jan 2006"}, {365 * 24 * time.Hour, "2006"},
	}
	u := units[len(units)-1]
	for _, c := range units {
		if span/c.d <= time.Duration(n) {
			u = c
			break
		}
	}
	var out []time.Time
	for t := t0.Truncate(u.d); !t.After(t1); t = t.Add(u.d) {
		if !t.Before(t0) {
			out = append(out, t)
		}
	}
	return out, u.layout
}
