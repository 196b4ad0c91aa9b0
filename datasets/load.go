package datasets

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is an input format.
type Format int

const (
	// Auto sniffs the format from the first bytes (see Sniff).
	Auto Format = iota
	// CSV is comma-separated text with a header row (RFC 4180, UTF-8).
	CSV
	// Parquet is an Apache Parquet file.
	Parquet
	// IPCFile is an Arrow IPC file ("ARROW1", also Feather v2).
	IPCFile
	// IPCStream is an Arrow IPC stream.
	IPCStream
)

func (f Format) String() string {
	switch f {
	case Auto:
		return "auto"
	case CSV:
		return "csv"
	case Parquet:
		return "parquet"
	case IPCFile:
		return "arrow-file"
	case IPCStream:
		return "arrow-stream"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// sniffLen is how many leading bytes Sniff looks at.
const sniffLen = 512

var (
	magicParquet   = []byte("PAR1")
	magicIPCFile   = []byte("ARROW1")
	magicIPCStream = []byte{0xff, 0xff, 0xff, 0xff} // continuation marker
	magicGzip      = []byte{0x1f, 0x8b}
	magicZip       = []byte("PK\x03\x04")
	magicZstd      = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Sniff decides the format of an input from its first bytes (up to 512),
// using the extension of name as a hint: magic bytes decide (PAR1: Parquet,
// ARROW1: IPC file, 0xFFFFFFFF: IPC stream); without them, a name ending
// in .parquet, .arrow, .feather, .ipc or .arrows, compressed data, or
// bytes that are not UTF-8 text give ErrUnknownFormat; anything else is
// CSV.
func Sniff(head []byte, name string) (Format, error) {
	switch {
	case bytes.HasPrefix(head, magicParquet):
		return Parquet, nil
	case bytes.HasPrefix(head, magicIPCFile):
		return IPCFile, nil
	case bytes.HasPrefix(head, magicIPCStream):
		return IPCStream, nil
	}
	unknown := func(why string) (Format, error) {
		return Auto, &ParseError{Path: name, Err: fmt.Errorf("%w: %s", ErrUnknownFormat, why)}
	}
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".parquet", ".pq", ".arrow", ".feather", ".ipc", ".arrows":
		return unknown(fmt.Sprintf("name ends in %s but the data has no Parquet or Arrow magic bytes", ext))
	}
	switch {
	case bytes.HasPrefix(head, magicGzip), bytes.HasPrefix(head, magicZstd):
		return unknown("compressed data; decompress it first")
	case bytes.HasPrefix(head, magicZip):
		return unknown("a zip archive (or a spreadsheet); export CSV, Parquet or Arrow")
	case bytes.IndexByte(head, 0) >= 0:
		return unknown("binary data, not CSV text")
	}
	// A multi-byte rune may be cut at the end of head.
	if t := head; !utf8.Valid(t) {
		for k := 1; k < utf8.UTFMax && len(t) > 0; k++ {
			t = t[:len(t)-1]
			if utf8.Valid(t) {
				return CSV, nil
			}
		}
		return unknown("not UTF-8 text")
	}
	return CSV, nil
}

// Load reads the dataset at path: the format is sniffed (see Sniff), the
// size is checked against the Schema's MaxBytes before any reading.
func Load(path string, s Schema) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("load dataset %q: not a regular file", path)
	}
	if st.Size() > s.maxBytes() {
		return nil, &ParseError{Path: path, Err: fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, st.Size(), s.maxBytes())}
	}
	return Read(f, path, Auto, s)
}

// Read reads a dataset in format f (Auto: sniffed) from r; name is used in
// errors and as the Dataset's Path, and its extension as a hint.
//
// Parquet and IPC files need random access: when r is an io.ReaderAt and
// io.Seeker (*os.File, *bytes.Reader) it is read in place from its current
// offset, otherwise it is buffered in memory, up to the Schema's MaxBytes.
// CSV and IPC streams are read as streams.
func Read(r io.Reader, name string, f Format, s Schema) (*Dataset, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var ra readerAtSeeker
	if rs, ok := r.(readerAtSeeker); ok {
		cur, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("read dataset %q: %w", name, err)
		}
		end, err := rs.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, fmt.Errorf("read dataset %q: %w", name, err)
		}
		if _, err := rs.Seek(cur, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read dataset %q: %w", name, err)
		}
		if end-cur > s.maxBytes() {
			return nil, &ParseError{Path: name, Err: fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, end-cur, s.maxBytes())}
		}
		sr := io.NewSectionReader(rs, cur, end-cur)
		ra, r = sr, sr
	}
	if f == Auto {
		var head []byte
		if ra != nil {
			head = make([]byte, sniffLen)
			n, err := ra.ReadAt(head, 0)
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("read dataset %q: %w", name, err)
			}
			head = head[:n]
		} else {
			br := bufio.NewReaderSize(r, 64<<10)
			head, _ = br.Peek(sniffLen) // a short input gives what there is
			r = br
		}
		var err error
		if f, err = Sniff(head, name); err != nil {
			return nil, err
		}
	}
	switch f {
	case CSV:
		return readCSV(r, name, &s)
	case IPCStream:
		return readIPCStream(r, name, &s)
	case Parquet, IPCFile:
		if ra == nil {
			data, err := io.ReadAll(&limitReader{r: r, n: s.maxBytes()})
			if err != nil {
				return nil, decodeError(name, err)
			}
			ra = bytes.NewReader(data)
		}
		if f == Parquet {
			return readParquet(ra, name, &s)
		}
		return readIPCFile(ra, name, &s)
	}
	return nil, &ParseError{Path: name, Err: fmt.Errorf("%w: %v", ErrUnknownFormat, f)}
}
