package sandboxtest

// Compile bombs: small modules that are valid WebAssembly, follow Guest ABI
// v1 and would take wazero's compiler seconds to minutes. They are
// generated here rather than checked in (a 5M-target br_table is 5 MB).
// Each is a working model once compiled: it exports memory (1 MiB),
// verdict_alloc (a bump allocator) and verdict_predict (0.5 for every
// output), and carries more functions, never called, that are the bomb.

// NestedBlocks returns a module whose extra function nests depth empty
// blocks: (block (block ... (block) ...)). 40,000 of them are 120 KB and
// compiled for 16 s on a 2-core machine before the sandbox bounded
// nesting.
func NestedBlocks(depth int) []byte {
	body := make([]byte, 0, 3*depth+2)
	body = append(body, 0) // no locals
	for range depth {
		body = append(body, 0x02, 0x40) // block (no result)
	}
	for range depth {
		body = append(body, 0x0b) // end
	}
	body = append(body, 0x0b)
	return abiModule(body)
}

// BrTable returns a module whose extra function is one br_table with
// targets labels (all 0, one byte each): (block (br_table 0 0 ... 0
// (i32.const 0))).
func BrTable(targets int) []byte {
	body := make([]byte, 0, targets+16)
	body = append(body, 0, 0x02, 0x40, 0x41, 0x00, 0x0e) // no locals; block; i32.const 0; br_table
	body = appendLEB(body, uint64(targets))
	for range targets {
		body = append(body, 0)
	}
	body = append(body, 0, 0x0b, 0x0b) // default 0; end block; end
	return abiModule(body)
}

// SlowCompile returns a module that passes the sandbox's structural limits
// but takes the compiler long: funcs extra functions, each nesting depth
// blocks around a chain of adds.
func SlowCompile(funcs, depth int) []byte {
	var one []byte
	one = append(one, 1, 1, 0x7f) // one i32 local
	for range depth {
		one = append(one, 0x02, 0x40)
		one = append(one, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00) // local.get 0; i32.const 1; i32.add; local.set 0
	}
	for range depth {
		one = append(one, 0x0b)
	}
	one = append(one, 0x0b)
	bodies := make([][]byte, funcs)
	for i := range bodies {
		bodies[i] = one
	}
	return abiModule(bodies...)
}

// ManyFunctions returns a module with n extra empty functions.
func ManyFunctions(n int) []byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = []byte{0, 0x0b}
	}
	return abiModule(bodies...)
}

// abiModule assembles a module with the ABI exports plus one function of
// type () -> () per extra body (each body: locals then code, without its
// size).
func abiModule(extra ...[]byte) []byte {
	sec := func(b []byte, id byte, payload []byte) []byte {
		b = append(b, id)
		b = appendLEB(b, uint64(len(payload)))
		return append(b, payload...)
	}
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	// Types: 0 (i32)->i32, 1 (i32 x5)->i32, 2 ()->().
	b = sec(b, 1, []byte{3,
		0x60, 1, 0x7f, 1, 0x7f,
		0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f,
		0x60, 0, 0})
	funcs := appendLEB(nil, uint64(2+len(extra)))
	funcs = append(funcs, 0, 1)
	for range extra {
		funcs = append(funcs, 2)
	}
	b = sec(b, 3, funcs)
	b = sec(b, 5, []byte{1, 0x00, 16})                           // one memory, 16 pages
	b = sec(b, 6, []byte{1, 0x7f, 0x01, 0x41, 0x80, 0x08, 0x0b}) // global 0: mut i32 = 1024, the heap
	var exports []byte
	exports = append(exports, 3)
	exports = append(exports, 6)
	exports = append(exports, "memory"...)
	exports = append(exports, 0x02, 0)
	exports = append(exports, 13)
	exports = append(exports, "verdict_alloc"...)
	exports = append(exports, 0x00, 0)
	exports = append(exports, 15)
	exports = append(exports, "verdict_predict"...)
	exports = append(exports, 0x00, 1)
	b = sec(b, 7, exports)
	code := appendLEB(nil, uint64(2+len(extra)))
	for _, body := range append([][]byte{
		// verdict_alloc(size): return heap; heap = (heap + size + 7) &^ 7.
		{0, 0x23, 0, 0x23, 0, 0x20, 0, 0x6a, 0x41, 7, 0x6a, 0x41, 0x78, 0x71, 0x24, 0, 0x0b},
		// verdict_predict(x, rows, cols, y, outs): y[i] = 0.5 for i < rows*outs; return 0.
		{1, 1, 0x7f, // local 5: i
			0x02, 0x40, 0x03, 0x40, // block loop
			0x20, 5, 0x20, 1, 0x20, 4, 0x6c, 0x4f, 0x0d, 1, // br_if 1 (i >= rows*outs)
			0x20, 3, 0x20, 5, 0x41, 3, 0x74, 0x6a, // y + i<<3
			0x44, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0x39, 3, 0, // f64.store 0.5
			0x20, 5, 0x41, 1, 0x6a, 0x21, 5, // i++
			0x0c, 0, 0x0b, 0x0b, // br 0; end; end
			0x41, 0, 0x0b}, // return 0
	}, extra...) {
		code = appendLEB(code, uint64(len(body)))
		code = append(code, body...)
	}
	return sec(b, 10, code)
}

func appendLEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
