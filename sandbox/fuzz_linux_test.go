package sandbox_test

import (
	"encoding/binary"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
)

// FuzzReadFrame feeds the parent's frame reader (a pooled child's answer
// on the socket, untrusted) with arbitrary bytes: nothing may panic, a
// frame is never longer than the limit, and a well-formed frame comes back
// whole.
func FuzzReadFrame(f *testing.F) {
	frame := func(body string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
		return append(b, body...)
	}
	f.Add(frame(`{"has_init":true}`))
	f.Add(frame(""))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 'x'})
	f.Add([]byte{1, 0})
	const limit = 1 << 10
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		got, err := sandbox.ReadFrame(b, limit)
		if err != nil {
			return
		}
		if len(got) > limit {
			t.Fatalf("frame of %d bytes, limit %d", len(got), limit)
		}
		if n := binary.LittleEndian.Uint32(b); int(n) != len(got) || string(b[4:4+n]) != string(got) {
			t.Fatalf("frame %q from %q: want the %d bytes after the header", got, b, n)
		}
	})
}
