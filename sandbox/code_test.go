package sandbox

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// codeSection is a code section payload holding the given bodies (each:
// locals then instructions, without its size).
func codeSection(bodies ...[]byte) []byte {
	b := appendU64(nil, uint64(len(bodies)))
	for _, body := range bodies {
		b = appendU64(b, uint64(len(body)))
		b = append(b, body...)
	}
	return b
}

// nested is a body of n nested empty blocks.
func nested(n int) []byte {
	b := []byte{0}
	b = append(b, bytes.Repeat([]byte{0x02, 0x40}, n)...)
	b = append(b, bytes.Repeat([]byte{0x0b}, n)...)
	return append(b, 0x0b)
}

func TestScanCode(t *testing.T) {
	v128 := append([]byte{0xfd, 12}, make([]byte, 16)...) // v128.const 0
	tests := []struct {
		name     string
		bodies   [][]byte
		shape    bool // a shapeError
		errMatch string
	}{
		{name: "Empty", bodies: [][]byte{{0, 0x0b}}},
		{name: "Instructions", bodies: [][]byte{append(append([]byte{
			2, 1, 0x7f, 1, 0x7b, // locals: i32, v128
			0x41, 0x7f, 0x42, 0x80, 0x7f, 0x1a, 0x1a, // i32.const -1; i64.const; drop; drop
			0x43, 0, 0, 0, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0x1a, // f32.const, f64.const
			0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 10, 0, 0, // memory.copy
			0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 11, 0, // memory.fill
			0x41, 0, 0x28, 2, 0x80, 0x01, 0x1a, // i32.load align 2 offset 128
			0x04, 0x40, 0x05, 0x0b, // if else end (on the load's result... any i32)
		}, v128...), 0xfd, 13, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // i8x16.shuffle
			0xfd, 21, 3, 0x1a, // extract_lane_s 3; drop
			0x0b)}},
		{name: "NestingAtLimit", bodies: [][]byte{nested(MaxNesting)}},
		{name: "ErrNesting", bodies: [][]byte{{0, 0x0b}, nested(MaxNesting + 1)}, shape: true,
			errMatch: "function 1: blocks nested more than 8192 deep"},
		{name: "ErrLocals", bodies: [][]byte{{2, 0xb0, 0xea, 0x01, 0x7f, 0xb0, 0xea, 0x01, 0x7f, 0x0b}}, shape: true, // 2 x 30000
			errMatch: "function 0: more than 50000 locals"},
		{name: "ErrBrTable", bodies: [][]byte{append(append([]byte{0, 0x41, 0, 0x0e}, appendU64(nil, MaxBrTableTargets+1)...),
			append(make([]byte, MaxBrTableTargets+2), 0x0b)...)}, shape: true,
			errMatch: "function 0: br_table with 16385 targets, limit is 16384"},
		{name: "ErrUnknownOpcode", bodies: [][]byte{{0, 0x06, 0x40, 0x0b, 0x0b}}, // try (exceptions: not enabled)
			errMatch: "function 0 at offset 2: unknown opcode 0x06"},
		{name: "ErrUnknownMisc", bodies: [][]byte{{0, 0xfc, 18, 0x0b}}, errMatch: "unknown opcode 0xfc 18"},
		{name: "ErrTrailing", bodies: [][]byte{{0, 0x0b, 0x01}}, errMatch: "1 bytes after the function's end"},
		{name: "ErrTruncated", bodies: [][]byte{{0, 0x02, 0x40, 0x0b}}, errMatch: "unexpected end of data"},
		{name: "ErrTruncatedImmediate", bodies: [][]byte{{0, 0x44, 0, 0}}, errMatch: "unexpected end of data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &reader{b: codeSection(tc.bodies...)}
			_, err := scanCode(r)
			if tc.errMatch == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if r.off != len(r.b) {
					t.Errorf("read %d of %d bytes", r.off, len(r.b))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
				t.Fatalf("got %v, want error containing %q", err, tc.errMatch)
			}
			var se *shapeError
			if got := errors.As(err, &se); got != tc.shape {
				t.Errorf("shapeError: got %v, want %v", got, tc.shape)
			}
		})
	}
	t.Run("ErrFunctions", func(t *testing.T) {
		_, err := scanCode(&reader{b: appendU64(nil, MaxFunctions+1)})
		var se *shapeError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "100001 functions, limit is 100000") {
			t.Fatalf("got %v, want a shapeError naming the function count", err)
		}
	})
	t.Run("ErrFunctionBytes", func(t *testing.T) {
		_, err := scanCode(&reader{b: appendU64(appendU64(nil, 1), MaxFunctionBytes+1)})
		var se *shapeError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "function 0: body of 1.0 MiB, limit is 1 MiB") {
			t.Fatalf("got %v, want a shapeError naming the body size", err)
		}
	})
}
