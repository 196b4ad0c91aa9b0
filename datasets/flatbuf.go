package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkMessage checks the flatbuffer of an Arrow IPC message (Message.fbs,
// Schema.fbs) as far as arrow-go trusts it: every vector it sizes a slice
// by must lie inside the buffer, the vectors and strings reached must not
// add up to more than the buffer holds (shared subtrees would multiply
// the work), and fields must be few and shallow. It returns the message's
// body length.
func checkMessage(buf []byte) (int64, error) {
	c := &fbChecker{buf: buf, budget: len(buf)}
	root, err := c.root()
	if err != nil {
		return 0, err
	}
	if err := c.keyValues(root, 4); err != nil {
		return 0, err
	}
	bodyLen, err := root.int64(c, 3)
	if err != nil {
		return 0, err
	}
	kind, err := root.uint8(c, 1)
	if err != nil {
		return 0, err
	}
	header, ok, err := c.tableField(root, 2)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errors.New("message without header")
	}
	switch kind {
	case 1: // Schema
		err = c.schema(header)
	case 2: // DictionaryBatch { id, data: RecordBatch, isDelta }
		data, ok, err2 := c.tableField(header, 1)
		if err2 != nil {
			return 0, err2
		}
		if ok {
			err = c.recordBatch(data)
		}
	case 3: // RecordBatch
		err = c.recordBatch(header)
	default:
		return 0, fmt.Errorf("message of type %d (not schema, dictionary or record batch)", kind)
	}
	return bodyLen, err
}

var errShared = errors.New("flatbuffer vectors add up to more than the buffer (shared or overlapping data)")

type fbChecker struct {
	buf    []byte
	budget int // bytes of vectors and strings still allowed
	fields int
}

// fbTable is a flatbuffer table: its position and its vtable's.
type fbTable struct{ pos, vt, vtLen int }

func (c *fbChecker) u32(pos int) (int, error) {
	if pos < 0 || pos > len(c.buf)-4 {
		return 0, fmt.Errorf("flatbuffer offset %d out of bounds", pos)
	}
	return int(binary.LittleEndian.Uint32(c.buf[pos:])), nil
}

func (c *fbChecker) table(pos int) (fbTable, error) {
	so, err := c.u32(pos)
	if err != nil {
		return fbTable{}, err
	}
	vt := pos - int(int32(uint32(so)))
	if vt < 0 || vt > len(c.buf)-4 {
		return fbTable{}, fmt.Errorf("flatbuffer vtable %d out of bounds", vt)
	}
	vtLen := int(binary.LittleEndian.Uint16(c.buf[vt:]))
	if vtLen < 4 || vtLen%2 != 0 || vt+vtLen > len(c.buf) {
		return fbTable{}, fmt.Errorf("flatbuffer vtable of %d bytes at %d", vtLen, vt)
	}
	return fbTable{pos: pos, vt: vt, vtLen: vtLen}, nil
}

func (c *fbChecker) root() (fbTable, error) {
	off, err := c.u32(0)
	if err != nil {
		return fbTable{}, err
	}
	return c.table(off)
}

// field returns the position of field i of t, 0 when absent.
func (t fbTable) field(c *fbChecker, i int) (int, error) {
	slot := 4 + 2*i
	if slot+2 > t.vtLen {
		return 0, nil
	}
	off := int(binary.LittleEndian.Uint16(c.buf[t.vt+slot:]))
	if off == 0 {
		return 0, nil
	}
	if t.pos+off >= len(c.buf) {
		return 0, fmt.Errorf("flatbuffer field %d out of bounds", i)
	}
	return t.pos + off, nil
}

func (t fbTable) uint8(c *fbChecker, i int) (uint8, error) {
	p, err := t.field(c, i)
	if err != nil || p == 0 {
		return 0, err
	}
	return c.buf[p], nil
}

func (t fbTable) int64(c *fbChecker, i int) (int64, error) {
	p, err := t.field(c, i)
	if err != nil || p == 0 {
		return 0, err
	}
	if p > len(c.buf)-8 {
		return 0, fmt.Errorf("flatbuffer field %d out of bounds", i)
	}
	return int64(binary.LittleEndian.Uint64(c.buf[p:])), nil
}

// indirect follows the offset stored at p.
func (c *fbChecker) indirect(p int) (int, error) {
	off, err := c.u32(p)
	if err != nil {
		return 0, err
	}
	return p + off, nil
}

func (c *fbChecker) tableField(t fbTable, i int) (fbTable, bool, error) {
	p, err := t.field(c, i)
	if err != nil || p == 0 {
		return fbTable{}, false, err
	}
	q, err := c.indirect(p)
	if err != nil {
		return fbTable{}, false, err
	}
	sub, err := c.table(q)
	return sub, err == nil, err
}

// vector checks field i of t as a vector of n elements of size bytes each
// and returns the position of its first element and n (0, 0 if absent).
func (c *fbChecker) vector(t fbTable, i, size int) (int, int, error) {
	p, err := t.field(c, i)
	if err != nil || p == 0 {
		return 0, 0, err
	}
	v, err := c.indirect(p)
	if err != nil {
		return 0, 0, err
	}
	n, err := c.u32(v)
	if err != nil {
		return 0, 0, err
	}
	if n > (len(c.buf)-v-4)/size {
		return 0, 0, fmt.Errorf("flatbuffer vector of %d elements out of bounds", n)
	}
	if c.budget -= n * size; c.budget < 0 {
		return 0, 0, errShared
	}
	return v + 4, n, nil
}

// tables calls fn on each table of the vector of tables in field i of t.
func (c *fbChecker) tables(t fbTable, i int, fn func(fbTable) error) error {
	start, n, err := c.vector(t, i, 4)
	if err != nil {
		return err
	}
	for k := 0; k < n; k++ {
		q, err := c.indirect(start + 4*k)
		if err != nil {
			return err
		}
		sub, err := c.table(q)
		if err != nil {
			return err
		}
		if err := fn(sub); err != nil {
			return err
		}
	}
	return nil
}

// keyValues checks field i of t: a vector of KeyValue { key, value: string }.
func (c *fbChecker) keyValues(t fbTable, i int) error {
	return c.tables(t, i, func(kv fbTable) error {
		if _, _, err := c.vector(kv, 0, 1); err != nil {
			return err
		}
		_, _, err := c.vector(kv, 1, 1)
		return err
	})
}

// schema checks a Schema { endianness, fields: [Field], custom_metadata,
// features: [long] }.
func (c *fbChecker) schema(t fbTable) error {
	columns := 0
	err := c.tables(t, 1, func(f fbTable) error {
		if columns++; columns > MaxColumns {
			return fmt.Errorf("%w: schema of more than %d columns", errTooManyColumns, MaxColumns)
		}
		return c.field(f, 1)
	})
	if err != nil {
		return err
	}
	if err := c.keyValues(t, 2); err != nil {
		return err
	}
	_, _, err = c.vector(t, 3, 8)
	return err
}

// field checks a Field { name, nullable, type_type, type, dictionary,
// children: [Field], custom_metadata }.
func (c *fbChecker) field(t fbTable, depth int) error {
	if c.fields++; c.fields > maxIPCFields {
		return fmt.Errorf("more than %d fields", maxIPCFields)
	}
	if depth > maxIPCDepth {
		return fmt.Errorf("fields nested more than %d deep", maxIPCDepth)
	}
	if _, _, err := c.vector(t, 0, 1); err != nil {
		return err
	}
	kind, err := t.uint8(c, 2)
	if err != nil {
		return err
	}
	if kind == 14 { // Union { mode, typeIds: [int] }
		if u, ok, err := c.tableField(t, 3); err != nil {
			return err
		} else if ok {
			if _, _, err := c.vector(u, 1, 4); err != nil {
				return err
			}
		}
	}
	if err := c.tables(t, 5, func(f fbTable) error { return c.field(f, depth+1) }); err != nil {
		return err
	}
	return c.keyValues(t, 6)
}

// recordBatch checks a RecordBatch { length, nodes: [FieldNode],
// buffers: [Buffer], compression, variadicBufferCounts: [long] }.
func (c *fbChecker) recordBatch(t fbTable) error {
	if _, _, err := c.vector(t, 1, 16); err != nil {
		return err
	}
	if _, _, err := c.vector(t, 2, 16); err != nil {
		return err
	}
	_, _, err := c.vector(t, 4, 8)
	return err
}
