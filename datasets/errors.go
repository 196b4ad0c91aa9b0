package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Loading errors arrive wrapped in a *ParseError that says
// where; test for the cause with errors.Is.
var (
	// ErrMissingColumn: a column named by the Schema is not in the file.
	ErrMissingColumn = errors.New("datasets: missing column")
	// ErrDuplicateColumn: two columns of the file have the same name.
	ErrDuplicateColumn = errors.New("datasets: duplicate column")
	// ErrBadColumnName: a column the dataset uses has an empty or invalid name.
	ErrBadColumnName = errors.New("datasets: bad column name")
	// ErrDuplicateID: two rows have the same id; the message names both rows.
	ErrDuplicateID = errors.New("datasets: duplicate id")
	// ErrBadID: an id is null, empty, too long, not UTF-8 or of a type that
	// is neither string nor integer.
	ErrBadID = errors.New("datasets: bad id")
	// ErrBadGroup: a group (ranking query) value is null, empty, too long,
	// not UTF-8 or of a type that is neither string nor integer.
	ErrBadGroup = errors.New("datasets: bad group")
	// ErrBadLabel: a label is null or not of the Schema's LabelKind.
	ErrBadLabel = errors.New("datasets: bad label")
	// ErrNotNumeric: a feature value (or a whole feature column) is not a
	// number.
	ErrNotNumeric = errors.New("datasets: not numeric")
	// ErrRaggedRow: a CSV row has more or fewer fields than the header.
	ErrRaggedRow = errors.New("datasets: ragged row")
	// ErrEmpty: the input has no data rows (or no header).
	ErrEmpty = errors.New("datasets: empty")
	// ErrUnknownFormat: the input is none of CSV, Parquet, Arrow IPC.
	ErrUnknownFormat = errors.New("datasets: unknown format")
	// ErrMalformed: the input is syntactically broken (bad CSV quoting,
	// corrupt Parquet or IPC).
	ErrMalformed = errors.New("datasets: malformed input")
	// ErrUnsupportedCodec: the input is compressed with a codec the
	// decoder does not implement (Parquet's legacy LZ4, LZO).
	ErrUnsupportedCodec = errors.New("datasets: unsupported codec")
	// ErrTooLarge: the input exceeds a limit of the Schema (MaxBytes,
	// MaxRows, MaxCells) or MaxFieldBytes.
	ErrTooLarge = errors.New("datasets: input too large")
	// ErrBadSchema: the Schema itself is invalid (see Schema.Validate).
	ErrBadSchema = errors.New("datasets: bad schema")
	// ErrNotDataset: Open was given a file that Save did not write.
	ErrNotDataset = errors.New("datasets: not a saved dataset")
	// ErrHashMismatch: the rows of a saved dataset do not match its
	// recorded hash.
	ErrHashMismatch = errors.New("datasets: hash mismatch")
)

// ParseError says where in an input a problem is. Row is the 1-based data
// row as a person counts it: the first data row after the CSV header is row
// 1 (for Parquet and IPC, the first row of the first batch is row 1); Row 0
// means the problem is not one row's (a header, a column type, the whole
// file). Line is the CSV line the row starts on (the header is line 1), 0
// for other formats. Column is the column's name in the file, "" when the
// problem is not one column's.
type ParseError struct {
	Path   string
	Row    int
	Line   int
	Column string
	Err    error
}

func (e *ParseError) Error() string {
	var parts []string
	if e.Path != "" {
		parts = append(parts, e.Path)
	}
	var where []string
	if e.Row > 0 {
		r := fmt.Sprintf("row %d", e.Row)
		if e.Line > 0 {
			r += fmt.Sprintf(" (line %d)", e.Line)
		}
		where = append(where, r)
	}
	if e.Column != "" {
		where = append(where, fmt.Sprintf("column %q", e.Column))
	}
	if len(where) > 0 {
		parts = append(parts, strings.Join(where, ", "))
	}
	parts = append(parts, fmt.Sprint(e.Err))
	return strings.Join(parts, ": ")
}

func (e *ParseError) Unwrap() error { return e.Err }
