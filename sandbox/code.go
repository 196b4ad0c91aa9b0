package sandbox

import (
	"fmt"
)

// Shape limits of a module's code, checked by the pre-decoder before
// anything is compiled. wazero's compiler takes time that grows faster
// than the code in some shapes: 40,000 nested blocks (120 KB) compile for
// 16 s, 100,000 of them or a br_table with 5M targets for minutes. Real
// modules stay far below these limits (see RATIONALE.md, "Why the
// pre-decoder bounds the shape of code"); the task's time limit, which
// covers compiling, bounds what is left.
const (
	// MaxFunctions bounds the functions a module defines.
	MaxFunctions = 100_000
	// MaxFunctionBytes bounds the size of one function body.
	MaxFunctionBytes = 1 << 20
	// MaxLocals bounds the locals one function declares.
	MaxLocals = 50_000
	// MaxNesting bounds how deeply blocks, loops and ifs nest in one
	// function.
	MaxNesting = 8192
	// MaxBrTableTargets bounds the targets of one br_table.
	MaxBrTableTargets = 16_384
)

// shapeError reports code beyond a shape limit (an invalid_module: a
// well-formed module the sandbox will not compile).
type shapeError struct{ msg string }

func (e *shapeError) Error() string {
	return "code beyond the sandbox's limits: " + e.msg
}

func shapeErrorf(format string, args ...any) error {
	return &shapeError{msg: fmt.Sprintf(format, args...)}
}

// codeStats is what scanCode measured: the largest of each shape.
type codeStats struct {
	functions  uint32
	bodyBytes  uint32
	locals     uint64
	nesting    int
	maxBrTable uint32
}

// scanCode walks the code section: every function body, every
// instruction. It refuses bodies that break a shape limit and
// instructions it cannot decode (wazero would refuse them too); it does
// not validate types or indices, which wazero does.
func scanCode(r *reader) (codeStats, error) {
	var st codeStats
	n, err := r.u32()
	if err != nil {
		return st, err
	}
	if n > MaxFunctions {
		return st, shapeErrorf("%d functions, limit is %d", n, MaxFunctions)
	}
	st.functions = n
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return st, fmt.Errorf("function %d: size: %w", i, err)
		}
		if size > MaxFunctionBytes {
			return st, shapeErrorf("function %d: body of %s, limit is %s",
				i, formatBytes(uint64(size)), formatBytes(MaxFunctionBytes))
		}
		body, err := r.bytes(uint64(size))
		if err != nil {
			return st, fmt.Errorf("function %d: %d bytes declared: %w", i, size, err)
		}
		st.bodyBytes = max(st.bodyBytes, size)
		if err := st.scanBody(i, &reader{b: body}); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (st *codeStats) scanBody(fn uint32, r *reader) error {
	bad := func(err error) error {
		return fmt.Errorf("function %d at offset %d: %w", fn, r.off, err)
	}
	groups, err := r.u32()
	if err != nil {
		return bad(err)
	}
	var locals uint64
	for range groups {
		n, err := r.u32()
		if err != nil {
			return bad(err)
		}
		if locals += uint64(n); locals > MaxLocals {
			return shapeErrorf("function %d: more than %d locals", fn, MaxLocals)
		}
		if err := r.valType(); err != nil {
			return bad(err)
		}
	}
	st.locals = max(st.locals, locals)
	depth := 0 // blocks, loops and ifs open
	for done := false; !done; {
		op, err := r.byte()
		if err != nil {
			return bad(err)
		}
		switch {
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			if err := r.blockType(); err != nil {
				return bad(err)
			}
			if depth++; depth > MaxNesting {
				return shapeErrorf("function %d: blocks nested more than %d deep", fn, MaxNesting)
			}
			st.nesting = max(st.nesting, depth)
		case op == 0x0b: // end, of a block or of the function
			done = depth == 0
			depth--
		case op == 0x0e: // br_table
			targets, err := r.u32()
			if err != nil {
				return bad(err)
			}
			if targets > MaxBrTableTargets {
				return shapeErrorf("function %d: br_table with %d targets, limit is %d", fn, targets, MaxBrTableTargets)
			}
			st.maxBrTable = max(st.maxBrTable, targets)
			for range targets + 1 { // and the default
				if _, err := r.u32(); err != nil {
					return bad(err)
				}
			}
		default:
			if err := r.immediates(op); err != nil {
				return bad(err)
			}
		}
	}
	if r.off != len(r.b) {
		return bad(fmt.Errorf("%d bytes after the function's end", len(r.b)-r.off))
	}
	return nil
}

// blockType reads a block type: 0x40, a value type or a type index (s33).
func (r *reader) blockType() error {
	_, err := r.uleb(35) // only its length matters
	return err
}

// immediates skips the immediates of op, any instruction but block, loop,
// if, end and br_table, for the features wazero enables by default
// (api.CoreFeaturesV2: MVP, sign extension, saturating conversions,
// multi-value, bulk memory, reference types, SIMD).
func (r *reader) immediates(op byte) error {
	var err error
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0f || op == 0x1a || op == 0x1b || op == 0xd1:
		// unreachable, nop, else, return, drop, select, ref.is_null
	case op >= 0x45 && op <= 0xc4: // numeric
	case op == 0x0c || op == 0x0d || op == 0x10 || (op >= 0x20 && op <= 0x26) || op == 0xd2:
		// br, br_if, call, local.*, global.*, table.get/set, ref.func
		_, err = r.u32()
	case op == 0x11: // call_indirect type table
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
	case op == 0x1c: // select t*
		var n uint32
		if n, err = r.u32(); err == nil {
			for range n {
				if err = r.valType(); err != nil {
					break
				}
			}
		}
	case op >= 0x28 && op <= 0x3e: // loads and stores
		err = r.memarg()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		_, err = r.u32()
	case op == 0x41: // i32.const
		_, err = r.uleb(35)
	case op == 0x42: // i64.const
		_, err = r.uleb(70)
	case op == 0x43:
		_, err = r.bytes(4)
	case op == 0x44:
		_, err = r.bytes(8)
	case op == 0xd0: // ref.null t
		err = r.refType()
	case op == 0xfc:
		err = r.miscImmediates()
	case op == 0xfd:
		err = r.simdImmediates()
	default:
		err = fmt.Errorf("unknown opcode 0x%02x", op)
	}
	return err
}

func (r *reader) memarg() error {
	if _, err := r.u32(); err != nil { // alignment
		return err
	}
	_, err := r.uleb(64) // offset
	return err
}

// miscImmediates reads the 0xfc-prefixed instructions' immediates.
func (r *reader) miscImmediates() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	args := 0
	switch {
	case sub <= 7: // saturating truncations
	case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17):
		// data.drop, memory.fill, elem.drop, table.grow/size/fill
		args = 1
	case sub == 8 || sub == 10 || sub == 12 || sub == 14:
		// memory.init, memory.copy, table.init, table.copy
		args = 2
	default:
		return fmt.Errorf("unknown opcode 0xfc %d", sub)
	}
	for range args {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// simdImmediates reads the 0xfd-prefixed (SIMD) instructions' immediates.
func (r *reader) simdImmediates() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads, store, load_zero
		return r.memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		_, err = r.bytes(16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err = r.byte()
	case sub >= 84 && sub <= 91: // load_lane, store_lane
		if err = r.memarg(); err == nil {
			_, err = r.byte()
		}
	case sub <= 255:
	default:
		err = fmt.Errorf("unknown opcode 0xfd %d", sub)
	}
	return err
}
