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
// and the footer): the format guarantees it, and the footer is only an
// index for random access.

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
}

var _ ipc.MessageReader = (*msgReader)(nil)

func newMsgReader(r io.Reader, maxBody int64) *msgReader {
	m := &msgReader{r: r, maxBody: maxBody}
	m.refs.Add(1)
	return m
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
	var word [4]byte
	if _, err := io.ReadFull(m.r, word[:]); err != nil {
		return nil, err // io.EOF: a stream may end without an EOS marker
	}
	n := binary.LittleEndian.Uint32(word[:])
	if n == 0xffffffff { // continuation marker, then the length
		if _, err := io.ReadFull(m.r, word[:]); err != nil {
			return nil, fmt.Errorf("read message length: %w", io.ErrUnexpectedEOF)
		}
		n = binary.LittleEndian.Uint32(word[:])
	}
	if n == 0 {
		return nil, io.EOF // end-of-stream marker
	}
	if n < 8 || n > maxIPCMetadata {
		return nil, fmt.Errorf("message metadata of %d bytes (limit %d)", n, maxIPCMetadata)
	}
	meta, err := readN(m.r, int64(n))
	if err != nil {
		return nil, fmt.Errorf("read message metadata: %w", err)
	}
	bodyLen, err := checkMessage(meta)
	if err != nil {
		return nil, fmt.Errorf("message metadata: %w", err)
	}
	if bodyLen < 0 || bodyLen > m.maxBody {
		return nil, fmt.Errorf("message body of %d bytes (limit %d)", bodyLen, m.maxBody)
	}
	body, err := readN(m.r, bodyLen)
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
// size: after "ARROW1" and 2 bytes of padding, before the footer, its
// int32 length and the closing "ARROW1".
func ipcFileStream(r io.ReaderAt, size int64) (io.Reader, error) {
	const magic = "ARROW1"
	var head [8]byte
	var tail [10]byte
	if size < int64(len(head)+len(tail)) {
		return nil, fmt.Errorf("arrow file of %d bytes is too short", size)
	}
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(tail[:], size-int64(len(tail))); err != nil {
		return nil, err
	}
	if string(head[:6]) != magic || string(tail[4:]) != magic {
		return nil, errors.New("arrow file without ARROW1 magic at both ends")
	}
	footer := int64(int32(binary.LittleEndian.Uint32(tail[:4])))
	end := size - int64(len(tail)) - footer
	if footer < 0 || end < int64(len(head)) {
		return nil, fmt.Errorf("arrow file footer of %d bytes in a file of %d", footer, size)
	}
	return io.NewSectionReader(r, int64(len(head)), end-int64(len(head))), nil
}

// newIPCReader starts reading an IPC stream: it reads and checks the
// schema.
func newIPCReader(r io.Reader, mem memory.Allocator, maxBody int64) (*ipc.Reader, error) {
	mr := newMsgReader(r, maxBody)
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
	stream, err := ipcFileStream(r, size)
	if err != nil {
		return nil, decodeError(path, err)
	}
	rd, err := newIPCReader(stream, newBudget(s.alloc(), s), s.maxBytes())
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
