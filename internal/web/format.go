package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"score": func(v any) string {
		switch x := v.(type) {
		case float64:
			return fmtScore(x)
		case *float64:
			if x == nil {
				return "—"
			}
			return fmtScore(*x)
		}
		return fmt.Sprint(v)
	},
	"ci": func(iv *engine.Interval) string {
		if iv == nil {
			return ""
		}
		return "[" + fmtScore(iv.Low) + ", " + fmtScore(iv.High) + "]"
	},
	"level": func(iv *engine.Interval) string {
		if iv == nil {
			return ""
		}
		return fmt.Sprintf("%g%%", iv.Level*100)
	},
	"time":   fmtTime,
	"when":   func(t time.Time) string { return t.UTC().Format("Jan 2 15:04") },
	"short":  short,
	"who":    who,
	"person": person,
	"gate":   func(r gate.Result, higher bool) string { return gate.Describe(r, higher) },
	"credGate": func(g credential.Gate, higher bool) string {
		return gate.Describe(gate.Result{Name: g.Name, Passed: g.Passed, Value: g.Value, Threshold: g.Threshold}, higher)
	},
	"gateTitle": gate.Title,
	"ms": func(v float64) string {
		switch {
		case v >= 1000:
			return fmt.Sprintf("%.2f s", v/1000)
		case v >= 10:
			return fmt.Sprintf("%.0f ms", v)
		}
		return fmt.Sprintf("%.1f ms", v)
	},
	"gateValue": func(v float64) string { return fmtScore(v) },
	"direction": func(higher bool) string {
		if higher {
			return "higher is better"
		}
		return "lower is better"
	},
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"sentence": func(s string) string {
		if s == "" {
			return s
		}
		s = strings.ToUpper(s[:1]) + s[1:]
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		return s
	},
	"words":    func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"mb":       func(v float64) string { return fmt.Sprintf("%g MB", v) },
	"pct":      func(v float64) string { return fmt.Sprintf("%g%%", v*100) },
	"credPath": func(id string) string { return "/credentials/" + strings.TrimPrefix(id, "urn:uuid:") },
}

// fmtTime writes a time for people, in UTC to the minute.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("Jan 2, 2006 15:04 UTC")
}

// who is how a participant is shown: the display name they gave (cut to
// maxName characters), else their id, with a did:key shortened to its
// first and last characters (person puts the full id in a title
// attribute beside it).
func who(name, id string) string {
	const prefix = "did:key:"
	if strings.HasPrefix(id, prefix) && len(id) > len(prefix)+12 {
		rest := id[len(prefix):]
		id = rest[:5] + "…" + rest[len(rest)-4:]
	} else {
		id = trunc(id, maxName)
	}
	if name == "" {
		return id
	}
	return trunc(name, maxName) + " · " + id
}

// maxName is the most characters of a display name or plain id shown.
const maxName = 28

// person is a participant as a page shows them: who(name, id), with the
// full id (and name) in the title attribute, so that a did:key never
// overflows its box and is still there to read and copy.
func person(name, id string) template.HTML {
	tip := fullName(name, id)
	return template.HTML(`<span class="who" title="` + template.HTMLEscapeString(tip) + `">` + template.HTMLEscapeString(who(name, id)) + `</span>`) // #nosec: escaped
}

// fullName is a participant in full, for a tooltip: "Ada (did:key:z6Mk…)".
func fullName(name, id string) string {
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}
