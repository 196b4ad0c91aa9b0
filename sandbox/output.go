package sandbox

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"
)

// cappedBuffer keeps the first max bytes written to it and counts the rest.
// Writes always succeed, so a guest never sees an error or blocks on output.
type cappedBuffer struct {
	max int

	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int64
}

// Write implements io.Writer.
func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.max - c.buf.Len()
	if room < 0 {
		room = 0
	}
	keep := min(room, len(p))
	c.buf.Write(p[:keep])
	c.dropped += int64(len(p) - keep)
	return len(p), nil
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
