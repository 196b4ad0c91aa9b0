package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Sample is the first rows of a participant's own CSV (their training
// data, say), reduced to a task's feature columns: what verdict check runs
// a model on before it is submitted. It holds no id and no label: a sample
// is features only, whatever else the file has.
type Sample struct {
	// Columns holds one column per wanted feature, in the wanted order;
	// nil when Missing is not empty. Nulls are NaN, as in a Dataset.
	Columns [][]float64
	// Rows is the number of data rows read (at most the maxRows asked for).
	Rows int
	// Missing lists the wanted features the file lacks, in the wanted
	// order.
	Missing []string
	// Ignored lists the file's columns that are not wanted features (an
	// id, the label, extra columns), in file order.
	Ignored []string
}

// LoadSample is ReadSample on the file at path.
func LoadSample(path string, features []string, maxRows int) (*Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load sample: %w", err)
	}
	defer f.Close()
	return ReadSample(f, path, features, maxRows)
}

// ReadSample reads at most maxRows data rows of the CSV r (name is used in
// errors) and keeps the columns named in features, in that order. A wanted column the file
// lacks is listed in Sample.Missing (no rows are read then), not an
// error; every other column is ignored. Values follow Load's CSV rules
// (null tokens, true/false, strconv.ParseFloat) and its per-record limits;
// a problem is a *ParseError naming the row and column, a file that is not
// CSV text ErrUnknownFormat.
func ReadSample(r io.Reader, path string, features []string, maxRows int) (*Sample, error) {
	if maxRows < 1 {
		return nil, fmt.Errorf("read sample %q: %w: max rows %d, want at least 1", path, ErrBadSchema, maxRows)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(sniffLen)
	format, err := Sniff(head, path)
	if err != nil {
		return nil, err
	}
	if format != CSV {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: %s; a sample must be CSV with a header row", ErrUnknownFormat, format)}
	}
	lr := &limitReader{r: br, n: DefaultMaxBytes}
	cl := newCSVLimiter(lr)
	cr := csv.NewReader(bufio.NewReaderSize(cl, 64<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var header []string
	malformed := func(row int, err error) error {
		if lr.exceeded {
			return &ParseError{Path: path, Row: row, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, DefaultMaxBytes)}
		}
		if cl.hit != nil {
			return cl.hit.parseError(path, header)
		}
		pe := &ParseError{Path: path, Row: row, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
		var ce *csv.ParseError
		if errors.As(err, &ce) {
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
	index := make(map[string]int, len(rec))
	for j, h := range rec {
		if j == 0 {
			h = strings.TrimPrefix(h, utf8BOM)
		}
		header[j] = strings.Clone(h)
		if k, dup := index[header[j]]; dup {
			return nil, &ParseError{Path: path, Column: header[j],
				Err: fmt.Errorf("%w: columns %d and %d are both named %q", ErrDuplicateColumn, k+1, j+1, header[j])}
		}
		index[header[j]] = j
	}
	s := &Sample{}
	wanted := make(map[string]bool, len(features))
	var pick []int
	for _, name := range features {
		wanted[name] = true
		if j, ok := index[name]; ok {
			pick = append(pick, j)
		} else {
			s.Missing = append(s.Missing, name)
		}
	}
	for _, h := range header {
		if !wanted[h] {
			s.Ignored = append(s.Ignored, h)
		}
	}
	if len(s.Missing) > 0 {
		return s, nil
	}
	s.Columns = make([][]float64, len(pick))
	for row := 1; row <= maxRows; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, malformed(row, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &ParseError{Path: path, Row: row, Line: line,
				Err: fmt.Errorf("%w: %d fields, the header has %d", ErrRaggedRow, len(rec), len(header))}
		}
		for k, j := range pick {
			v, _, err := parseCell(rec[j])
			if err != nil {
				return nil, &ParseError{Path: path, Row: row, Line: line, Column: header[j],
					Err: fmt.Errorf("%w: %s", ErrNotNumeric, err)}
			}
			s.Columns[k] = append(s.Columns[k], v)
		}
		s.Rows++
	}
	if s.Rows == 0 {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: a header and no data rows", ErrEmpty)}
	}
	return s, nil
}
