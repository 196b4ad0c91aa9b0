package sandbox

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"
)

// cappedBuffer keeps the first max bytes written to it and counts the rest.
// Writes succeed, so a guest never blocks on output, until limit bytes
// have been written: from then on they fail.
type cappedBuffer struct {
	max   int
	limit int64 // most bytes written in all, kept or not; 0 means no limit

	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int64
	written int64
	over    bool // a write would have passed limit
}

// errWriteLimit is what a write past cappedBuffer.limit returns (wazero
// answers the guest's fd_write with EIO).
var errWriteLimit = errors.New("write limit exceeded")

// Write implements io.Writer.
func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit > 0 && c.written+int64(len(p)) > c.limit {
		c.over = true
		return 0, errWriteLimit
	}
	c.written += int64(len(p))
	room := c.max - c.buf.Len()
	if room < 0 {
		room = 0
	}
	keep := min(room, len(p))
	c.buf.Write(p[:keep])
	c.dropped += int64(len(p) - keep)
	return len(p), nil
}

// exceeded reports whether a write would have passed the limit.
func (c *cappedBuffer) exceeded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.over
}

// snapshot returns a copy of the kept bytes and the dropped count.
func (c *cappedBuffer) snapshot() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes()), c.dropped
}

// maxStderrExcerpt bounds Error.Stderr.
const maxStderrExcerpt = 2048

// stderrExcerpt picks the part of the guest's stderr worth showing in an
// error: from the last Go "panic:" or "fatal error:" line if there is one,
// else the tail; at most maxStderrExcerpt bytes, valid UTF-8, trimmed.
func stderrExcerpt(b []byte) string {
	s := string(b)
	for _, marker := range []string{"panic: ", "fatal error: "} {
		if i := strings.LastIndex(s, marker); i >= 0 && (i == 0 || s[i-1] == '\n') {
			s = s[i:]
			if len(s) > maxStderrExcerpt {
				s = s[:maxStderrExcerpt]
			}
			return cleanUTF8(strings.TrimSpace(s))
		}
	}
	if len(s) > maxStderrExcerpt {
		s = s[len(s)-maxStderrExcerpt:]
	}
	return cleanUTF8(strings.TrimSpace(s))
}

func cleanUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
