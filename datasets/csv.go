package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// limitReader reads at most n bytes and then fails with errLimit, so that
// a stream one byte over the limit is told apart from one that ends there.
type limitReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

var errLimit = errors.New("limit reached")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe one byte: is there more than the limit?
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, errLimit
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// nullTokens are the CSV spellings of a missing value (compared
// case-insensitively, after trimming spaces), besides the empty field.
var nullTokens = []string{"NA", "NaN", "null"}

func isNullToken(t string) bool {
	if t == "" {
		return true
	}
	for _, n := range nullTokens {
		if strings.EqualFold(t, n) {
			return true
		}
	}
	return false
}

// parseCell parses one CSV field as a number: surrounding spaces are
// ignored; a null token gives NaN and null; true/false give 1/0; otherwise
// strconv.ParseFloat decides (which takes "Inf" and rejects values out of
// float64 range).
func parseCell(field string) (v float64, null bool, err error) {
	t := strings.TrimSpace(field)
	if isNullToken(t) {
		return math.NaN(), true, nil
	}
	if strings.EqualFold(t, "true") {
		return 1, false, nil
	}
	if strings.EqualFold(t, "false") {
		return 0, false, nil
	}
	v, err = strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%q", field)
	}
	return v, false, nil
}

// utf8BOM is what spreadsheet programs put before a CSV header.
const utf8BOM = "\ufeff"

func readCSV(r io.Reader, path string, s *Schema) (*Dataset, error) {
	lr := &limitReader{r: r, n: s.maxBytes()}
	cl := newCSVLimiter(lr)
	cr := csv.NewReader(bufio.NewReaderSize(cl, 64<<10))
	cr.FieldsPerRecord = -1 // ragged rows get our own error
	cr.ReuseRecord = true

	tooLarge := func(row int) error {
		return &ParseError{Path: path, Row: row, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.maxBytes())}
	}
	var header []string
	malformed := func(row int, err error) error {
		if lr.exceeded {
			return tooLarge(row)
		}
		if cl.hit != nil {
			return cl.hit.parseError(path, header)
		}
		pe := &ParseError{Path: path, Row: row, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
		var ce *csv.ParseError
		if errors.As(err, &ce) {
			// ce.Column counts bytes of the line, not fields.
			pe.Line = ce.StartLine
			pe.Err = fmt.Errorf("%w: %w at byte %d of line %d", ErrMalformed, ce.Err, ce.Column, ce.Line)
		}
		return pe
	}

	rec, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: no header", ErrEmpty)}
	}
	if err != nil {
		return nil, malformed(0, err)
	}
	header = make([]string, len(rec))
	for j, h := range rec {
		if len(h) > MaxFieldBytes {
			return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: column %d: name of %d bytes, more than %d",
				ErrTooLarge, j+1, len(h), MaxFieldBytes)}
		}
		header[j] = strings.Clone(h)
	}
	header[0] = strings.TrimPrefix(header[0], utf8BOM)
	p, err := planColumns(path, header, s)
	if err != nil {
		return nil, err
	}

	b := newBuilder(path, s, p)
	defer b.release()
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, malformed(row, err)
		}
		line, _ := cr.FieldPos(0)
		at := func(j int, err error) error {
			pe := &ParseError{Path: path, Row: row, Line: line, Err: err}
			if j >= 0 {
				pe.Column = header[j]
			}
			return pe
		}
		if len(rec) != len(header) {
			return nil, at(-1, fmt.Errorf("%w: %d fields, the header has %d", ErrRaggedRow, len(rec), len(header)))
		}
		for j, f := range rec {
			if len(f) > MaxFieldBytes {
				return nil, at(j, fmt.Errorf("%w: field of %d bytes, more than %d", ErrTooLarge, len(f), MaxFieldBytes))
			}
		}
		if err := b.start(1); err != nil {
			return nil, err
		}
		id := rec[p.id]
		if isNullToken(strings.TrimSpace(id)) {
			return nil, at(p.id, fmt.Errorf("%w: missing (%q)", ErrBadID, id))
		}
		if err := b.addID(row, strings.Clone(id)); err != nil {
			return nil, at(p.id, err)
		}
		if p.label >= 0 {
			raw := rec[p.label]
			v, null, err := parseCell(raw)
			switch {
			case err != nil:
				return nil, at(p.label, fmt.Errorf("%w: %q is not a number", ErrBadLabel, raw))
			case null:
				return nil, at(p.label, fmt.Errorf("%w: missing (%q)", ErrBadLabel, raw))
			}
			if err := b.addLabel(v, raw); err != nil {
				return nil, at(p.label, err)
			}
		}
		if p.group >= 0 {
			g := rec[p.group]
			if isNullToken(strings.TrimSpace(g)) {
				return nil, at(p.group, fmt.Errorf("%w: missing (%q)", ErrBadGroup, g))
			}
			if err := b.addGroup(strings.Clone(g)); err != nil {
				return nil, at(p.group, err)
			}
		}
		for k, j := range p.feats {
			v, _, err := parseCell(rec[j])
			if err != nil {
				return nil, at(j, fmt.Errorf("%w: %s", ErrNotNumeric, err))
			}
			b.feats[k].Append(v)
		}
		b.done(1)
	}
	if lr.exceeded {
		return nil, tooLarge(0)
	}
	if cl.hit != nil {
		return nil, cl.hit.parseError(path, header)
	}
	return b.finish()
}
