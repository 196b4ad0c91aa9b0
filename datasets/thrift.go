package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Parquet's footer is Thrift (compact protocol), which arrow-go decodes
// with apache/thrift's generated code: that makes each list with the
// capacity its header states, checked only against a 100 MB message
// limit, so a 600-byte file can make it allocate hundreds of megabytes
// per list, and nested lists multiply that. checkParquetFooter walks the
// footer first, the way the generated code will, and rejects any list
// that states more elements than bytes remain. Every element takes at
// least one byte, so what arrow-go then allocates is bounded by a small
// multiple of the footer's size.
//
// The walk must follow the generated code exactly where it differs from
// the self-describing wire format: a field of a declared list type is read
// as a list of the declared element type, whatever element type its
// header states. thriftFileMetaData lists those fields (the structs of
// parquet.thrift that hold lists, directly or below); every other field
// and struct reads as the wire format describes it.

const (
	// maxParquetFooter bounds the size of a Parquet footer.
	maxParquetFooter = 16 << 20
	// maxThriftDepth bounds the nesting of Thrift structs and containers.
	maxThriftDepth = 64
)

// Compact-protocol type codes.
const (
	tI32    = 5
	tI64    = 6
	tBinary = 8
	tList   = 9
	tStruct = 12
)

// thriftField is a field of a declared list or struct type; sub describes
// the struct (of the field or of the list's elements), nil when it holds
// no lists.
type thriftField struct {
	kind, elem byte
	sub        thriftStruct
	max        uint64 // most elements of a list; 0: no bound but the bytes
}

// thriftStruct maps field ids to declared types, for the fields that hold
// lists.
type thriftStruct map[int16]thriftField

// The structs of parquet.thrift (as generated in arrow-go v18.8.0) that
// hold lists, from FileMetaData down.
var (
	thriftColumnMetaData = thriftStruct{
		2:  {kind: tList, elem: tI32},    // encodings
		3:  {kind: tList, elem: tBinary}, // path_in_schema
		8:  {kind: tList, elem: tStruct}, // key_value_metadata
		13: {kind: tList, elem: tStruct}, // encoding_stats
		16: {kind: tStruct, sub: thriftStruct{ // size_statistics
			2: {kind: tList, elem: tI64}, // repetition_level_histogram
			3: {kind: tList, elem: tI64}, // definition_level_histogram
		}},
		17: {kind: tStruct, sub: thriftStruct{ // geospatial_statistics
			2: {kind: tList, elem: tI32}, // geospatial_types
		}},
	}
	thriftColumnChunk = thriftStruct{
		3: {kind: tStruct, sub: thriftColumnMetaData}, // meta_data
		8: {kind: tStruct, sub: thriftStruct{ // crypto_metadata
			2: {kind: tStruct, sub: thriftStruct{ // ENCRYPTION_WITH_COLUMN_KEY
				1: {kind: tList, elem: tBinary}, // path_in_schema
			}},
		}},
	}
	thriftFileMetaData = thriftStruct{
		2: {kind: tList, elem: tStruct, max: MaxColumns + 1}, // schema: the root, then the columns
		4: {kind: tList, elem: tStruct, sub: thriftStruct{ // row_groups
			1: {kind: tList, elem: tStruct, sub: thriftColumnChunk}, // columns
			4: {kind: tList, elem: tStruct},                         // sorting_columns
		}},
		5: {kind: tList, elem: tStruct}, // key_value_metadata
		7: {kind: tList, elem: tStruct}, // column_orders
	}
)

// checkParquetFooter reads the footer of a Parquet file of the given size
// and checks it (see above).
func checkParquetFooter(r io.ReaderAt, size int64) error {
	var tail [8]byte
	if size < 12 {
		return fmt.Errorf("parquet file of %d bytes is too short", size)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	switch string(tail[4:]) {
	case "PAR1":
	case "PARE":
		return errors.New("encrypted parquet files are not supported")
	default:
		return errors.New("parquet file without PAR1 magic at the end")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > maxParquetFooter || n > size-12 {
		return fmt.Errorf("parquet footer of %d bytes in a file of %d (limit %d)", n, size, maxParquetFooter)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return err
	}
	s := &thriftScanner{b: footer}
	if err := s.structure(thriftFileMetaData, 0); err != nil {
		return fmt.Errorf("parquet footer: %w", err)
	}
	return nil
}

// thriftScanner walks Thrift compact-protocol data.
type thriftScanner struct {
	b []byte
	p int
}

var errThriftShort = errors.New("thrift data ends early")

func (s *thriftScanner) byte() (byte, error) {
	if s.p >= len(s.b) {
		return 0, errThriftShort
	}
	s.p++
	return s.b[s.p-1], nil
}

func (s *thriftScanner) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := s.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("thrift varint too long")
}

func (s *thriftScanner) skip(n uint64) error {
	if n > uint64(len(s.b)-s.p) {
		return errThriftShort
	}
	s.p += int(n)
	return nil
}

// count checks a container's element count against the bytes left.
func (s *thriftScanner) count(n uint64, perElement int) error {
	if n > uint64((len(s.b)-s.p)/perElement) {
		return fmt.Errorf("thrift container of %d elements in %d bytes", n, len(s.b)-s.p)
	}
	return nil
}

// size reads a container size or binary length as apache/thrift does (a
// varint taken as int32); anything beyond int32 is refused rather than
// truncated.
func (s *thriftScanner) size() (uint64, error) {
	n, err := s.varint()
	if err == nil && n > math.MaxInt32 {
		err = fmt.Errorf("thrift size %d", n)
	}
	return n, err
}

// listHeader reads a list or set header: the count and the element type.
func (s *thriftScanner) listHeader() (uint64, byte, error) {
	h, err := s.byte()
	if err != nil {
		return 0, 0, err
	}
	n := uint64(h >> 4)
	if n == 15 {
		if n, err = s.size(); err != nil {
			return 0, 0, err
		}
	}
	if err := s.count(n, 1); err != nil {
		return 0, 0, err
	}
	return n, h & 0x0f, nil
}

// structure reads a struct; desc gives the declared types of its fields
// that hold lists (nil: none).
func (s *thriftScanner) structure(desc thriftStruct, depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("thrift data nested more than %d deep", maxThriftDepth)
	}
	var id int16
	for {
		h, err := s.byte()
		if err != nil {
			return err
		}
		t := h & 0x0f
		if t == 0 { // stop
			return nil
		}
		if delta := int16(h >> 4); delta != 0 {
			id += delta
		} else { // long form: a zigzag varint id follows
			v, err := s.varint()
			if err != nil {
				return err
			}
			z := int32(uint32(v))
			id = int16(int32(uint32(z)>>1) ^ -(z & 1))
		}
		if t == 1 || t == 2 { // boolean true/false: no payload
			continue
		}
		if f, ok := desc[id]; ok && f.kind == t {
			err = s.declared(f, depth)
		} else {
			err = s.value(t, depth)
		}
		if err != nil {
			return err
		}
	}
}

// declared reads a field of a declared list or struct type as the
// generated code does.
func (s *thriftScanner) declared(f thriftField, depth int) error {
	if f.kind == tStruct {
		return s.structure(f.sub, depth+1)
	}
	n, _, err := s.listHeader() // the stated element type is ignored
	if err != nil {
		return err
	}
	if f.max > 0 && n > f.max {
		return fmt.Errorf("%w: schema of %d elements, more than %d columns and the root", errTooManyColumns, n, MaxColumns)
	}
	for range n {
		if f.elem == tStruct {
			err = s.structure(f.sub, depth+1)
		} else {
			err = s.value(f.elem, depth+1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *thriftScanner) value(t byte, depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("thrift data nested more than %d deep", maxThriftDepth)
	}
	switch t {
	case 1, 2, 3: // boolean (in containers: one byte), byte
		return s.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := s.varint()
		return err
	case 7: // double
		return s.skip(8)
	case 8: // binary
		n, err := s.size()
		if err != nil {
			return err
		}
		return s.skip(n)
	case 9, 10: // list, set
		n, elem, err := s.listHeader()
		if err != nil {
			return err
		}
		for range n {
			if err := s.value(elem, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		n, err := s.size()
		if err != nil || n == 0 {
			return err
		}
		kv, err := s.byte()
		if err != nil {
			return err
		}
		if err := s.count(n, 2); err != nil {
			return err
		}
		for range n {
			if err := s.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := s.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return s.structure(nil, depth+1)
	case 13: // uuid
		return s.skip(16)
	}
	return fmt.Errorf("thrift type %d", t)
}
