package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// readerAtSeeker is what reading Parquet and IPC files needs.
type readerAtSeeker interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// batchRows is the number of rows per batch read from Parquet and written
// by Save.
const batchRows = 1 << 16

// errBudget is panicked by budgetAllocator (the Arrow readers recover
// panics from allocation into errors) and recovered by guard.
var errBudget = errors.New("decoding memory budget exceeded")

// errTooManyColumns: an IPC or Parquet schema states more than MaxColumns
// columns, found before arrow-go builds anything per column.
var errTooManyColumns = errors.New("too many columns")

// budgetAllocator bounds the memory a decoder may hold at once, so that a
// small compressed input cannot claim gigabytes (IPC and Parquet headers
// state uncompressed sizes that readers allocate before decompressing).
type budgetAllocator struct {
	mem  memory.Allocator
	left atomic.Int64
}

func newBudget(mem memory.Allocator, s *Schema) *budgetAllocator {
	b := &budgetAllocator{mem: mem}
	// The input itself, the decoded values (8 bytes each at most for the
	// columns read, plus ids), and slack for buffers in flight.
	b.left.Store(2*s.maxBytes() + 16*s.maxCells())
	return b
}

// take accounts for n more bytes (n < 0 when a reallocation shrinks).
func (b *budgetAllocator) take(n int) {
	if b.left.Add(-int64(n)) < 0 && n > 0 {
		b.left.Add(int64(n))
		panic(fmt.Errorf("%w: %d bytes", errBudget, n))
	}
}

func (b *budgetAllocator) Allocate(size int) []byte {
	b.take(size)
	return b.mem.Allocate(size)
}

func (b *budgetAllocator) Reallocate(size int, old []byte) []byte {
	b.take(size - len(old))
	return b.mem.Reallocate(size, old)
}

func (b *budgetAllocator) Free(buf []byte) {
	b.left.Add(int64(len(buf)))
	b.mem.Free(buf)
}

// guard turns a panic of an Arrow or Parquet decoder on malformed input
// into an error. arrow-go recovers most of its own panics, not all.
func guard(path string, err *error) {
	if r := recover(); r != nil {
		*err = decodeError(path, fmt.Errorf("%v", r))
		if e, ok := r.(error); ok {
			*err = decodeError(path, e)
		}
	}
}

// checkCodecs refuses a leaf column compressed, in any row group, with a
// codec arrow-go does not implement (the legacy Hadoop LZ4, LZO), before
// a page is read: arrow-go would call it malformed input.
func checkCodecs(pf *file.Reader, leaf int) error {
	for g := range pf.NumRowGroups() {
		cc, err := pf.MetaData().RowGroup(g).ColumnChunk(leaf)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		c := cc.Compression()
		if _, err := compress.GetCodec(c); err != nil {
			return fmt.Errorf("%w %s (row group %d): write it with SNAPPY, ZSTD, GZIP, BROTLI, LZ4_RAW or none", ErrUnsupportedCodec, c, g+1)
		}
	}
	return nil
}

// decodeError wraps an error of a decoder: ErrTooLarge for a budget or
// size limit, else ErrMalformed.
func decodeError(path string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, errBudget) || errors.Is(err, errLimit) || errors.Is(err, errTooManyColumns) {
		return &ParseError{Path: path, Err: fmt.Errorf("%w: %w", ErrTooLarge, err)}
	}
	return &ParseError{Path: path, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
}

func readParquet(r readerAtSeeker, path string, s *Schema) (d *Dataset, err error) {
	defer guard(path, &err)
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("read dataset %q: %w", path, err)
	}
	if err := checkParquetFooter(r, size); err != nil {
		return nil, decodeError(path, err)
	}
	mem := newBudget(s.alloc(), s)
	pf, err := file.NewParquetReader(r, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, decodeError(path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, mem)
	if err != nil {
		return nil, decodeError(path, err)
	}
	sch, err := fr.Schema()
	if err != nil {
		return nil, decodeError(path, err)
	}
	p, err := planColumns(path, fieldNames(sch), s)
	if err != nil {
		return nil, err
	}
	if err := checkTypes(path, sch, p); err != nil {
		return nil, err
	}
	if n := pf.NumRows(); n > int64(s.maxRows()) || n*int64(len(p.feats)) > s.maxCells() || n < 0 {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: %d rows × %d features (limits: %d rows, %d values)",
			ErrTooLarge, n, len(p.feats), s.maxRows(), s.maxCells())}
	}
	// Read only the leaf columns the plan uses.
	var leaves []int
	for _, i := range append([]int{p.id, p.label, p.group}, p.feats...) {
		if i < 0 {
			continue
		}
		f := fr.Manifest.Fields[i]
		if !f.IsLeaf() {
			return nil, &ParseError{Path: path, Column: sch.Field(i).Name,
				Err: fmt.Errorf("%w: nested column of type %s", ErrMalformed, sch.Field(i).Type)}
		}
		leaves = append(leaves, f.ColIndex)
		if err := checkCodecs(pf, f.ColIndex); err != nil {
			return nil, &ParseError{Path: path, Column: sch.Field(i).Name, Err: err}
		}
	}
	rr, err := fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		return nil, decodeError(path, err)
	}
	defer rr.Release()
	// The record schema holds just the columns read: plan again on it
	// with the features spelled out (same names, same order).
	rs := *s
	rs.Features = p.featNames
	if len(rs.Features) == 0 {
		rs.Features = nil
	}
	return readBatches(path, rr.Schema(), &rs, func() (arrow.RecordBatch, error) {
		if !rr.Next() {
			return nil, rr.Err()
		}
		rec := rr.RecordBatch()
		rec.Retain()
		return rec, nil
	})
}

func fieldNames(sch *arrow.Schema) []string {
	names := make([]string, sch.NumFields())
	for i, f := range sch.Fields() {
		names[i] = f.Name
	}
	return names
}

// readBatches builds a Dataset from Arrow record batches. next returns
// the next batch, owned by the caller, or nil at the end.
func readBatches(path string, sch *arrow.Schema, s *Schema, next func() (arrow.RecordBatch, error)) (*Dataset, error) {
	p, err := planColumns(path, fieldNames(sch), s)
	if err != nil {
		return nil, err
	}
	if err := checkTypes(path, sch, p); err != nil {
		return nil, err
	}
	b := newBuilder(path, s, p)
	defer b.release()
	for {
		rec, err := next()
		if err != nil {
			return nil, decodeError(path, err)
		}
		if rec == nil {
			break
		}
		err = b.addRecord(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// checkTypes checks the Arrow types of the planned columns.
func checkTypes(path string, sch *arrow.Schema, p plan) error {
	check := func(i int, ok func(arrow.DataType) bool, sentinel error, want string) error {
		if i < 0 {
			return nil
		}
		f := sch.Field(i)
		if !ok(f.Type) {
			return &ParseError{Path: path, Column: f.Name,
				Err: fmt.Errorf("%w: column of type %s, want %s", sentinel, f.Type, want)}
		}
		return nil
	}
	if err := check(p.id, isTextType, ErrBadID, "string or integer"); err != nil {
		return err
	}
	if err := check(p.label, isNumberType, ErrBadLabel, "number or boolean"); err != nil {
		return err
	}
	if err := check(p.group, isTextType, ErrBadGroup, "string or integer"); err != nil {
		return err
	}
	for _, i := range p.feats {
		if err := check(i, isNumberType, ErrNotNumeric, "number or boolean"); err != nil {
			return err
		}
	}
	return nil
}

func isIntType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

func isTextType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return true
	case arrow.DICTIONARY:
		return isTextType(t.(*arrow.DictionaryType).ValueType)
	}
	return isIntType(t)
}

func isNumberType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL:
		return true
	case arrow.DICTIONARY:
		return isNumberType(t.(*arrow.DictionaryType).ValueType)
	}
	return isIntType(t)
}

// dictIndices checks the indices of a dictionary array against its
// dictionary (IPC readers do not).
func dictIndices(a *array.Dictionary) (func(int) int, error) {
	n := a.Dictionary().Len()
	for i := 0; i < a.Len(); i++ {
		if a.IsValid(i) {
			if k := a.GetValueIndex(i); k < 0 || k >= n {
				return nil, fmt.Errorf("dictionary index %d out of range [0, %d)", k, n)
			}
		}
	}
	return a.GetValueIndex, nil
}

// textValues returns an accessor of the non-null values of a text column
// (strings or integers) as Go strings that do not alias Arrow memory.
func textValues(arr arrow.Array) (func(int) string, error) {
	switch a := arr.(type) {
	case *array.String:
		if err := a.ValidateFull(); err != nil {
			return nil, err
		}
		// One copy of the batch's bytes, of which each value is a
		// substring: a string per row would cost an allocation each
		// (tens of bytes for an id of a few).
		data := string(a.ValueBytes())
		offs := a.ValueOffsets()
		return func(i int) string { return data[offs[i]-offs[0] : offs[i+1]-offs[0]] }, nil
	case *array.LargeString:
		if err := a.ValidateFull(); err != nil {
			return nil, err
		}
		return func(i int) string { return strings.Clone(a.Value(i)) }, nil
	case *array.Int8:
		return func(i int) string { return strconv.FormatInt(int64(a.Value(i)), 10) }, nil
	case *array.Int16:
		return func(i int) string { return strconv.FormatInt(int64(a.Value(i)), 10) }, nil
	case *array.Int32:
		return func(i int) string { return strconv.FormatInt(int64(a.Value(i)), 10) }, nil
	case *array.Int64:
		return func(i int) string { return strconv.FormatInt(a.Value(i), 10) }, nil
	case *array.Uint8:
		return func(i int) string { return strconv.FormatUint(uint64(a.Value(i)), 10) }, nil
	case *array.Uint16:
		return func(i int) string { return strconv.FormatUint(uint64(a.Value(i)), 10) }, nil
	case *array.Uint32:
		return func(i int) string { return strconv.FormatUint(uint64(a.Value(i)), 10) }, nil
	case *array.Uint64:
		return func(i int) string { return strconv.FormatUint(a.Value(i), 10) }, nil
	case *array.Dictionary:
		idx, err := dictIndices(a)
		if err != nil {
			return nil, err
		}
		inner, err := textValues(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) string { return inner(idx(i)) }, nil
	}
	return nil, fmt.Errorf("array of type %s is not text", arr.DataType())
}

// numberValues returns an accessor of the non-null values of a numeric or
// boolean column as float64.
func numberValues(arr arrow.Array) (func(int) float64, error) {
	switch a := arr.(type) {
	case *array.Float64:
		return a.Value, nil
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Float16:
		return func(i int) float64 { return float64(a.Value(i).Float32()) }, nil
	case *array.Boolean:
		return func(i int) float64 {
			if a.Value(i) {
				return 1
			}
			return 0
		}, nil
	case *array.Int8:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Int16:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Int32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Int64:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint8:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint16:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint64:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Dictionary:
		idx, err := dictIndices(a)
		if err != nil {
			return nil, err
		}
		inner, err := numberValues(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) float64 { return inner(idx(i)) }, nil
	}
	return nil, fmt.Errorf("array of type %s is not numeric", arr.DataType())
}

// addRecord validates and appends one record batch.
func (b *builder) addRecord(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	for i, c := range rec.Columns() {
		if c.Len() != n {
			return b.errAt(0, rec.ColumnName(i), fmt.Errorf("%w: column of %d rows in a batch of %d", ErrMalformed, c.Len(), n))
		}
	}
	if err := b.start(n); err != nil {
		return err
	}
	base := b.rows
	p := b.plan
	name := rec.ColumnName
	bad := func(col int, err error) error {
		return b.errAt(0, name(col), fmt.Errorf("%w: %w", ErrMalformed, err))
	}

	ids := rec.Column(p.id)
	text, err := textValues(ids)
	if err != nil {
		return bad(p.id, err)
	}
	for i := 0; i < n; i++ {
		if ids.IsNull(i) {
			return b.errAt(base+i+1, name(p.id), fmt.Errorf("%w: null", ErrBadID))
		}
		if err := b.addID(base+i+1, text(i)); err != nil {
			return b.errAt(base+i+1, name(p.id), err)
		}
	}
	if p.label >= 0 {
		labels := rec.Column(p.label)
		num, err := numberValues(labels)
		if err != nil {
			return bad(p.label, err)
		}
		for i := 0; i < n; i++ {
			if labels.IsNull(i) {
				return b.errAt(base+i+1, name(p.label), fmt.Errorf("%w: null", ErrBadLabel))
			}
			if err := b.addLabel(num(i), ""); err != nil {
				return b.errAt(base+i+1, name(p.label), err)
			}
		}
	}
	if p.group >= 0 {
		groups := rec.Column(p.group)
		text, err := textValues(groups)
		if err != nil {
			return bad(p.group, err)
		}
		for i := 0; i < n; i++ {
			if groups.IsNull(i) {
				return b.errAt(base+i+1, name(p.group), fmt.Errorf("%w: null", ErrBadGroup))
			}
			if err := b.addGroup(text(i)); err != nil {
				return b.errAt(base+i+1, name(p.group), err)
			}
		}
	}
	for k, j := range p.feats {
		col := rec.Column(j)
		dst := b.feats[k]
		if f, ok := col.(*array.Float64); ok && f.NullN() == 0 {
			dst.AppendValues(f.Float64Values(), nil)
			continue
		}
		num, err := numberValues(col)
		if err != nil {
			return bad(j, err)
		}
		for i := 0; i < n; i++ {
			if col.IsNull(i) {
				dst.UnsafeAppend(math.NaN())
			} else {
				dst.UnsafeAppend(num(i))
			}
		}
	}
	b.done(n)
	return nil
}
