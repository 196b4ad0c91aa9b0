package ledger

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"math/big"
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
	// CertifiedBy is the did:key of the host that certified the model and
	// Trusted whether the marketplace trusted it for every use counted
	// here, as the receipts record them ("" and false for receipts that
	// predate the fields).
	CertifiedBy string `json:"certified_by"`
	Trusted     bool   `json:"trusted"`
}

// Share is a party's part of a line: the author alone, or the team's
// members. Each receipt is split as it records (the team's agreed
// Weights, else equal shares) and the parts are summed exactly; the line
// is then rounded to whole milli-units by largest remainder (ties to the
// first party by name), so the shares sum to the line's MilliUnits.
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
	parts := map[key]map[string]*big.Rat{}
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
			l = &StatementLine{Author: r.Author, Model: r.Model, Module: r.Module, CertifiedBy: r.Issuer, Trusted: r.Trusted}
			lines[k] = l
			parts[k] = map[string]*big.Rat{}
		}
		l.Uses++
		l.Rows += r.Rows
		l.MilliUnits += r.MilliUnits
		l.Trusted = l.Trusted && r.Trusted
		if r.Issuer != "" {
			l.CertifiedBy = r.Issuer
		}
		accrue(parts[k], r)
	}
	for k, l := range lines {
		l.Shares = round(parts[k], l.MilliUnits)
		st.Lines = append(st.Lines, *l)
	}
	slices.SortFunc(st.Lines, func(a, b StatementLine) int {
		return cmp.Or(cmp.Compare(a.Author, b.Author), cmp.Compare(a.Model, b.Model))
	})
	return st, nil
}

// accrue adds r's milli-units to its parties' exact parts: by its
// agreed weights, else equally among its members, else to its author.
func accrue(parts map[string]*big.Rat, r *Receipt) {
	add := func(party string, x *big.Rat) {
		if parts[party] == nil {
			parts[party] = new(big.Rat)
		}
		parts[party].Add(parts[party], x)
	}
	switch {
	case len(r.Shares) > 0:
		for _, w := range r.Shares {
			x := new(big.Int).Mul(big.NewInt(r.MilliUnits), big.NewInt(w.BasisPoints))
			add(w.Party, new(big.Rat).SetFrac(x, big.NewInt(TotalBasisPoints)))
		}
	case len(r.Members) > 0:
		ms := slices.Compact(slices.Sorted(slices.Values(r.Members)))
		for _, m := range ms {
			add(m, big.NewRat(r.MilliUnits, int64(len(ms))))
		}
	default:
		add(r.Author, big.NewRat(r.MilliUnits, 1))
	}
}

// round makes whole milli-unit shares of exact parts summing to total:
// each party gets the floor of its part, and the milli-units left over
// go one each to the largest fractional remainders (ties by party name).
func round(parts map[string]*big.Rat, total int64) []Share {
	type rem struct {
		party string
		frac  *big.Rat
	}
	out := make([]Share, 0, len(parts))
	rems := make([]rem, 0, len(parts))
	var sum int64
	for _, p := range slices.Sorted(maps.Keys(parts)) {
		x := parts[p]
		q := new(big.Int).Quo(x.Num(), x.Denom()) // parts are never negative
		f := new(big.Rat).Sub(x, new(big.Rat).SetInt(q))
		out = append(out, Share{Party: p, MilliUnits: q.Int64()})
		rems = append(rems, rem{p, f})
		sum += q.Int64()
	}
	order := make([]int, len(rems))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return -rems[a].frac.Cmp(rems[b].frac) })
	for i := int64(0); i < total-sum; i++ {
		out[order[i]].MilliUnits++
	}
	return out
}

// Units formats milli-units as units with three decimals: 1234 is
// "1.234".
func Units(milli int64) string {
	return fmt.Sprintf("%d.%03d", milli/1000, milli%1000)
}
