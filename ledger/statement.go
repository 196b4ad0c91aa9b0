package ledger

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
)

// StatementType is the type every Statement states.
const StatementType = "verdict.statement/v1"

// Statement is what each author is owed for a period, computed from the
// receipts of the usage ledger up to one checkpoint: anyone holding the
// log can recompute it (Compute) and compare.
type Statement struct {
	Type   string `json:"type"`
	Period string `json:"period"` // a UTC month, "2026-12"
	Author string `json:"author,omitempty"`
	// Origin, Size and Root name the checkpoint the statement was
	// computed from (its first Size entries).
	Origin string          `json:"origin"`
	Size   int64           `json:"size"`
	Root   string          `json:"root"` // base64, as in the checkpoint
	Lines  []StatementLine `json:"lines"`
}

// StatementLine is one author's model over the period.
type StatementLine struct {
	Author     string  `json:"author"`
	Model      string  `json:"model"`
	Module     string  `json:"module"`
	Uses       int64   `json:"uses"`
	Rows       int64   `json:"rows"`
	MilliUnits int64   `json:"milli_units"` // thousandths of a unit owed
	Shares     []Share `json:"shares"`
}

// Share is a party's part of a line: the author alone, or each team
// member equally (the remainder of an uneven split, in milli-units, to
// the first members by name, one each).
type Share struct {
	Party      string `json:"party"`
	MilliUnits int64  `json:"milli_units"`
}

var periodPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// Compute makes the statement of period (a UTC month "YYYY-MM") from the
// first cp.Size entries of the log, read through entry; author, if not
// empty, keeps that author's lines only. Lines are by author, then model.
func Compute(period, author string, cp Checkpoint, entry func(i int64) ([]byte, error)) (*Statement, error) {
	if !periodPattern.MatchString(period) {
		return nil, fmt.Errorf("statement: period %.40q is not YYYY-MM: %w", period, ErrEntry)
	}
	st := &Statement{Type: StatementType, Period: period, Author: author, Origin: cp.Origin, Size: cp.Size,
		Root: base64.StdEncoding.EncodeToString(cp.Hash[:]), Lines: []StatementLine{}}
	type key struct{ author, model string }
	lines := map[key]*StatementLine{}
	members := map[key][]string{}
	for i := range cp.Size {
		b, err := entry(i)
		if err != nil {
			return nil, fmt.Errorf("statement: entry %d: %w", i, err)
		}
		r, err := ParseReceipt(b)
		if err != nil {
			return nil, fmt.Errorf("statement: entry %d: %w", i, err)
		}
		if r.Time.Format("2006-01") != period || (author != "" && r.Author != author) {
			continue
		}
		k := key{r.Author, r.Model}
		l := lines[k]
		if l == nil {
			l = &StatementLine{Author: r.Author, Model: r.Model, Module: r.Module}
			lines[k] = l
		}
		l.Uses++
		l.Rows += r.Rows
		l.MilliUnits += r.MilliUnits
		members[k] = r.Members // the latest receipt's team
	}
	for k, l := range lines {
		l.Shares = split(k.author, members[k], l.MilliUnits)
		st.Lines = append(st.Lines, *l)
	}
	slices.SortFunc(st.Lines, func(a, b StatementLine) int {
		return cmp.Or(cmp.Compare(a.Author, b.Author), cmp.Compare(a.Model, b.Model))
	})
	return st, nil
}

// split shares total among members equally, or gives it to author.
func split(author string, members []string, total int64) []Share {
	if len(members) == 0 {
		return []Share{{Party: author, MilliUnits: total}}
	}
	ms := slices.Sorted(slices.Values(members))
	ms = slices.Compact(ms)
	n := int64(len(ms))
	out := make([]Share, len(ms))
	for i, m := range ms {
		out[i] = Share{Party: m, MilliUnits: total / n}
		if int64(i) < total%n {
			out[i].MilliUnits++
		}
	}
	return out
}

// Units formats milli-units as units with three decimals: 1234 is
// "1.234".
func Units(milli int64) string {
	return fmt.Sprintf("%d.%03d", milli/1000, milli%1000)
}
