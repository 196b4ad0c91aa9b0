package datasets

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Dataset is a validated table: ids, features a guest may see, and labels
// and groups that stay with the host. Features holds Arrow memory: call
// Release when done.
type Dataset struct {
	// Path is where the dataset was read from (the name given to Read).
	Path string
	// IDs holds one unique, non-empty id per row, in file order.
	IDs []string
	// FeatureNames names the columns of Features, in guest order.
	FeatureNames []string
	// Features has one non-null Float64 column per feature (nulls of the
	// input are NaN), one row per id.
	Features arrow.RecordBatch
	// Labels holds one label per row; nil when the Schema had no label.
	// Binary and multiclass labels are exact small integers (no -0).
	Labels []float64
	// Groups holds one query per row; nil unless the Schema had a group.
	Groups []string
	// NumClasses is 2 for binary labels; for multiclass labels,
	// Schema.NumClasses or else max label + 1 (at least 2); 0 otherwise.
	NumClasses int
	// Hash is the hex SHA-256 of the canonical encoding of the rows (see
	// the package documentation); equal data gives equal hashes whatever
	// the file format.
	Hash string

	// IDColumn, LabelColumn and GroupColumn are the names the columns had
	// in the input; Kind is the label kind. Save records them.
	IDColumn, LabelColumn, GroupColumn string
	Kind                               LabelKind

	alloc memory.Allocator
}

// Rows returns the number of rows.
func (d *Dataset) Rows() int { return len(d.IDs) }

// Column returns the values of feature j, one per row: a view of the
// Arrow buffer (no copy), ready to be copied into a guest's column-major
// input. It is valid until Release.
func (d *Dataset) Column(j int) []float64 {
	return d.Features.Column(j).(*array.Float64).Float64Values()
}

// Release frees the Arrow memory of d. Release is idempotent.
func (d *Dataset) Release() {
	if d.Features != nil {
		d.Features.Release()
		d.Features = nil
	}
}

// Subset returns a new Dataset of the given rows of d, in the given order
// (e.g. the public or private part of a held-out set), with its own Arrow
// memory (from d's allocator) and its own hash. Rows must be in range and
// distinct; NumClasses is kept.
func Subset(d *Dataset, rows []int) (*Dataset, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("subset of %s: %w: no rows", d.Path, ErrEmpty)
	}
	n := d.Rows()
	seen := make(map[int]bool, len(rows))
	for _, r := range rows {
		if r < 0 || r >= n {
			return nil, fmt.Errorf("subset of %s: row index %d out of range [0, %d)", d.Path, r, n)
		}
		if seen[r] {
			return nil, fmt.Errorf("subset of %s: %w: row index %d twice", d.Path, ErrDuplicateID, r)
		}
		seen[r] = true
	}
	alloc := d.alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	out := &Dataset{
		Path:         d.Path,
		IDs:          make([]string, len(rows)),
		FeatureNames: d.FeatureNames,
		NumClasses:   d.NumClasses,
		IDColumn:     d.IDColumn,
		LabelColumn:  d.LabelColumn,
		GroupColumn:  d.GroupColumn,
		Kind:         d.Kind,
		alloc:        alloc,
	}
	for k, r := range rows {
		out.IDs[k] = d.IDs[r]
	}
	if d.Labels != nil {
		out.Labels = make([]float64, len(rows))
		for k, r := range rows {
			out.Labels[k] = d.Labels[r]
		}
	}
	if d.Groups != nil {
		out.Groups = make([]string, len(rows))
		for k, r := range rows {
			out.Groups[k] = d.Groups[r]
		}
	}
	cols := make([]arrow.Array, len(d.FeatureNames))
	for j := range cols {
		src := d.Column(j)
		fb := array.NewFloat64Builder(alloc)
		fb.Reserve(len(rows))
		for _, r := range rows {
			fb.UnsafeAppend(src[r])
		}
		cols[j] = fb.NewFloat64Array()
		fb.Release()
	}
	out.Features = newFeatureRecord(out.FeatureNames, cols, len(rows))
	out.Hash = out.computeHash()
	return out, nil
}
