package sandbox

import (
	"bytes"
	"errors"
	"fmt"
)

// This file holds a small pre-decoder of the wasm binary format. It runs on
// untrusted bytes before wazero sees them and does three things wazero's
// public API cannot:
//   - list every import, including globals and tables (CompiledModule only
//     lists functions and memories), so a refusal names all of them;
//   - read the declared memory minimum, to refuse it with ErrMemoryLimit
//     before compiling;
//   - bound tables: tables are host memory outside linear memory, and a
//     table without a maximum can be grown by table.grow until the host runs
//     out of memory. Tables are refused or given a maximum (rewriting the
//     table section) so that all of them together hold at most
//     MaxTableElements.
//   - refuse code whose shape makes the compiler slow out of all proportion
//     to its size (deep nesting, huge br_tables, huge functions; see
//     code.go), before any time is spent compiling it.
//
// Every read is bounds-checked; FuzzCompile exercises it.

const (
	sectionImport   = 2
	sectionFunction = 3
	sectionTable    = 4
	sectionMemory   = 5
	sectionCode     = 10

	wasmPageBytes = 1 << 16
	wasmMaxPages  = 1 << 16
)

var (
	wasmMagic     = []byte{0x00, 'a', 's', 'm'}
	wasmVersion1  = []byte{0x01, 0x00, 0x00, 0x00}
	errTruncated  = errors.New("unexpected end of data")
	errLEBTooLong = errors.New("LEB128 integer too long")
)

type importDesc struct {
	module, name string
	kind         byte // 0 func, 1 table, 2 memory, 3 global, 4 tag
}

func (d importDesc) String() string {
	kind := fmt.Sprintf("kind 0x%02x", d.kind)
	switch d.kind {
	case 0:
		kind = "function"
	case 1:
		kind = "table"
	case 2:
		kind = "memory"
	case 3:
		kind = "global"
	case 4:
		kind = "tag"
	}
	return fmt.Sprintf("%s.%s (%s)", d.module, d.name, kind)
}

type limits struct {
	min    uint64
	max    uint64
	hasMax bool
}

// moduleInfo is what scanModule learned.
type moduleInfo struct {
	imports   []importDesc
	memories  []limits // defined (not imported) memories
	tables    []limits // defined tables, after capping
	tableSeen bool
	tableCap  bool // the table section was rewritten
	tableMins uint64
	code      codeStats
}

// tableLimitError reports tables whose declared minimum exceeds the budget.
type tableLimitError struct{ elements, budget uint64 }

func (e *tableLimitError) Error() string {
	return fmt.Sprintf("tables declare %d elements, limit is %d", e.elements, e.budget)
}

// scanModule walks the sections of a wasm binary. It returns the binary to
// compile: b itself, or a copy whose table section gives every table a
// maximum so that the tables together never exceed tableBudget elements.
func scanModule(b []byte, tableBudget uint64) (*moduleInfo, []byte, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], wasmMagic) {
		return nil, nil, errors.New("not a WebAssembly binary (missing \\0asm magic)")
	}
	if !bytes.Equal(b[4:8], wasmVersion1) {
		if b[6] != 0 || b[7] != 0 { // layer != 0: the component model
			return nil, nil, errors.New("a WebAssembly component, not a core module; build a core wasm module (wasip1)")
		}
		return nil, nil, fmt.Errorf("unsupported binary version %d, want 1", uint32(b[4])|uint32(b[5])<<8)
	}
	info := &moduleInfo{}
	out := b
	r := reader{b: b, off: 8}
	for r.off < len(r.b) {
		start := r.off
		id, err := r.byte()
		if err != nil {
			return nil, nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, nil, fmt.Errorf("section %d at offset %d: size: %w", id, start, err)
		}
		payload, err := r.bytes(uint64(size))
		if err != nil {
			return nil, nil, fmt.Errorf("section %d at offset %d: %d bytes declared: %w", id, start, size, err)
		}
		s := reader{b: payload}
		switch id {
		case sectionImport:
			err = info.scanImports(&s)
		case sectionMemory:
			err = info.scanMemories(&s)
		case sectionCode:
			info.code, err = scanCode(&s)
		case sectionTable:
			if info.tableSeen {
				return nil, nil, errors.New("duplicate table section")
			}
			info.tableSeen = true
			var rewritten []byte
			rewritten, err = info.scanTables(&s, tableBudget)
			if err == nil && rewritten != nil {
				out = spliceSection(out, len(out)-len(b)+start, len(out)-len(b)+r.off, sectionTable, rewritten)
			}
		default:
			continue
		}
		if err != nil {
			var tl *tableLimitError
			var sl *shapeError
			if errors.As(err, &tl) || errors.As(err, &sl) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("%s section: %w", sectionName(id), err)
		}
		if s.off != len(s.b) {
			return nil, nil, fmt.Errorf("%s section: %d trailing bytes", sectionName(id), len(s.b)-s.off)
		}
	}
	return info, out, nil
}

func sectionName(id byte) string {
	switch id {
	case sectionImport:
		return "import"
	case sectionTable:
		return "table"
	case sectionMemory:
		return "memory"
	case sectionCode:
		return "code"
	}
	return fmt.Sprintf("section %d", id)
}

// spliceSection returns a copy of b with b[from:to] replaced by a section
// with the given id and payload. When b is the caller's input it is copied
// first, so the input is never modified.
func spliceSection(b []byte, from, to int, id byte, payload []byte) []byte {
	out := make([]byte, 0, len(b)+len(payload)+6)
	out = append(out, b[:from]...)
	out = append(out, id)
	out = appendU64(out, uint64(len(payload)))
	out = append(out, payload...)
	return append(out, b[to:]...)
}

func (info *moduleInfo) scanImports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		var d importDesc
		if d.module, err = r.name(); err != nil {
			return fmt.Errorf("import %d: module name: %w", i, err)
		}
		if d.name, err = r.name(); err != nil {
			return fmt.Errorf("import %d: name: %w", i, err)
		}
		if d.kind, err = r.byte(); err != nil {
			return fmt.Errorf("import %d: kind: %w", i, err)
		}
		switch d.kind {
		case 0: // func: type index
			_, err = r.u32()
		case 1: // table: reftype limits
			if err = r.refType(); err == nil {
				_, err = r.limits()
			}
		case 2: // memory: limits
			_, err = r.limits()
		case 3: // global: valtype mut
			if err = r.valType(); err == nil {
				_, err = r.byte()
			}
		case 4: // tag: attribute typeidx
			if _, err = r.byte(); err == nil {
				_, err = r.u32()
			}
		default:
			return fmt.Errorf("import %d (%s.%s): unknown kind 0x%02x", i, d.module, d.name, d.kind)
		}
		if err != nil {
			return fmt.Errorf("import %d (%s.%s): %w", i, d.module, d.name, err)
		}
		info.imports = append(info.imports, d)
	}
	return nil
}

func (info *moduleInfo) scanMemories(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		l, err := r.limits()
		if err != nil {
			return fmt.Errorf("memory %d: %w", i, err)
		}
		info.memories = append(info.memories, l)
	}
	return nil
}

// scanTables reads the table section and, if some table could grow past
// the budget, returns a replacement payload in which every table has a
// maximum and the maxima sum to at most budget.
func (info *moduleInfo) scanTables(r *reader, budget uint64) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	type table struct {
		refType []byte
		limits
	}
	var tables []table
	for i := uint32(0); i < n; i++ {
		start := r.off
		if b, err := r.peek(); err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		} else if b == 0x40 {
			return nil, fmt.Errorf("table %d: table initializer expressions are not supported", i)
		}
		if err := r.refType(); err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		t := table{refType: r.b[start:r.off]}
		flags, err := r.peek()
		if err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		if flags > 0x01 {
			return nil, fmt.Errorf("table %d: unsupported limits flags 0x%02x", i, flags)
		}
		if t.limits, err = r.limits(); err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		if t.hasMax && t.max < t.min {
			return nil, fmt.Errorf("table %d: min %d > max %d", i, t.min, t.max)
		}
		info.tableMins += t.min
		tables = append(tables, t)
	}
	if info.tableMins > budget {
		return nil, &tableLimitError{elements: info.tableMins, budget: budget}
	}
	// Share the budget left after the minima equally.
	var spare uint64
	if len(tables) > 0 {
		spare = (budget - info.tableMins) / uint64(len(tables))
	}
	for i := range tables {
		if limit := tables[i].min + spare; !tables[i].hasMax || tables[i].max > limit {
			tables[i].max, tables[i].hasMax = limit, true
			info.tableCap = true
		}
		info.tables = append(info.tables, tables[i].limits)
	}
	if !info.tableCap {
		return nil, nil
	}
	out := appendU64(nil, uint64(len(tables)))
	for _, t := range tables {
		out = append(out, t.refType...)
		out = append(out, 0x01)
		out = appendU64(out, t.min)
		out = appendU64(out, t.max)
	}
	return out, nil
}

// reader is a bounds-checked cursor over a byte slice.
type reader struct {
	b   []byte
	off int
}

func (r *reader) peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	return r.b[r.off], nil
}

func (r *reader) byte() (byte, error) {
	c, err := r.peek()
	if err == nil {
		r.off++
	}
	return c, err
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.off) {
		return nil, errTruncated
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

// uleb reads an unsigned LEB128 of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, errLEBTooLong
		}
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				return 0, fmt.Errorf("LEB128 value %d overflows %d bits", v, bits)
			}
			return v, nil
		}
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(uint64(n))
	return string(b), err
}

// limits reads a limits type: flags (bit 0 max present, bit 1 shared, bit 2
// 64-bit) then min and optional max.
func (r *reader) limits() (limits, error) {
	flags, err := r.byte()
	if err != nil {
		return limits{}, err
	}
	if flags > 0x07 {
		return limits{}, fmt.Errorf("invalid limits flags 0x%02x", flags)
	}
	bits := uint(32)
	if flags&0x04 != 0 {
		bits = 64
	}
	var l limits
	if l.min, err = r.uleb(bits); err != nil {
		return l, fmt.Errorf("limits min: %w", err)
	}
	if flags&0x01 != 0 {
		if l.max, err = r.uleb(bits); err != nil {
			return l, fmt.Errorf("limits max: %w", err)
		}
		l.hasMax = true
	}
	return l, nil
}

// refType reads a reference type: funcref/externref shorthand, or 0x63/0x64
// followed by a heap type (an s33, read here as an unsigned LEB of up to 5
// bytes since only its length matters).
func (r *reader) refType() error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	if c == 0x63 || c == 0x64 {
		_, err = r.uleb(35)
	}
	return err
}

// valType reads a value type (numeric, vector or reference).
func (r *reader) valType() error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	if c == 0x63 || c == 0x64 {
		return r.refType()
	}
	r.off++
	return nil
}

func appendU64(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
