package datasets

import (
	"fmt"
	"io"
)

// csvLimiter sits between an input and encoding/csv and checks each record
// against MaxColumns, MaxFieldBytes and MaxRecordBytes as its bytes stream
// in: encoding/csv reads a whole record into memory, and makes a string
// per field, before returning it, so a 10M-column header or a 1 GB line
// would be held (several times over) before any check on the record could
// run. Once a record goes over a limit, Read returns the bytes before the
// offending one and then errCSVLimit, for good.
//
// It follows encoding/csv's grammar with Comma ',' and LazyQuotes off: a
// field is quoted when it starts with '"', in which "" is one quote and
// ',' and line breaks are data; a "\r\n" counts as the one '\n' it reads
// as. On input that encoding/csv rejects (a bare quote), the limiter's
// view may differ from the reader's; the reader's error then comes first
// or the limit still holds, since every byte counts toward the record.
type csvLimiter struct {
	r   io.Reader
	hit *csvLimitHit

	// The limits: MaxColumns, MaxFieldBytes, MaxRecordBytes (tests set
	// small ones).
	maxColumns, maxField, maxRecord int

	state      csvState
	row        int  // records ended so far, blank lines not counted: 0 while in the header
	line       int  // 1-based line of the current byte
	recordLine int  // line the current record starts on
	field      int  // 0-based field of the current record
	fieldBytes int  // decoded bytes of the current field
	recordByte int  // bytes of the current record
	cr         bool // the previous byte was '\r' (counted in fieldBytes)
}

type csvState uint8

const (
	fieldStart csvState = iota
	unquoted
	quoted
	quoteSeen // a '"' in a quoted field: its end, or the first of ""
)

// csvLimitHit says which limit a record went over, and where.
type csvLimitHit struct {
	row, line, field int  // row 0: the header; field is 0-based
	tooMany          bool // too many fields (field is the first one over)
	what             string
}

// errCSVLimit is what csvLimiter returns once a limit is hit; readCSV
// turns it into a ParseError from the hit.
var errCSVLimit = fmt.Errorf("%w: csv record limit", ErrTooLarge)

func newCSVLimiter(r io.Reader) *csvLimiter {
	return &csvLimiter{r: r, line: 1, recordLine: 1,
		maxColumns: MaxColumns, maxField: MaxFieldBytes, maxRecord: MaxRecordBytes}
}

func (l *csvLimiter) Read(p []byte) (int, error) {
	if l.hit != nil {
		return 0, errCSVLimit
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if l.step(b) {
			return i, errCSVLimit
		}
	}
	// The last record may end without a line break; encoding/csv then
	// drops a final '\r'.
	if err == io.EOF && l.recordByte > 0 && l.endField(l.cr) {
		return n, errCSVLimit
	}
	return n, err
}

// step takes one byte; it reports whether a limit was hit.
func (l *csvLimiter) step(b byte) bool {
	if l.recordByte++; l.recordByte > l.maxRecord {
		return l.fail(fmt.Sprintf("record of more than %d bytes", l.maxRecord))
	}
	cr := l.cr
	l.cr = b == '\r'
	switch l.state {
	case fieldStart, unquoted:
		switch {
		case b == ',':
			return l.nextField(false)
		case b == '\n':
			return l.endRecord(cr)
		case b == '"' && l.state == fieldStart:
			l.state = quoted
			return false
		}
		l.state = unquoted
	case quoted:
		switch b {
		case '"':
			l.state = quoteSeen
			return false
		case '\n':
			l.line++
			if cr {
				return false // "\r\n" reads as '\n', already counted
			}
		}
	case quoteSeen:
		switch b {
		case '"':
			l.state = quoted // "" is one quote
		case ',':
			return l.nextField(false)
		case '\n':
			return l.endRecord(cr)
		default:
			l.state = unquoted // encoding/csv refuses this; keep counting
		}
	}
	if l.fieldBytes++; l.fieldBytes > l.maxField && b != '\r' {
		// A '\r' may yet turn out to be half of a "\r\n".
		return l.fail(fmt.Sprintf("field of more than %d bytes", l.maxField))
	}
	return false
}

// endField checks the length of a field that ends here; cr says its last
// byte is a '\r' that reads as part of a "\r\n".
func (l *csvLimiter) endField(cr bool) bool {
	n := l.fieldBytes
	if cr {
		n--
	}
	if n > l.maxField {
		return l.fail(fmt.Sprintf("field of more than %d bytes", l.maxField))
	}
	return false
}

func (l *csvLimiter) nextField(cr bool) bool {
	if l.endField(cr) {
		return true
	}
	l.state, l.fieldBytes, l.cr = fieldStart, 0, false
	if l.field++; l.field >= l.maxColumns {
		if l.row == 0 {
			return l.fail(fmt.Sprintf("header of more than %d columns", l.maxColumns))
		}
		return l.fail(fmt.Sprintf("row of more than %d fields", l.maxColumns))
	}
	return false
}

// endRecord ends a record at a '\n'; cr says a '\r' came before it.
// encoding/csv skips blank lines ("\n", "\r\n"): they are no row.
func (l *csvLimiter) endRecord(cr bool) bool {
	if l.endField(cr) {
		return true
	}
	if blank := l.recordByte == 1 || (l.recordByte == 2 && cr); !blank {
		l.row++
	}
	l.line++
	l.state, l.field, l.fieldBytes, l.recordByte, l.cr = fieldStart, 0, 0, 0, false
	l.recordLine = l.line
	return false
}

func (l *csvLimiter) fail(what string) bool {
	l.hit = &csvLimitHit{row: l.row, line: l.recordLine, field: l.field, what: what, tooMany: l.field >= l.maxColumns}
	return true
}

// parseError describes the hit for the file at path with the given
// header (nil while the header is not read).
func (h *csvLimitHit) parseError(path string, header []string) *ParseError {
	pe := &ParseError{Path: path, Row: h.row, Err: fmt.Errorf("%w: %s", ErrTooLarge, h.what)}
	switch {
	case h.row == 0:
		pe.Err = fmt.Errorf("%w: header column %d: %s", ErrTooLarge, h.field+1, h.what)
		if h.tooMany {
			pe.Err = fmt.Errorf("%w: %s", ErrTooLarge, h.what)
		}
	case h.field < len(header):
		pe.Line, pe.Column = h.line, header[h.field]
	case h.tooMany:
		pe.Line = h.line
	default:
		pe.Line = h.line
		pe.Err = fmt.Errorf("%w: field %d: %s", ErrTooLarge, h.field+1, h.what)
	}
	return pe
}
