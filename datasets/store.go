package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/verdictlab/verdict/internal/durable"
)

// Metadata keys of a saved dataset. The schema carries the format tag,
// label kind, number of classes and hash; each field carries its role.
const (
	metaFormat     = "verdict.format"
	metaKind       = "verdict.label_kind"
	metaNumClasses = "verdict.num_classes"
	metaHash       = "verdict.hash"
	metaRows       = "verdict.rows"
	metaRole       = "verdict.role"

	formatTag = "verdict-dataset/1"

	roleID      = "id"
	roleFeature = "feature"
	roleLabel   = "label"
	roleGroup   = "group"
)

// openMaxBytes bounds a saved dataset read by Open: files in the data dir
// were written by Save, so the bound only stops runaway reads.
const openMaxBytes int64 = 64 << 30

// openMaxRows and openMaxCells bound the rows and values of a saved
// dataset read by Open: the host's bounds were applied when it was
// created (engine.Config), so these only keep the arithmetic in range.
const (
	openMaxRows        = 1<<31 - 1
	openMaxCells int64 = 1 << 40
)

func roleField(name string, t arrow.DataType, role string) arrow.Field {
	return arrow.Field{Name: name, Type: t, Metadata: arrow.NewMetadata([]string{metaRole}, []string{role})}
}

// Save writes d to path as one Arrow IPC file: the id column, the
// features, then the label and group columns when present, with the role
// of each column, the label kind, the number of classes, the number of
// rows and the hash in the metadata. The file is written with
// durable.Write (a synced temporary file renamed over path, then the
// directory synced), so that path always holds a whole dataset.
func (d *Dataset) Save(path string) error {
	_, err := d.SaveDigest(path)
	return err
}

// SaveDigest is Save that also returns the FileDigest of the file it
// wrote, hashed as the bytes are written instead of read back.
func (d *Dataset) SaveDigest(path string) (digest string, err error) {
	alloc := d.alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	fields := []arrow.Field{roleField(d.IDColumn, arrow.BinaryTypes.String, roleID)}
	for _, n := range d.FeatureNames {
		fields = append(fields, roleField(n, arrow.PrimitiveTypes.Float64, roleFeature))
	}
	if d.Labels != nil {
		fields = append(fields, roleField(d.LabelColumn, arrow.PrimitiveTypes.Float64, roleLabel))
	}
	if d.Groups != nil {
		fields = append(fields, roleField(d.GroupColumn, arrow.BinaryTypes.String, roleGroup))
	}
	meta := arrow.NewMetadata(
		[]string{metaFormat, metaKind, metaNumClasses, metaHash, metaRows},
		[]string{formatTag, string(d.Kind), strconv.Itoa(d.NumClasses), d.Hash, strconv.Itoa(d.Rows())})
	sch := arrow.NewSchema(fields, &meta)

	h := sha256.New()
	err = durable.Write(path, 0o600, func(out io.Writer) error {
		h.Reset()
		w, err := ipc.NewFileWriter(io.MultiWriter(out, h), ipc.WithSchema(sch), ipc.WithAllocator(alloc))
		if err != nil {
			return err
		}
		for i := 0; i < d.Rows(); i += batchRows {
			part := d.batch(sch, alloc, i, min(i+batchRows, d.Rows()))
			err = w.Write(part)
			part.Release()
			if err != nil {
				w.Close()
				return err
			}
		}
		return w.Close()
	})
	if err != nil {
		return "", fmt.Errorf("save dataset: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// batch returns rows [lo, hi) of d as a record of Save's schema sch: the
// features are views of d's, the ids, labels and groups are built for
// the batch alone, so Save holds one batch of them at a time beside d.
func (d *Dataset) batch(sch *arrow.Schema, alloc memory.Allocator, lo, hi int) arrow.RecordBatch {
	cols := make([]arrow.Array, 0, sch.NumFields())
	sb := array.NewStringBuilder(alloc)
	sb.AppendValues(d.IDs[lo:hi], nil)
	cols = append(cols, sb.NewArray())
	sb.Release()
	for j := range d.FeatureNames {
		cols = append(cols, array.NewSlice(d.Features.Column(j), int64(lo), int64(hi)))
	}
	if d.Labels != nil {
		fb := array.NewFloat64Builder(alloc)
		fb.AppendValues(d.Labels[lo:hi], nil)
		cols = append(cols, fb.NewArray())
		fb.Release()
	}
	if d.Groups != nil {
		gb := array.NewStringBuilder(alloc)
		gb.AppendValues(d.Groups[lo:hi], nil)
		cols = append(cols, gb.NewArray())
		gb.Release()
	}
	rec := array.NewRecordBatch(sch, cols, int64(hi-lo))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// Open reads a dataset that Save wrote, recomputes its hash and checks it
// against the recorded one (ErrHashMismatch). alloc may be nil
// (memory.DefaultAllocator).
func Open(path string, alloc memory.Allocator) (d *Dataset, err error) {
	return open(path, "", alloc)
}

// FileDigest returns the hex SHA-256 of the bytes of the file at path:
// what a caller records after Save, for OpenDigest.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("digest dataset: %w", err)
	}
	defer f.Close()
	return fileDigest(f)
}

// digest is the hex SHA-256 of the mapped bytes, read in chunks whose
// pages are dropped once hashed.
func (m *mapping) digest() string {
	const chunk = 16 << 20
	h := sha256.New()
	for off := 0; off < len(m.data); off += chunk {
		n := min(chunk, len(m.data)-off)
		h.Write(m.data[off : off+n])
		m.drop(off, n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileDigest(f *os.File) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("digest dataset %s: %w", f.Name(), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// OpenDigest is Open for a file whose FileDigest the caller recorded after
// Save: it hashes the file's bytes, refuses a file whose digest differs
// (ErrHashMismatch: the file changed since it was saved), and then trusts
// what Save's input was checked for instead of checking it again: the
// content hash is the one the file records and the ids are not re-checked
// for uniqueness. Hashing the bytes costs a fraction of recomputing the
// content hash. The check is against a file changed at rest, between
// Save and OpenDigest, not while it is being read.
func OpenDigest(path, digest string, alloc memory.Allocator) (*Dataset, error) {
	if digest == "" {
		return nil, fmt.Errorf("open dataset %s: no digest given", path)
	}
	return open(path, digest, alloc)
}

// open is Open, or OpenDigest when digest is set. The file is mapped
// into memory (mapFile) and read in place: its bytes are hashed and its
// record batches decoded from the mapping, each page dropped from the
// resident set once read, so the file costs a window of memory, not its
// size, on top of the dataset it holds.
func open(path, digest string, alloc memory.Allocator) (d *Dataset, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	if st.Size() > openMaxBytes {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: %d bytes", ErrTooLarge, st.Size())}
	}
	m, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	defer m.release()
	// A file truncated under the mapping faults on read: a panic that
	// guard reports, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(path, &err)
	if digest != "" {
		if got := m.digest(); got != digest {
			return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: the file's bytes hash to %s, recorded %s when it was saved: it changed on disk", ErrHashMismatch, got, digest)}
		}
	}
	notDataset := func(why string) error {
		return &ParseError{Path: path, Err: fmt.Errorf("%w: %s", ErrNotDataset, why)}
	}

	s := Schema{Alloc: alloc, MaxBytes: openMaxBytes, MaxRows: openMaxRows, MaxCells: openMaxCells}
	stream, _, err := ipcFileStream(bytes.NewReader(m.data), st.Size())
	if err != nil {
		return nil, notDataset(err.Error())
	}
	_, start, n := stream.Outer()
	rd, err := newIPCReaderFrom(newMappedMsgReader(m, int(start), int(start+n), openMaxBytes), newBudget(s.alloc(), &s))
	if err != nil {
		return nil, notDataset(err.Error())
	}
	defer rd.Release()
	sch := rd.Schema()
	meta := sch.Metadata()
	if v, _ := meta.GetValue(metaFormat); v != formatTag {
		return nil, notDataset(fmt.Sprintf("format %q, want %q", v, formatTag))
	}
	kind, _ := meta.GetValue(metaKind)
	s.Kind = LabelKind(kind)
	want, _ := meta.GetValue(metaHash)
	nc, _ := meta.GetValue(metaNumClasses)
	numClasses, err := strconv.Atoi(nc)
	if err != nil {
		return nil, notDataset(fmt.Sprintf("num classes %q", nc))
	}
	if s.Kind == MulticlassLabel {
		s.NumClasses = numClasses
	}
	for _, fd := range sch.Fields() {
		role, _ := fd.Metadata.GetValue(metaRole)
		var dst *string
		switch role {
		case roleID:
			dst = &s.ID
		case roleLabel:
			dst = &s.Label
		case roleGroup:
			dst = &s.Group
		case roleFeature:
			s.Features = append(s.Features, fd.Name)
			continue
		default:
			return nil, notDataset(fmt.Sprintf("column %q has role %q", fd.Name, role))
		}
		if *dst != "" {
			return nil, notDataset(fmt.Sprintf("two %s columns", role))
		}
		*dst = fd.Name
	}
	if err := s.Validate(); err != nil {
		return nil, notDataset(err.Error())
	}
	rows, _ := meta.GetValue(metaRows)
	s.expectRows = expectRows(rows, st.Size(), s.maxRows())
	if digest != "" {
		s.trustedHash = want
	}
	d, err = readIPC(rd, path, &s)
	if err != nil {
		return nil, err
	}
	if d.Hash != want {
		d.Release()
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: rows hash to %s, file records %s", ErrHashMismatch, d.Hash, want)}
	}
	if d.NumClasses != numClasses {
		d.Release()
		return nil, notDataset(fmt.Sprintf("num classes %d, rows have %d", numClasses, d.NumClasses))
	}
	return d, nil
}

// expectRows reads the row count a stored file records (files saved
// before it was recorded have none), as a hint only: 0 unless it is a
// number of rows the file could hold — every row takes at least 4 bytes
// (an id offset) — within the row limit. The rows read decide, and the
// hash checks them.
func expectRows(v string, size int64, maxRows int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > maxRows || int64(n) > size/4 {
		return 0
	}
	return n
}
