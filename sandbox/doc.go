// Package sandbox runs untrusted participant models, compiled to
// WebAssembly, under wazero and returns their predictions.
//
// In the pipeline, the engine loads a task's held-out dataset, splits it into
// features and labels, and hands sandbox the features only:
//
//	model.wasm -> sandbox (validate, compile once, run batches) -> predictions -> engine (score)
//
// A guest never sees labels, files, the network, environment variables,
// arguments, the real clock or real entropy: it gets WASI preview 1 with no
// preopened directories, a fixed walltime (2024-01-01T00:00:00Z), a fake
// monotonic clock that advances 1µs per reading, sleeps that return at once
// and a fixed ChaCha8 random stream, so a model is a pure function of its
// input and two runs give bit-identical predictions. A malicious submission
// must never crash, hang or slow the host beyond its Limits; the package
// never panics on module bytes and never imports engine or other leaves.
//
// # Guest ABI v1
//
// A submission is a core WebAssembly module (not a component) that
//
//   - imports only functions of wasi_snapshot_preview1 that the host
//     provides, with their WASI signatures. Anything else (env.*, memories,
//     tables, globals) is refused before running, naming every offending
//     import: "env.foo (function), env.g (global)".
//   - exports "memory", its linear memory.
//   - exports verdict_alloc(size i32) -> i32, returning the address of an
//     8-byte-aligned region of at least size bytes inside memory, or 0 on
//     failure.
//   - exports verdict_predict(x i32, rows i32, cols i32, y i32, outs i32) -> i32,
//     returning 0 on success; any other value is reported as a guest error
//     with that code.
//   - may export _initialize() (a WASI reactor: Go -buildmode=c-shared, clang
//     -mexec-model=reactor); the host calls it once per instance, first. A
//     module that exports _start and no _initialize (a WASI command) is
//     refused, even with the ABI's exports, with instructions to build a
//     reactor. _start is never called. A missing export is refused with
//     how to export it in Go, C, Rust and AssemblyScript.
//
// Signatures are checked exactly. For each Run, in a fresh instance, the
// host calls _initialize, then verdict_alloc once for x (8*cols*batch bytes)
// and once for y (8*outs*batch bytes), where batch is the largest batch it
// will use; both regions must lie inside memory and must not overlap. It
// then calls verdict_predict any number of times, in row order, with any
// rows from 1 to batch, reusing the same x and y.
//
// x is column-major little-endian float64: feature j of row i is at
// x + 8*(j*rows + i), where rows is this call's row count; feature order is
// the task's, and nulls are NaN. The guest writes y column-major with outs
// columns: output k of row i at y + 8*(k*rows + i). outs is 1 for binary
// tasks (the probability of class 1), the number of classes for multiclass
// (one probability per class, classes in ascending label order), 1 for
// regression and ranking. Every output must be finite: NaN or ±Inf is
// refused, naming the row and output; the host fills y with a marked NaN
// before each call, so an output the guest did not write is reported as
// such. A model must be a pure function of
// each row: batch boundaries may change between runs.
//
// # Guest ABI v2
//
// A module that also (or instead of verdict_predict) exports
//
//	verdict_predict_v2(x i32, rows i32, cols i32, stride i32, y i32, outs i32) -> i32
//
// is run under Guest ABI v2; everything else (memory, verdict_alloc,
// _initialize, outputs, errors) is v1's, and a module exporting both gets
// v2 (so an SDK can export both and run on hosts that know only v1).
// Feature j of row i is at x + 8*(j*stride + i) and output k of row i at
// y + 8*(k*stride + i), with stride >= rows a multiple of 512 and x on a
// 4 KiB boundary: the host places whole columns of a window of rows in
// guest memory, each on its own pages, with one copy per column per
// window (not per batch), and by default calls verdict_predict_v2 once
// per window, so the batch loop is the guest's. A window is a worker's
// whole range of rows, up to V2WindowRows (65,536) rows and what fits
// half the memory limit; Input.BatchRows, if set, cuts a window into
// calls of that many rows, each with x and y pointing at its first row
// and the same stride. The host calls verdict_alloc once for x
// (8*cols*stride + 4096 bytes, aligned inside) and once for y
// (8*outs*stride) per Run and instance. Between Runs the Runtime
// keeps the linear memories of v2 instances, zeroed, for the next ones:
// pages already mapped are much cheaper than fresh ones (see
// bench/anchors). Mapping the features file into guest memory instead of
// copying was measured and dropped: every mapped page then faults once
// per Run, which cost more than the copy.
//
// # The model extension (ONNX)
//
// A module may carry data in one custom section named ModelSection
// ("verdict.model"): `verdict pack` appends an ONNX model to verdict's
// fixed ONNX runtime this way (see package onnx and guests/onnx). Compile
// strips the section before compiling, so every packed module shares one
// compilation of the runtime (the module's SHA-256, over all its bytes,
// still names the submission), and refuses a module that carries the
// section without exporting verdict_model_load(ptr i32, len i32) -> i32,
// or that carries it twice. In each instance, after _initialize, the host
// calls verdict_alloc(len), copies the section's payload there and calls
// verdict_model_load(ptr, len); a non-zero result is a guest_error whose
// message quotes the guest's stderr (the ONNX runtime writes why it
// refused the model: unsupported operators with their opset, a graph
// that does not fit the task's features, ...). Only then does
// verdict_predict run.
//
// Output on stdout and stderr is captured (Limits.OutputBytes each, the rest
// dropped and counted); stderr is quoted in errors, from a Go "panic:" line
// when there is one. An instance that writes more than Limits.WriteBytes
// (16 MiB) to either fails with ErrOutputLimit: its writes past the limit
// fail, and so does its Run.
//
// # Building a guest
//
// Go (1.24 or later): export functions with //go:wasmexport and build a
// reactor; keep allocations reachable from a global so the GC keeps them:
//
//	var buffers [][]float64
//
//	//go:wasmexport verdict_alloc
//	func verdictAlloc(size int32) unsafe.Pointer {
//		b := make([]float64, (int(size)+7)/8)
//		buffers = append(buffers, b)
//		return unsafe.Pointer(&b[0])
//	}
//
//	//go:wasmexport verdict_predict
//	func verdictPredict(x unsafe.Pointer, rows, cols int32, y unsafe.Pointer, outs int32) int32 {
//		xs := unsafe.Slice((*float64)(x), int(rows)*int(cols))
//		ys := unsafe.Slice((*float64)(y), int(rows)*int(outs))
//		...
//		return 0
//	}
//
//	func main() {}
//
//	$ GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o model.wasm .
//
// C (clang and wasi-libc; on Debian the sysroot is /usr):
//
//	__attribute__((export_name("verdict_alloc")))
//	int32_t verdict_alloc(int32_t size) { return (int32_t)(uintptr_t)aligned_alloc(8, (size + 7) & ~7); }
//
//	__attribute__((export_name("verdict_predict")))
//	int32_t verdict_predict(const double *x, int32_t rows, int32_t cols, double *y, int32_t outs) { ...; return 0; }
//
//	$ clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -o model.wasm model.c
//
// For Guest ABI v2 in C, define VERDICT_ABI_V2 before including
// sdk/c/verdict.h and write verdict_model_v2 with a stride; the Go SDK
// (sdk/guest) exports verdict_predict_v2 itself, handing the model a
// Batch with Stride.
//
// Rust (rustc with the wasm32-unknown-unknown target; Debian: rustc,
// libstd-rust-dev-wasm32, lld): a no_std cdylib exporting the two
// functions with #[no_mangle] pub extern "C"; sdk/rust does this with
// verdict::register!(predict), and its verdict_alloc grows memory by whole
// pages. The module imports nothing and has no _initialize:
//
//	$ rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib -C opt-level=2 -C panic=abort -o model.wasm model.rs
//
// AssemblyScript (npm assemblyscript): export verdict_alloc and
// verdict_predict from assembly/index.ts, use the stub runtime (its bump
// allocator never frees what verdict_alloc handed out) and replace the
// env.abort import with a function of the module:
//
//	$ npx asc assembly/index.ts --runtime stub -O3 --use abort=assembly/index/abort -o model.wasm
//
// sandbox/sandboxtest/testdata holds complete examples (gomodel/main.go,
// cmodel.c, aslinear/assembly/index.ts, linear.wat); sdk/rust/testdata
// and examples/breast-cancer/rust-model hold Rust ones.
//
// # Errors
//
// Compile and Run return an *Error whose Kind (see KindOf) is one of
// invalid_module, forbidden_import, abi, trap, stack_overflow,
// out_of_bounds, exit (the guest called proc_exit), timeout, memory_limit,
// bad_output, guest_error, nondeterministic (CheckDeterminism), plus crash
// (the child process died: not the model's fault; what the child wrote to
// its stderr, such as a Go crash trace, goes to the host's log through
// log/slog, never into the error), canceled (the caller's
// context was canceled) and invalid_input (a host bug); errors.Is matches the sentinels
// in errors.go, stack_overflow, out_of_bounds and exit also match ErrTrap,
// a timeout also matches context.DeadlineExceeded, a cancellation
// context.Canceled. Messages are written for the participant:
//
//	sandbox: guest trapped: out of bounds memory access in verdict_predict
//
// # Isolation: in-process or a child process
//
// Config.Isolation picks where guests run.
//
// InProcess (the default) runs guests on goroutines of the caller. wazero
// runs with WithCloseOnContextDone and each Run under
// context.WithTimeout(Limits.Timeout), covering instantiation, _initialize
// and every batch, so an infinite loop is stopped. This has a cost: the
// compiler then checks for termination at every loop back-edge by calling
// into Go, which makes tight numeric loops 14-44 times slower than the
// same C compiled natively (see BenchmarkLinear and bench/anchors). A
// recursion bomb is not interrupted either: it ends at wazero's 400 MB
// call-stack ceiling (0.2 s to a few seconds). Pick it
// where forking is not wanted (tests, platforms other than Linux, a host
// already inside a container per submission).
//
// Process runs guests in long-lived child processes started from
// Config.ChildCommand (by default this executable with the hidden argument
// ChildArg, whose handler calls ServeChild). The parent validates a module
// with its own bounds-checked pre-decoder and never hands guest bytes to
// wazero; a child compiles them without termination checks into the shared
// on-disk cache (Config.CacheDir, or a private temporary directory,
// trimmed to Config.CacheMaxBytes least recently used first), so
// loops run at full speed, and the parent kills the child's process group
// at the deadline (Limits.Timeout for a Run, Limits.CompileTimeout, by
// default the same, for a Compile). Children live in a pool (up to Config.Workers idle) and serve
// one request at a time over a Unix socket: a child keeps its wazero
// runtime, its last 8 compiled modules, the last features it mapped and
// its outputs file, so a warm Run costs a message and a fresh instance
// (about 0.3 ms) instead of a process start and a module load. Each Run
// still gets fresh instances. A child whose Run failed by the model's
// doing (a trap, bad output, ...) serves again once every instance of that
// Run has returned (it waits up to 100 ms for them); one is killed and
// replaced otherwise, and after a deadline, a cancellation, a crash or a
// protocol violation, after 1000 requests and when it nears its CPU
// budget; one found dead in the pool is replaced and the request retried
// once. A child
// starts with an empty environment in /, sets PR_SET_NO_NEW_PRIVS, not
// dumpable, RLIMIT_NOFILE, RLIMIT_FSIZE, no core dumps and a lifetime
// RLIMIT_CPU, and before each request RLIMIT_AS (sized from the limits,
// the data and the worker count); it dies with the parent (Pdeathsig). It
// gets the module, the features and its outputs file only, as memfds (see
// Features), never a label; the parent re-checks every prediction. A crash
// of the child is ErrCrash (not the model's fault); running out of its
// address space is ErrMemoryLimit. Pick it in production on Linux: a
// wazero bug or a guest that escapes the memory limit cannot take the host
// down, and numeric guests run near native speed.
//
// # Throughput
//
// A Run splits its rows into contiguous ranges, at least MinRowsPerWorker
// each, over up to Config.Workers instances (GOMAXPROCS by default) that
// run in parallel, each with the full memory limit; a model that is a pure
// function of each row gives the same predictions whatever the split.
// Prepare a dataset's features once with NewFeatures and pass them as
// Input.Features to every Run: in Process isolation that is one copy per
// value per Run (from the mapping into guest memory) instead of two, and a
// pooled child keeps the mapping from one Run to the next.
// Result.PredictTime tells the guest's own compute from the host's work.
//
// Input.Progress follows a long Run: the rows predicted so far, counted
// once per batch by the host (an atomic counter in the child's outputs
// header under Process isolation, which the parent polls) and reported at
// most every ProgressInterval. Without it a Run does no progress work.
//
// # Determinism
//
// CheckDeterminism re-runs a model on shuffled rows with another batch size
// and requires bit-identical predictions (ErrNondeterministic otherwise).
//
// # Limits
//
// Memory: guest linear memory is backed by the sandbox's own
// experimental.MemoryAllocator, which refuses any size above
// Limits.MemoryMB and records the refusal. wazero turns the refusal into
// memory.grow returning -1; whatever the guest does next (trap, error code,
// verdict_alloc returning 0, bad output) is then reported as
// ErrMemoryLimit, naming the size it asked for. A module whose declared
// minimum exceeds the limit is refused by Compile. wazero's own page limit
// (RuntimeConfig.WithMemoryLimitPages) is deliberately left at the wasm32
// maximum: wazero refuses a grow past that limit before any hook sees it,
// so a guest that handles the failure would be indistinguishable from a
// buggy one; and modules declaring a large maximum (common with some
// toolchains) still run as long as they use less than the limit.
//
// Tables are host memory outside linear memory, and an unbounded table
// can be grown by table.grow until the host runs out of memory, so before
// compiling, the sandbox gives every table a maximum (rewriting the table
// section) such that all tables together hold at most MaxTableElements;
// modules whose tables' minimums already exceed it are refused with
// ErrMemoryLimit. Module size is bounded by Limits.MaxModuleBytes before
// anything is decoded. Not bounded by Limits: the guest's call stack, which
// wazero grows on the host up to its fixed ceiling (50M slots, 400 MB, in
// the compiler) before trapping with a stack overflow.
//
// Compilation: wazero's compiler takes time that grows faster than the
// code in some shapes (40,000 nested blocks, 120 KB, compiled for 16 s).
// The pre-decoder refuses, as invalid_module and before compiling
// anything, code beyond MaxFunctions, MaxFunctionBytes, MaxLocals,
// MaxNesting or MaxBrTableTargets; it decodes every instruction to do so.
// What is left is bounded in time: Limits.CompileTimeout (by default
// Limits.Timeout) and the caller's deadline end a Compile with a timeout.
// Process isolation kills the compiling child; in process, wazero cannot
// interrupt a compilation, so Compile returns at the deadline and the
// compilation finishes in the background, its result thrown away.
//
// Host byte order: the data handoff copies each column of a batch into
// guest memory with one copy through an unsafe []byte view of the
// []float64 (and reads outputs the same way), which is correct on
// little-endian hosts (amd64 and arm64, wazero's compiler targets); on
// big-endian hosts it falls back to encoding/binary.
//
// # Usage
//
//	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: dir, Isolation: sandbox.Process})
//	if err != nil { ... }
//	defer rt.Close(ctx)
//
//	mod, err := rt.Compile(ctx, wasm) // validates without running anything
//	if err != nil {
//		return sandbox.KindOf(err), err // e.g. "forbidden_import"
//	}
//	defer mod.Close(ctx)
//
//	feats, err := sandbox.NewFeatures(columns) // once per dataset
//	...
//	res, err := mod.Run(ctx, sandbox.Input{Features: feats, Outputs: 1})
//	if err != nil {
//		return sandbox.KindOf(err), err // e.g. "timeout", "memory_limit"
//	}
//	scores := res.Outputs[0] // one prediction per row
package sandbox
