// Package datasetstest makes dataset files that arrow-go does not write:
// the variants other writers produce (Apache Arrow's JavaScript library,
// Hadoop), built from a file arrow-go wrote by rewriting its bytes.
//
// It is for tests only: it trusts its input and reports a file it does
// not recognise as an error, never a panic.
//
// # Usage
//
//	lz4, err := datasetstest.ParquetLegacyLZ4(parquetBytes)
//	js, err := datasetstest.IPCFileSchemaInFooter(arrowFileBytes)
package datasetstest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ParquetLegacyLZ4 returns a copy of a Parquet file whose column chunks
// all claim the legacy LZ4 codec (CompressionCodec 5, Hadoop's framing,
// which arrow-go does not implement), in place of the codec they were
// written with. The pages are left as they are: a reader must refuse the
// codec before it decodes one.
func ParquetLegacyLZ4(file []byte) ([]byte, error) {
	out := bytes.Clone(file)
	if len(out) < 12 || string(out[len(out)-4:]) != "PAR1" {
		return nil, errors.New("datasetstest: not a parquet file")
	}
	n := int(binary.LittleEndian.Uint32(out[len(out)-8:]))
	if n > len(out)-12 {
		return nil, fmt.Errorf("datasetstest: parquet footer of %d bytes", n)
	}
	footer := out[len(out)-8-n : len(out)-8]
	patched := 0
	// FileMetaData.row_groups(4) > RowGroup.columns(1) >
	// ColumnChunk.meta_data(3) > ColumnMetaData.codec(4), an i32 enum.
	w := &thriftWalker{b: footer, visit: func(path []int16, typ byte, pos int) {
		if typ == 5 && len(path) == 4 && path[0] == 4 && path[1] == 1 && path[2] == 3 && path[3] == 4 && footer[pos] < 0x80 {
			footer[pos] = 5 << 1 // zigzag varint of 5: one byte, as every codec's
			patched++
		}
	}}
	if err := w.structure(nil); err != nil {
		return nil, fmt.Errorf("datasetstest: parquet footer: %w", err)
	}
	if patched == 0 {
		return nil, errors.New("datasetstest: parquet footer without column chunks")
	}
	return out, nil
}

// thriftWalker walks Thrift compact-protocol data and calls visit with
// each struct field's path of field ids (list elements take their list's
// id) and type, at the position of its value.
type thriftWalker struct {
	b     []byte
	p     int
	visit func(path []int16, typ byte, pos int)
}

var errShort = errors.New("thrift data ends early")

func (w *thriftWalker) byte() (byte, error) {
	if w.p >= len(w.b) {
		return 0, errShort
	}
	w.p++
	return w.b[w.p-1], nil
}

func (w *thriftWalker) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := w.byte()
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

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(len(w.b)-w.p) {
		return errShort
	}
	w.p += int(n)
	return nil
}

func (w *thriftWalker) structure(path []int16) error {
	var id int16
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		t := h & 0x0f
		if t == 0 {
			return nil
		}
		if d := int16(h >> 4); d != 0 {
			id += d
		} else {
			v, err := w.varint()
			if err != nil {
				return err
			}
			id = int16(v>>1) ^ -int16(v&1)
		}
		sub := append(path[:len(path):len(path)], id)
		w.visit(sub, t, w.p)
		if t == 1 || t == 2 { // boolean field: the value is the type
			continue
		}
		if err := w.value(t, sub); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(t byte, path []int16) error {
	switch t {
	case 1, 2, 3:
		return w.skip(1)
	case 4, 5, 6:
		_, err := w.varint()
		return err
	case 7:
		return w.skip(8)
	case 8:
		n, err := w.varint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10:
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.varint(); err != nil {
				return err
			}
		}
		for range n {
			if err := w.value(h&0x0f, path); err != nil {
				return err
			}
		}
		return nil
	case 11:
		n, err := w.varint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := w.value(kv>>4, path); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, path); err != nil {
				return err
			}
		}
		return nil
	case 12:
		return w.structure(path)
	}
	return fmt.Errorf("thrift type %d", t)
}

// IPCFileSchemaInFooter returns an Arrow IPC file laid out as Apache
// Arrow's JavaScript library writes it (RecordBatchFileWriter): the schema
// only in the footer, the embedded stream beginning with the first
// dictionary or record batch. file is an IPC file arrow-go wrote (the
// schema message first); its schema message is cut out and the footer's
// block offsets moved to match, so the result is a valid file that
// arrow-go's ipc.FileReader reads.
func IPCFileSchemaInFooter(file []byte) ([]byte, error) {
	const magic = "ARROW1"
	if len(file) < 18 || string(file[:6]) != magic || string(file[len(file)-6:]) != magic {
		return nil, errors.New("datasetstest: not an arrow file")
	}
	le := binary.LittleEndian
	if le.Uint32(file[8:]) != 0xffffffff {
		return nil, errors.New("datasetstest: arrow file without a continuation marker")
	}
	cut := 8 + int(le.Uint32(file[12:])) // the schema message: no body
	fl := int(int32(le.Uint32(file[len(file)-10:])))
	start := len(file) - 10 - fl
	if fl < 0 || start < 8+cut {
		return nil, fmt.Errorf("datasetstest: arrow footer of %d bytes", fl)
	}
	footer := bytes.Clone(file[start : len(file)-10])
	fb := flatbuf(footer)
	root, err := fb.u32(0)
	if err != nil {
		return nil, err
	}
	// Footer { version, schema, dictionaries: [Block], recordBatches:
	// [Block] }; Block { offset: long, metaDataLength: int, bodyLength:
	// long } is 24 bytes.
	for _, field := range []int{2, 3} {
		p, err := fb.field(root, field)
		if err != nil || p == 0 {
			return nil, err
		}
		off, err := fb.u32(p)
		if err != nil {
			return nil, err
		}
		v := p + off
		n, err := fb.u32(v)
		if err != nil {
			return nil, err
		}
		if v+4+24*n > len(footer) {
			return nil, fmt.Errorf("datasetstest: footer vector of %d blocks out of bounds", n)
		}
		for k := range n {
			b := footer[v+4+24*k:]
			le.PutUint64(b, le.Uint64(b)-uint64(cut))
		}
	}
	out := append([]byte(nil), file[:8]...)
	out = append(out, file[8+cut:start]...)
	out = append(out, footer...)
	return append(out, file[len(file)-10:]...), nil
}

// flatbuf reads the few flatbuffer shapes IPCFileSchemaInFooter needs.
type flatbuf []byte

func (b flatbuf) u32(p int) (int, error) {
	if p < 0 || p > len(b)-4 {
		return 0, fmt.Errorf("datasetstest: flatbuffer offset %d out of bounds", p)
	}
	return int(binary.LittleEndian.Uint32(b[p:])), nil
}

// field returns the position of field i of the table at t, 0 if absent.
func (b flatbuf) field(t, i int) (int, error) {
	so, err := b.u32(t)
	if err != nil {
		return 0, err
	}
	vt := t - int(int32(uint32(so)))
	if vt < 0 || vt > len(b)-4 {
		return 0, fmt.Errorf("datasetstest: flatbuffer vtable %d out of bounds", vt)
	}
	vtLen := int(binary.LittleEndian.Uint16(b[vt:]))
	slot := 4 + 2*i
	if slot+2 > vtLen || vt+slot+2 > len(b) {
		return 0, nil
	}
	off := int(binary.LittleEndian.Uint16(b[vt+slot:]))
	if off == 0 {
		return 0, nil
	}
	return t + off, nil
}
