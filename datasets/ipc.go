package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Arrow IPC is read through our own message reader (msgReader) rather
// than arrow-go's, because arrow-go v18.8.0 trusts the sizes inside
// messages: ipc.NewReader ignores its size limits, and decoding a schema
// makes slices as long as the vector lengths its flatbuffer states, so a
// 200-byte stream can make the process die of an out-of-memory fatal
// error, which no recover catches. msgReader reads each message's bytes
// before allocating for them and checks every flatbuffer vector that
// arrow-go will size a slice by (checkMessage) before arrow-go sees the
// message.
//
// IPC files are read as the stream they embed (between the leading magic
// and the footer): the footer is only an index for random access. The
// format says the stream starts with the schema, but Apache Arrow's
// JavaScript library writes it only in the footer: then the footer's
// schema is made the stream's first message (footerSchema).

const (
	// maxIPCMetadata bounds one message's flatbuffer metadata.
	maxIPCMetadata = 16 << 20
	// maxIPCFields bounds the fields of a schema, nested ones included.
	maxIPCFields = 1 << 16
	// maxIPCDepth bounds the nesting of fields.
	maxIPCDepth = 64
)

// msgReader implements ipc.MessageReader over an io.Reader, checking
// every message (see above).
type msgReader struct {
	r       io.Reader
	maxBody int64
	msg     *ipc.Message
	refs    atomic.Int64

	// mem, when set, holds the stream in mem.data[off:end]: message
	// bodies are read in place, without a copy, and the pages of the
	// messages already read are dropped from memory (mapping.drop) as
	// the next one is read. Metadata is copied: arrow-go keeps strings
	// of it (field names) that must outlive the mapping.
	mem      *mapping
	off, end int
	dropped  int
}

var _ ipc.MessageReader = (*msgReader)(nil)

func newMsgReader(r io.Reader, maxBody int64) *msgReader {
	m := &msgReader{r: r, maxBody: maxBody}
	m.refs.Add(1)
	return m
}

// newMappedMsgReader reads the stream in mem.data[off:end] in place (see
// msgReader.mem): the arrays of the batches it reads alias the mapping
// and must not be used after it is released.
func newMappedMsgReader(mem *mapping, off, end int, maxBody int64) *msgReader {
	m := &msgReader{mem: mem, off: off, end: end, dropped: off, maxBody: maxBody}
	m.refs.Add(1)
	return m
}

// next returns the next n bytes of the stream: in place when it is
// mapped, else read (readN).
func (m *msgReader) next(n int64) ([]byte, error) {
	if m.mem == nil {
		return readN(m.r, n)
	}
	if n > int64(m.end-m.off) {
		m.off = m.end
		return nil, io.ErrUnexpectedEOF
	}
	b := m.mem.data[m.off : m.off+int(n) : m.off+int(n)]
	m.off += int(n)
	return b, nil
}

// word reads a little-endian uint32; io.EOF when the stream ends before
// it, io.ErrUnexpectedEOF when it ends inside it.
func (m *msgReader) word() (uint32, error) {
	var w [4]byte
	if m.mem == nil {
		if _, err := io.ReadFull(m.r, w[:]); err != nil {
			return 0, err
		}
		return binary.LittleEndian.Uint32(w[:]), nil
	}
	switch left := m.end - m.off; {
	case left == 0:
		return 0, io.EOF
	case left < 4:
		m.off = m.end
		return 0, io.ErrUnexpectedEOF
	}
	v := binary.LittleEndian.Uint32(m.mem.data[m.off:])
	m.off += 4
	return v, nil
}

func (m *msgReader) Retain() { m.refs.Add(1) }

func (m *msgReader) Release() {
	if m.refs.Add(-1) == 0 && m.msg != nil {
		m.msg.Release()
		m.msg = nil
	}
}

// readN reads exactly n bytes, growing its buffer as bytes arrive rather
// than trusting n up front.
func readN(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, n)
	if got < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// Message returns the next message, valid until the next call; io.EOF at
// the end of the stream.
func (m *msgReader) Message() (*ipc.Message, error) {
	if m.mem != nil && m.msg != nil {
		// The previous message was consumed: its pages may go.
		m.mem.drop(m.dropped, m.off-m.dropped)
		m.dropped = m.off
	}
	n, err := m.word()
	if err != nil {
		return nil, err // io.EOF: a stream may end without an EOS marker
	}
	if n == 0xffffffff { // continuation marker, then the length
		if n, err = m.word(); err != nil {
			return nil, fmt.Errorf("read message length: %w", io.ErrUnexpectedEOF)
		}
	}
	if n == 0 {
		return nil, io.EOF // end-of-stream marker
	}
	if n < 8 || n > maxIPCMetadata {
		return nil, fmt.Errorf("message metadata of %d bytes (limit %d)", n, maxIPCMetadata)
	}
	meta, err := m.next(int64(n))
	if err != nil {
		return nil, fmt.Errorf("read message metadata: %w", err)
	}
	if m.mem != nil {
		meta = bytes.Clone(meta)
	}
	bodyLen, err := checkMessage(meta)
	if err != nil {
		return nil, fmt.Errorf("message metadata: %w", err)
	}
	if bodyLen < 0 || bodyLen > m.maxBody {
		return nil, fmt.Errorf("message body of %d bytes (limit %d)", bodyLen, m.maxBody)
	}
	body, err := m.next(bodyLen)
	if err != nil {
		return nil, fmt.Errorf("read message body: %w", err)
	}
	if m.msg != nil {
		m.msg.Release()
	}
	mb, bb := memory.NewBufferBytes(meta), memory.NewBufferBytes(body)
	m.msg = ipc.NewMessage(mb, bb)
	mb.Release()
	bb.Release()
	return m.msg, nil
}

// ipcFileStream returns the stream embedded in an IPC file of the given
// size, after "ARROW1" and 2 bytes of padding, and the footer that
// follows it, before its int32 length and the closing "ARROW1".
func ipcFileStream(r io.ReaderAt, size int64) (stream, footer *io.SectionReader, err error) {
	const magic = "ARROW1"
	var head [8]byte
	var tail [10]byte
	if size < int64(len(head)+len(tail)) {
		return nil, nil, fmt.Errorf("arrow file of %d bytes is too short", size)
	}
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, nil, err
	}
	if _, err := r.ReadAt(tail[:], size-int64(len(tail))); err != nil {
		return nil, nil, err
	}
	if string(head[:6]) != magic || string(tail[4:]) != magic {
		return nil, nil, errors.New("arrow file without ARROW1 magic at both ends")
	}
	n := int64(int32(binary.LittleEndian.Uint32(tail[:4])))
	end := size - int64(len(tail)) - n
	if n < 0 || end < int64(len(head)) {
		return nil, nil, fmt.Errorf("arrow file footer of %d bytes in a file of %d", n, size)
	}
	return io.NewSectionReader(r, int64(len(head)), end-int64(len(head))), io.NewSectionReader(r, end, n), nil
}

// startsWithSchema reports whether an IPC stream's first message is not
// known to be something other than a schema: a file written by Apache
// Arrow's JavaScript library (RecordBatchFileWriter) has its schema only
// in the footer, and its stream starts with a dictionary or record batch,
// or ends at once. An unreadable first message counts as a schema, for
// the stream reader to report.
func startsWithSchema(stream *io.SectionReader) bool {
	var word [8]byte
	k, _ := stream.ReadAt(word[:], 0)
	if k < 4 {
		return true
	}
	n, off := binary.LittleEndian.Uint32(word[:]), int64(4)
	if n == 0xffffffff {
		if k < 8 {
			return true
		}
		n, off = binary.LittleEndian.Uint32(word[4:]), 8
	}
	if n == 0 { // end of stream: no schema message
		return false
	}
	if n < 8 || n > maxIPCMetadata || int64(n) > stream.Size()-off {
		return true
	}
	meta := make([]byte, n)
	if _, err := stream.ReadAt(meta, off); err != nil {
		return true
	}
	c := &fbChecker{buf: meta, budget: len(meta)}
	root, err := c.root()
	if err != nil {
		return true
	}
	kind, err := root.uint8(c, 1)
	return err != nil || kind == 1
}

// footerSchema returns a stream's schema message, framed, made from an
// IPC file's footer (Footer.fbs: Footer { version, schema, dictionaries,
// recordBatches }): a Message { version, header_type: Schema, header,
// bodyLength: 0 } whose header is the footer's schema table. The footer
// is copied whole after the new table, so its offsets, all relative,
// hold; the message is checked like any other when it is read.
func footerSchema(footer *io.SectionReader) ([]byte, error) {
	if footer.Size() > maxIPCMetadata {
		return nil, fmt.Errorf("arrow file footer of %d bytes (limit %d)", footer.Size(), maxIPCMetadata)
	}
	fb, err := readN(footer, footer.Size())
	if err != nil {
		return nil, fmt.Errorf("read arrow file footer: %w", err)
	}
	c := &fbChecker{buf: fb, budget: len(fb)}
	root, err := c.root()
	if err != nil {
		return nil, fmt.Errorf("arrow file footer: %w", err)
	}
	var version uint16
	if p, err := root.field(c, 0); err != nil {
		return nil, fmt.Errorf("arrow file footer: %w", err)
	} else if p != 0 {
		if p > len(fb)-2 {
			return nil, errors.New("arrow file footer: version out of bounds")
		}
		version = binary.LittleEndian.Uint16(fb[p:])
	}
	sch, ok, err := c.tableField(root, 1)
	if err != nil {
		return nil, fmt.Errorf("arrow file footer: %w", err)
	}
	if !ok {
		return nil, errors.New("arrow file with no schema, neither in its stream nor in its footer")
	}
	// The frame (8 bytes), then the message: its root offset (4), vtable
	// (12: sizes of vtable and table, then where fields 0-3 are in the
	// table) and table (20: vtable offset, header, bodyLength, version,
	// header_type, padding), then the footer, padded to 8 bytes.
	const frame, head = 8, 40
	le := binary.LittleEndian
	meta := (head + len(fb) + 7) &^ 7
	buf := make([]byte, frame+meta)
	le.PutUint32(buf, 0xffffffff)
	le.PutUint32(buf[4:], uint32(meta))
	m := buf[frame:]
	le.PutUint32(m, 16)                                // root: the table at 16
	for i, v := range []uint16{12, 20, 16, 18, 4, 8} { // vtable at 4
		le.PutUint16(m[4+2*i:], v)
	}
	le.PutUint32(m[16:], 16-4)                    // the table's vtable, 12 bytes before it
	le.PutUint32(m[20:], uint32(head+sch.pos-20)) // header: the schema table
	le.PutUint16(m[32:], version)
	m[34] = 1 // header_type: Schema
	copy(m[head:], fb)
	return buf, nil
}

// newIPCReader starts reading an IPC stream: it reads and checks the
// schema.
func newIPCReader(r io.Reader, mem memory.Allocator, maxBody int64) (*ipc.Reader, error) {
	return newIPCReaderFrom(newMsgReader(r, maxBody), mem)
}

// newIPCReaderFrom starts reading the IPC stream of mr: it reads and
// checks the schema.
func newIPCReaderFrom(mr *msgReader, mem memory.Allocator) (*ipc.Reader, error) {
	rd, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(mem))
	if err != nil {
		mr.Release()
		return nil, err
	}
	return rd, nil
}

func readIPCStream(r io.Reader, path string, s *Schema) (d *Dataset, err error) {
	defer guard(path, &err)
	lr := &limitReader{r: r, n: s.maxBytes()}
	rd, err := newIPCReader(lr, newBudget(s.alloc(), s), s.maxBytes())
	if err != nil {
		return nil, decodeError(path, err)
	}
	defer rd.Release()
	return readIPC(rd, path, s)
}

func readIPCFile(r readerAtSeeker, path string, s *Schema) (d *Dataset, err error) {
	defer guard(path, &err)
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("read dataset %q: %w", path, err)
	}
	stream, footer, err := ipcFileStream(r, size)
	if err != nil {
		return nil, decodeError(path, err)
	}
	var sr io.Reader = stream
	if !startsWithSchema(stream) {
		msg, err := footerSchema(footer)
		if err != nil {
			return nil, decodeError(path, err)
		}
		sr = io.MultiReader(bytes.NewReader(msg), stream)
	}
	rd, err := newIPCReader(sr, newBudget(s.alloc(), s), s.maxBytes())
	if err != nil {
		return nil, decodeError(path, err)
	}
	defer rd.Release()
	return readIPC(rd, path, s)
}

func readIPC(rd *ipc.Reader, path string, s *Schema) (*Dataset, error) {
	return readBatches(path, rd.Schema(), s, func() (arrow.RecordBatch, error) {
		if !rd.Next() {
			return nil, rd.Err()
		}
		rec := rd.RecordBatch()
		rec.Retain()
		return rec, nil
	})
}
