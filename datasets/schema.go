package datasets

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// LabelKind says what a label column must hold.
type LabelKind string

const (
	// NoLabel: the dataset has no label column (e.g. a prediction file).
	NoLabel LabelKind = ""
	// BinaryLabel: 0 or 1 (integers, floats 0.0/1.0, booleans; in CSV also
	// true/false).
	BinaryLabel LabelKind = "binary"
	// MulticlassLabel: non-negative integers (integer-valued floats are
	// accepted); classes are 0..max.
	MulticlassLabel LabelKind = "multiclass"
	// NumericLabel: any finite number (regression, ranking relevance).
	NumericLabel LabelKind = "numeric"
)

// Valid reports whether k is one of the declared kinds.
func (k LabelKind) Valid() bool {
	switch k {
	case NoLabel, BinaryLabel, MulticlassLabel, NumericLabel:
		return true
	}
	return false
}

// Limits on untrusted input. Each Schema field of the same name overrides
// its default when positive.
const (
	// DefaultMaxBytes bounds the size of an input file or stream (1 GiB).
	DefaultMaxBytes int64 = 1 << 30
	// DefaultMaxRows bounds the number of data rows (16 Mi) of an input
	// whose Schema sets no bound: untrusted input such as a participant's
	// sample or prediction file. A task's held-out dataset is the host's
	// and bounded by the host (engine.Config.MaxDatasetRows); a stored
	// dataset is read back by Open without this bound.
	DefaultMaxRows = 1 << 24
	// DefaultMaxCells bounds rows × feature columns (256 Mi values, 2 GiB of
	// float64).
	DefaultMaxCells int64 = 1 << 28
	// MaxFieldBytes bounds one CSV field, one id, one group value and one
	// column name (64 KiB).
	MaxFieldBytes = 1 << 16
	// MaxColumns bounds the columns of an input (CSV header fields, fields
	// of a CSV row, top-level fields of an IPC schema, Parquet schema
	// elements besides the root). Each column costs the loader about
	// 1.5 KiB of Arrow builders whatever the rows, so a one-row file at the
	// limit takes about 100 MB; 65536 columns hold the widest tables of
	// tabular learning (a human transcriptome's ~20k genes, images of
	// 256×256 pixels) and match the limit on IPC schema fields.
	MaxColumns = 1 << 16
	// MaxRecordBytes bounds one CSV record, the header included, quoted
	// line breaks included: 4 MiB, 64 bytes per column at MaxColumns,
	// where a float64 takes at most 24. encoding/csv holds a whole record,
	// and a string per field, before the loader sees it, so CSV input is
	// checked against MaxColumns, MaxFieldBytes and MaxRecordBytes as it
	// streams in: a record over a limit is refused after reading at most
	// that much of it.
	MaxRecordBytes = 4 << 20
	// MaxClasses bounds the number of classes of a multiclass label: a
	// guest writes one probability per class per row.
	MaxClasses = 1 << 16
)

// Schema says which columns of an input play which role. The zero value of
// every field but ID is usable.
type Schema struct {
	// ID names the id column (required). Ids must be unique, non-null and
	// non-empty; strings or integers (stored as strings).
	ID string
	// Label names the label column; "" means none (e.g. a prediction file).
	Label string
	// Kind is what the label column holds; required when Label is set,
	// must be NoLabel when it is not.
	Kind LabelKind
	// NumClasses, for MulticlassLabel only, declares the number of classes
	// when a held-out set may lack the highest ones; labels must then be
	// below it. 0 means max label + 1.
	NumClasses int
	// Features names the feature columns, in the order a guest sees them.
	// Nil or empty means every column except ID, Label and Group, in file
	// order (which may be none).
	Features []string
	// Group names an optional query column (ranking): strings or integers,
	// non-null, stored as strings.
	Group string
	// Alloc allocates the Arrow memory of the result and of decoding; nil
	// means memory.DefaultAllocator.
	Alloc memory.Allocator

	// MaxBytes bounds the input size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxRows bounds the number of data rows; 0 means DefaultMaxRows.
	MaxRows int
	// MaxCells bounds rows × feature columns; 0 means DefaultMaxCells.
	MaxCells int64

	// expectRows is how many rows Open expects, from the stored file's
	// metadata (0: unknown): room for them is made once, not grown.
	expectRows int
	// trustedHash, set by OpenDigest once the file's bytes matched the
	// digest recorded when it was saved, is the content hash the file
	// records: the builder adopts it instead of recomputing it, and does
	// not check the ids' uniqueness again (Save's input was checked).
	trustedHash string
}

// Validate reports whether s is usable. Errors wrap ErrBadSchema.
func (s *Schema) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadSchema, fmt.Sprintf(format, args...))
	}
	if s.ID == "" {
		return bad("no id column")
	}
	if !s.Kind.Valid() {
		return bad("unknown label kind %q", s.Kind)
	}
	if s.Label == "" && s.Kind != NoLabel {
		return bad("label kind %q without a label column", s.Kind)
	}
	if s.Label != "" && s.Kind == NoLabel {
		return bad("label column %q without a label kind", s.Label)
	}
	if s.NumClasses != 0 && s.Kind != MulticlassLabel {
		return bad("num classes %d for label kind %q", s.NumClasses, s.Kind)
	}
	if s.NumClasses < 0 || s.NumClasses == 1 || s.NumClasses > MaxClasses {
		return bad("num classes %d not in [2, %d]", s.NumClasses, MaxClasses)
	}
	if s.MaxBytes < 0 || s.MaxRows < 0 || s.MaxCells < 0 {
		return bad("negative limit")
	}
	roles := map[string]string{s.ID: "id"}
	for _, c := range []struct{ name, role string }{{s.Label, "label"}, {s.Group, "group"}} {
		if c.name == "" {
			continue
		}
		if r, dup := roles[c.name]; dup {
			return bad("column %q is both %s and %s", c.name, r, c.role)
		}
		roles[c.name] = c.role
	}
	for _, f := range s.Features {
		if f == "" {
			return bad("empty feature name")
		}
		if r, dup := roles[f]; dup {
			// Above all, a label must never be listed as a feature.
			return bad("column %q is both %s and feature", f, r)
		}
		roles[f] = "feature"
	}
	return nil
}

func (s *Schema) alloc() memory.Allocator {
	if s.Alloc == nil {
		return memory.DefaultAllocator
	}
	return s.Alloc
}

func (s *Schema) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

func (s *Schema) maxRows() int {
	if s.MaxRows > 0 {
		return s.MaxRows
	}
	return DefaultMaxRows
}

func (s *Schema) maxCells() int64 {
	if s.MaxCells > 0 {
		return s.MaxCells
	}
	return DefaultMaxCells
}
