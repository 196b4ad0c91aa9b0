package datasets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// plan maps the roles of a Schema onto column positions of one input.
type plan struct {
	id, label, group int // -1 when absent
	feats            []int
	featNames        []string
}

// planColumns checks a header (CSV) or Arrow schema's names against s:
// duplicate names, missing columns, unusable names of used columns.
func planColumns(path string, names []string, s *Schema) (plan, error) {
	p := plan{id: -1, label: -1, group: -1}
	if len(names) > MaxColumns {
		return p, &ParseError{Path: path, Err: fmt.Errorf("%w: %d columns, more than %d", ErrTooLarge, len(names), MaxColumns)}
	}
	index := make(map[string]int, len(names))
	for i, n := range names {
		if j, dup := index[n]; dup {
			return p, &ParseError{Path: path, Column: n,
				Err: fmt.Errorf("%w: columns %d and %d are both named %q", ErrDuplicateColumn, j+1, i+1, n)}
		}
		index[n] = i
	}
	find := func(name, role string) (int, error) {
		i, ok := index[name]
		if !ok {
			return -1, &ParseError{Path: path, Column: name,
				Err: fmt.Errorf("%w: no %s column %q among %s", ErrMissingColumn, role, name, listNames(names))}
		}
		return i, nil
	}
	var err error
	if p.id, err = find(s.ID, "id"); err != nil {
		return p, err
	}
	if s.Label != "" {
		if p.label, err = find(s.Label, "label"); err != nil {
			return p, err
		}
	}
	if s.Group != "" {
		if p.group, err = find(s.Group, "group"); err != nil {
			return p, err
		}
	}
	if len(s.Features) > 0 {
		for _, f := range s.Features {
			i, err := find(f, "feature")
			if err != nil {
				return p, err
			}
			p.feats = append(p.feats, i)
		}
	} else {
		for i := range names {
			if i != p.id && i != p.label && i != p.group {
				p.feats = append(p.feats, i)
			}
		}
	}
	for _, i := range p.feats {
		n := names[i]
		if err := checkText(n); err != nil {
			return p, &ParseError{Path: path, Column: n,
				Err: fmt.Errorf("%w: column %d: %s", ErrBadColumnName, i+1, err)}
		}
		p.featNames = append(p.featNames, n)
	}
	return p, nil
}

// listNames lists a header for an error message, shortened when long.
func listNames(names []string) string {
	const show = 8
	q := make([]string, 0, show+1)
	for i, n := range names {
		if i == show {
			q = append(q, fmt.Sprintf("... (%d columns)", len(names)))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	if len(q) == 0 {
		return "no columns"
	}
	return strings.Join(q, ", ")
}

// checkText checks an id, a group value or a column name; the result
// describes the problem without a sentinel.
func checkText(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("empty")
	case len(s) > MaxFieldBytes:
		return fmt.Errorf("%d bytes, more than %d", len(s), MaxFieldBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	return nil
}

// builder accumulates validated rows from any format into a Dataset.
type builder struct {
	path  string
	s     *Schema
	alloc memory.Allocator
	plan  plan

	rows   int
	ids    []string
	seen   map[string]int // id -> 1-based row
	labels []float64
	groups []string
	feats  []*array.Float64Builder
}

func newBuilder(path string, s *Schema, p plan) *builder {
	n := s.expectRows
	b := &builder{path: path, s: s, alloc: s.alloc(), plan: p, ids: make([]string, 0, n)}
	if s.trustedHash == "" {
		b.seen = make(map[string]int, n)
	}
	if s.Label != "" && n > 0 {
		b.labels = make([]float64, 0, n) // nil stays "no label column"
	}
	b.feats = make([]*array.Float64Builder, len(p.feats))
	for k := range b.feats {
		b.feats[k] = array.NewFloat64Builder(b.alloc)
		if n > 0 {
			// Room for exactly n: Reserve would round up to a power of two,
			// up to twice the column.
			b.feats[k].Resize(n)
		}
	}
	return b
}

func (b *builder) release() {
	for _, f := range b.feats {
		f.Release()
	}
	b.feats = nil
}

// errAt locates err at a 1-based data row (0: none) and a column ("":
// none).
func (b *builder) errAt(row int, column string, err error) error {
	return &ParseError{Path: b.path, Row: row, Column: column, Err: err}
}

// start makes room for n more rows, enforcing MaxRows and MaxCells; the
// rows that follow are numbered b.rows+1 ... b.rows+n.
func (b *builder) start(n int) error {
	total := b.rows + n
	if total > b.s.maxRows() {
		return b.errAt(0, "", fmt.Errorf("%w: more than %d rows", ErrTooLarge, b.s.maxRows()))
	}
	if int64(total)*int64(len(b.feats)) > b.s.maxCells() {
		return b.errAt(0, "", fmt.Errorf("%w: more than %d values (%d rows × %d features)",
			ErrTooLarge, b.s.maxCells(), total, len(b.feats)))
	}
	for _, f := range b.feats {
		f.Reserve(n)
	}
	return nil
}

func (b *builder) done(n int) { b.rows += n }

// addID appends the id of row (1-based).
func (b *builder) addID(row int, id string) error {
	if err := checkText(id); err != nil {
		return fmt.Errorf("%w: %s", ErrBadID, err)
	}
	if b.seen != nil {
		if first, dup := b.seen[id]; dup {
			return fmt.Errorf("%w: %q on rows %d and %d", ErrDuplicateID, id, first, row)
		}
		b.seen[id] = row
	}
	b.ids = append(b.ids, id)
	return nil
}

func (b *builder) addGroup(g string) error {
	if err := checkText(g); err != nil {
		return fmt.Errorf("%w: %s", ErrBadGroup, err)
	}
	b.groups = append(b.groups, g)
	return nil
}

// addLabel appends a label; raw is the value as written, for messages
// ("" to format v).
func (b *builder) addLabel(v float64, raw string) error {
	if raw == "" {
		raw = strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch b.s.Kind {
	case BinaryLabel:
		if v != 0 && v != 1 {
			return fmt.Errorf("%w: %q is not 0 or 1", ErrBadLabel, raw)
		}
		v = math.Abs(v) // -0 -> 0
	case MulticlassLabel:
		if !(v >= 0) || v != math.Trunc(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %q is not a non-negative integer", ErrBadLabel, raw)
		}
		v = math.Abs(v)
		if n := b.s.NumClasses; n > 0 && v >= float64(n) {
			return fmt.Errorf("%w: class %q, but the schema has %d classes", ErrBadLabel, raw, n)
		}
		if v >= MaxClasses {
			return fmt.Errorf("%w: class %q, more than %d classes", ErrBadLabel, raw, MaxClasses)
		}
	case NumericLabel:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %q is not a finite number", ErrBadLabel, raw)
		}
	}
	b.labels = append(b.labels, v)
	return nil
}

// finish builds the Dataset; b must not be used afterwards (but release is
// still safe).
func (b *builder) finish() (*Dataset, error) {
	if b.rows == 0 {
		return nil, b.errAt(0, "", fmt.Errorf("%w: no data rows", ErrEmpty))
	}
	d := &Dataset{
		Path:         b.path,
		IDs:          b.ids,
		FeatureNames: b.plan.featNames,
		Labels:       b.labels,
		Groups:       b.groups,
		IDColumn:     b.s.ID,
		LabelColumn:  b.s.Label,
		GroupColumn:  b.s.Group,
		Kind:         b.s.Kind,
		alloc:        b.alloc,
	}
	if d.FeatureNames == nil {
		d.FeatureNames = []string{}
	}
	switch b.s.Kind {
	case BinaryLabel:
		d.NumClasses = 2
	case MulticlassLabel:
		d.NumClasses = b.s.NumClasses
		if d.NumClasses == 0 {
			m := 0.0
			for _, v := range b.labels {
				m = max(m, v)
			}
			d.NumClasses = max(int(m)+1, 2)
		}
	}
	cols := make([]arrow.Array, len(b.feats))
	for k, f := range b.feats {
		cols[k] = f.NewFloat64Array()
	}
	d.Features = newFeatureRecord(d.FeatureNames, cols, b.rows)
	if d.Hash = b.s.trustedHash; d.Hash == "" {
		d.Hash = d.computeHash()
	}
	return d, nil
}

// newFeatureRecord makes the Features record and releases cols (the record
// holds its own references).
func newFeatureRecord(names []string, cols []arrow.Array, rows int) arrow.RecordBatch {
	fields := make([]arrow.Field, len(names))
	for k, n := range names {
		fields[k] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return rec
}
