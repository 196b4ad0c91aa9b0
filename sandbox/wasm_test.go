package sandbox

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// module assembles a wasm binary from (id, payload) sections.
func module(sections ...[]byte) []byte {
	b := append([]byte{}, wasmMagic...)
	b = append(b, wasmVersion1...)
	for _, s := range sections {
		b = append(b, s[0])
		b = appendU64(b, uint64(len(s)-1))
		b = append(b, s[1:]...)
	}
	return b
}

func section(id byte, payload ...byte) []byte { return append([]byte{id}, payload...) }

func TestScanTables(t *testing.T) {
	tests := []struct {
		name     string
		tables   []byte // table section payload
		budget   uint64
		want     []limits
		rewrite  bool
		errMatch string
	}{
		{
			name:   "BoundedKept",
			tables: []byte{1, 0x70, 0x01, 5, 5}, // funcref min 5 max 5
			budget: 100, want: []limits{{5, 5, true}},
		},
		{
			name:   "UnboundedCapped",
			tables: []byte{1, 0x70, 0x00, 5}, // funcref min 5, no max (Go's tables)
			budget: 100, want: []limits{{5, 100, true}}, rewrite: true,
		},
		{
			name:   "MaxAboveBudgetCapped",
			tables: []byte{1, 0x70, 0x01, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
			budget: 100, want: []limits{{1, 100, true}}, rewrite: true,
		},
		{
			name:   "BudgetShared",
			tables: []byte{2, 0x70, 0x00, 10, 0x6f, 0x00, 20}, // funcref min 10, externref min 20
			budget: 100, want: []limits{{10, 45, true}, {20, 55, true}}, rewrite: true,
		},
		{
			name:   "ErrMinsOverBudget",
			tables: []byte{2, 0x70, 0x00, 60, 0x70, 0x00, 60},
			budget: 100, errMatch: "tables declare 120 elements, limit is 100",
		},
		{
			name:   "ErrInitExpr",
			tables: []byte{1, 0x40, 0x00, 0x70, 0x00, 1, 0xd0, 0x70, 0x0b},
			budget: 100, errMatch: "initializer expressions are not supported",
		},
		{
			name:   "ErrTable64",
			tables: []byte{1, 0x70, 0x04, 1},
			budget: 100, errMatch: "unsupported limits flags 0x04",
		},
		{
			name:   "ErrTruncated",
			tables: []byte{2, 0x70, 0x00, 1},
			budget: 100, errMatch: "table 1: unexpected end of data",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := module(section(sectionTable, tc.tables...))
			orig := bytes.Clone(in)
			info, out, err := scanModule(in, tc.budget)
			if !bytes.Equal(in, orig) {
				t.Fatal("scanModule modified its input")
			}
			if tc.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("got %v, want error containing %q", err, tc.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := !bytes.Equal(out, in); got != tc.rewrite {
				t.Errorf("rewritten: got %v, want %v", got, tc.rewrite)
			}
			if len(info.tables) != len(tc.want) {
				t.Fatalf("tables: got %+v, want %+v", info.tables, tc.want)
			}
			for i := range tc.want {
				if info.tables[i] != tc.want[i] {
					t.Errorf("table %d: got %+v, want %+v", i, info.tables[i], tc.want[i])
				}
			}
			// The output is stable: scanning it again changes nothing.
			info2, out2, err := scanModule(out, tc.budget)
			if err != nil || !bytes.Equal(out2, out) || info2.tableCap {
				t.Errorf("rescan: got err %v, rewritten %v, want a fixed point", err, !bytes.Equal(out2, out))
			}
		})
	}
}

// TestScanFixtures checks the pre-decoder against wazero on every fixture:
// rewritten modules still compile, and imports are listed in order.
func TestScanFixtures(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	for _, name := range sandboxtest.Names() {
		t.Run(name, func(t *testing.T) {
			info, out, err := scanModule(sandboxtest.Wasm(name), MaxTableElements)
			if name == sandboxtest.TableBomb {
				if err == nil {
					t.Fatal("got success, want the table budget exceeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range info.tables {
				if !tb.hasMax || tb.max > MaxTableElements {
					t.Errorf("table %+v: want a max <= %d", tb, MaxTableElements)
				}
			}
			if name == sandboxtest.ForbiddenImport {
				var got []string
				for _, d := range info.imports {
					got = append(got, d.String())
				}
				want := "wasi_snapshot_preview1.fd_write (function), env.foo (function), env.bar (function), env.g (global)"
				if strings.Join(got, ", ") != want {
					t.Errorf("imports: got %q, want %q", strings.Join(got, ", "), want)
				}
				return
			}
			if len(out) > 1<<20 {
				return // the 2 MB Go modules are compiled and run by TestFixtures
			}
			if _, err := rt.CompileModule(ctx, out); err != nil {
				t.Errorf("wazero rejects the scanned module: %v", err)
			}
		})
	}
}

func TestReaderLEB(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		bits uint
		want uint64
		err  string
	}{
		{"One", []byte{0x05}, 32, 5, ""},
		{"Max32", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 32, 0xffffffff, ""},
		{"ErrOverflow32", []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 32, 0, "overflows"},
		{"ErrTooLong32", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, "too long"},
		{"ErrTruncated", []byte{0x80}, 32, 0, "unexpected end"},
		{"Max64", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 64, 1<<64 - 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reader{b: tc.in}
			got, err := r.uleb(tc.bits)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %d, %v, want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v, want %d", got, err, tc.want)
			}
			if again := appendU64(nil, got); tc.bits == 32 && !bytes.Equal(again, tc.in) {
				t.Errorf("appendU64(%d): got %x, want %x", got, again, tc.in)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 256 << 20: "256 MiB", 2 << 30: "2 GiB"}
	for n, want := range tests {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d): got %q, want %q", n, got, want)
		}
	}
}

func TestStderrExcerpt(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Empty", "", ""},
		{"Plain", "oops\n", "oops"},
		{"GoPanic", "log line\npanic: boom\n\ngoroutine 1", "panic: boom\n\ngoroutine 1"},
		{"Tail", strings.Repeat("x", 3000) + "end", strings.Repeat("x", maxStderrExcerpt-3) + "end"},
		{"InvalidUTF8", "bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stderrExcerpt([]byte(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMemoryAllocator(t *testing.T) {
	a := &memoryAllocator{limit: 4 * wasmPageBytes}
	mem := a.Allocate(wasmPageBytes, 1<<32)
	if got := len(mem.Reallocate(wasmPageBytes)); got != wasmPageBytes {
		t.Fatalf("initial: got %d bytes, want %d", got, wasmPageBytes)
	}
	buf := mem.Reallocate(3 * wasmPageBytes)
	buf[len(buf)-1] = 1
	if got := mem.Reallocate(5 * wasmPageBytes); got != nil || a.refusedBytes() != 5*wasmPageBytes {
		t.Fatalf("over limit: got %d bytes, refused %d, want nil and 5 pages refused", len(got), a.refusedBytes())
	}
	buf = mem.Reallocate(4 * wasmPageBytes)
	if len(buf) != 4*wasmPageBytes || cap(buf) > 4*wasmPageBytes || buf[3*wasmPageBytes-1] != 1 {
		t.Fatalf("grow to limit: got len %d cap %d, want 4 pages keeping contents, capacity within the limit", len(buf), cap(buf))
	}
	for i, b := range buf[3*wasmPageBytes:] {
		if b != 0 {
			t.Fatalf("new page byte %d: got %d, want 0", i, b)
		}
	}
	mem.Free()
}

// FuzzScanModule checks the pre-decoder's invariants on arbitrary bytes:
// it never panics or modifies its input, and a module it accepts comes out
// with every table bounded, the maxima within budget, and rescanning it is
// a fixed point.
func FuzzScanModule(f *testing.F) {
	for _, name := range sandboxtest.Names() {
		if b := sandboxtest.Wasm(name); len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	f.Add(module(section(sectionTable, 2, 0x70, 0x00, 10, 0x6f, 0x01, 1, 0xff, 0x01)))
	f.Add(module(section(sectionImport, 1, 1, 'a', 1, 'b', 0x01, 0x70, 0x00, 1)))
	f.Add(sandboxtest.NestedBlocks(20)) // the code scanner
	f.Add(sandboxtest.BrTable(20))
	const budget = 1000
	ctx := context.Background()
	wz := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer wz.Close(ctx)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		orig := bytes.Clone(b)
		info, out, err := scanModule(b, budget)
		if !bytes.Equal(b, orig) {
			t.Fatal("scanModule modified its input")
		}
		if err != nil {
			// The code scanner refuses nothing wazero accepts, shape
			// limits aside.
			var se *shapeError
			if strings.HasPrefix(err.Error(), "code section:") && !errors.As(err, &se) {
				if m, werr := wz.CompileModule(ctx, b); werr == nil {
					m.Close(ctx)
					t.Fatalf("scanModule: %v; wazero compiles it", err)
				}
			}
			return
		}
		var sum uint64
		for _, tb := range info.tables {
			if !tb.hasMax || tb.max < tb.min {
				t.Fatalf("table %+v: want min <= max", tb)
			}
			sum += tb.max
		}
		if sum > budget {
			t.Fatalf("table maxima sum to %d, want <= %d", sum, budget)
		}
		info2, out2, err := scanModule(out, budget)
		if err != nil || !bytes.Equal(out2, out) || info2.tableCap || len(info2.imports) != len(info.imports) {
			t.Fatalf("rescan: err %v, rewritten %v, want a fixed point", err, !bytes.Equal(out2, out))
		}
	})
}
