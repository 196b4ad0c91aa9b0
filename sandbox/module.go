package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// Guest time and entropy are fixed so that a model is a pure function of its
// input: every Run sees the same clock readings and random bytes.
var (
	// fakeEpoch is the walltime every guest reads: 2024-01-01T00:00:00Z.
	fakeEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	// randSeed seeds the ChaCha8 stream behind WASI random_get.
	randSeed = [32]byte([]byte("verdict sandbox: fixed entropy!!"))
)

// fakeNanotime returns a monotonic clock for one instance that starts at 1s
// and advances 1µs per reading, whatever the real time. It is not constant
// because the Go runtime aborts when nanotime returns zero and expects it to
// advance; it is still a pure function of the guest's own calls.
func fakeNanotime() sys.Nanotime {
	var t atomic.Int64
	t.Store(int64(time.Second))
	return func() int64 { return t.Add(int64(time.Microsecond)) }
}

// Module is a compiled, validated submission. It is safe for concurrent
// Runs, each in its own instance. Close it when done.
type Module struct {
	// SHA256 is the hex SHA-256 of the module bytes given to Compile.
	SHA256 string
	// Size is the length of those bytes.
	Size int

	rt     *Runtime
	c      *compiled
	closed atomic.Bool
}

// Close releases the handle; the compiled code is freed with the last
// handle of the same SHA-256. Runs in progress finish normally.
func (m *Module) Close(context.Context) error {
	if m.closed.CompareAndSwap(false, true) {
		m.rt.release(m.c)
	}
	return nil
}

// Input is what Run feeds the guest: test features only, never labels.
type Input struct {
	// Columns holds one slice per feature, in the task's feature order, all
	// of the same length (the number of rows). Nulls are NaN.
	Columns [][]float64
	// Outputs is the number of output columns the guest must write (outs):
	// 1 for binary, regression and ranking, the number of classes for
	// multiclass.
	Outputs int
	// BatchRows is the maximum rows per verdict_predict call; 0 means
	// DefaultBatchRows. Run may use fewer so the buffers fit the memory limit.
	BatchRows int
	// Features, if not nil, replaces Columns: the same matrix prepared once
	// by NewFeatures, which Process isolation hands to its children without
	// copying it again. Reuse one Features for every Run on a dataset.
	Features *Features
	// Progress, if not nil, is told how many rows the Run has predicted so
	// far: from one goroutine at a time, with counts that only increase,
	// at most every ProgressInterval, and with every row once the Run
	// succeeded (it is not called after a failure). The host calls it
	// between batches, never from guest code; it must be quick, since an
	// instance may wait for it. A Run without it does no progress work.
	Progress func(rowsDone int)
}

// columns returns the feature columns of in.
func (in Input) columns() [][]float64 {
	if in.Features != nil {
		return in.Features.Columns()
	}
	return in.Columns
}

// Result is the guest's predictions and what it printed.
type Result struct {
	// Outputs[k][i] is output k of row i (column-major, like the ABI).
	Outputs [][]float64
	// Stdout and Stderr are the first Limits.OutputBytes bytes the guest
	// wrote to each; the rest is counted in StdoutDropped/StderrDropped.
	Stdout, Stderr               []byte
	StdoutDropped, StderrDropped int64
	// Elapsed is the host wall time of the Run.
	Elapsed time.Duration
	// MemoryBytes is the guest's linear memory size at the end.
	MemoryBytes uint64
	// PredictTime is the wall time spent inside verdict_predict, summed
	// over the instances (which run in parallel, so it may exceed
	// Elapsed): the guest's own compute, without instantiation, copies and
	// checks.
	PredictTime time.Duration
	// BatchRows is the batch size actually used.
	BatchRows int
}

// errTimeLimit is the cancel cause of a Run that hit Limits.Timeout;
// errSibling of the other instances of a Run when one failed.
var (
	errTimeLimit = errors.New("sandbox: time limit")
	errSibling   = errors.New("sandbox: another instance of the run failed")
)

// Run instantiates the module afresh, calls _initialize if exported, then
// verdict_alloc for x and y once and verdict_predict once per batch. Rows
// are split into contiguous ranges over up to Config.Workers instances that
// run in parallel, each doing all of that on its own rows. The whole Run is
// bounded by Limits.Timeout and ctx.
func (m *Module) Run(ctx context.Context, in Input) (*Result, error) {
	if m.closed.Load() {
		return nil, fmt.Errorf("run module %s: %w", m.SHA256, ErrClosed)
	}
	if f := in.Features; f != nil {
		if !f.acquire() {
			return nil, &Error{Kind: KindInvalidInput, Msg: "invalid input: features are closed"}
		}
		defer f.release()
	}
	if m.rt.process {
		return m.runProcess(ctx, in)
	}
	cols := in.columns()
	rows, batch, err := in.check(m.rt.limits, m.c.abi.v2)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	runCtx, cancel := context.WithTimeoutCause(ctx, m.rt.limits.Timeout, errTimeLimit)
	defer cancel()
	res := &Result{Outputs: make([][]float64, in.Outputs), BatchRows: batch}
	for k := range res.Outputs {
		res.Outputs[k] = make([]float64, rows)
	}
	var batchDone func(int)
	p := newProgress(in.Progress, rows)
	if p != nil {
		batchDone = p.batch
	}
	if _, err := m.execute(runCtx, ctx, cols, batch, res, m.rt.workers, nil, batchDone, -1); err != nil {
		return nil, err
	}
	if p != nil {
		p.finish()
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// phaseFunc is told which guest function instance w is about to enter.
type phaseFunc func(w int, fn string)

// batchFunc is told that an instance predicted n more rows.
type batchFunc func(n int)

// execute runs cols through the module on up to workers instances in
// parallel, writing res.Outputs (already sized) and the output fields of
// res, and reports whether every instance has returned. Each instance
// calls batchDone, if not nil, after each batch. ctx carries the
// time limit, parent is the caller's context. After the first error the
// other instances stop at their next batch; with linger >= 0, execute
// waits at most that long for them (in the child of Process isolation,
// guests have no termination checks: the child exits if they are still
// running, which is what stops them).
func (m *Module) execute(ctx, parent context.Context, cols [][]float64, batch int, res *Result, workers int, phase phaseFunc, batchDone batchFunc, linger time.Duration) (bool, error) {
	rows := len(cols[0])
	n := max(1, min(workers, rows/MinRowsPerWorker))
	if n == 1 {
		in := m.instance(ctx, parent, 0, phase, batchDone)
		err := in.run(cols, 0, rows, batch, res.Outputs)
		mergeOutput(res, m.rt.limits.OutputBytes, in)
		return true, err
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	insts := make([]*instance, n)
	errs := make([]error, n)
	failed := make(chan int, n)
	var wg sync.WaitGroup
	for w := range n {
		lo, hi := w*rows/n, (w+1)*rows/n
		insts[w] = m.instance(wctx, parent, w, phase, batchDone)
		wg.Go(func() {
			errs[w] = insts[w].run(cols, lo, hi, batch, res.Outputs)
			if errs[w] != nil {
				cancel(errSibling)
			}
			failed <- w
		})
	}
	if linger >= 0 {
		for returned := 0; returned < n; returned++ {
			w := <-failed
			if errs[w] == nil || errors.Is(errs[w], errSibling) {
				continue
			}
			timer := time.NewTimer(linger)
			defer timer.Stop()
			for returned++; returned < n; returned++ {
				select {
				case <-failed:
				case <-timer.C:
					return false, errs[w]
				}
			}
			return true, errs[w]
		}
	}
	wg.Wait()
	for w := range n {
		if errs[w] != nil && !errors.Is(errs[w], errSibling) {
			return true, errs[w]
		}
	}
	mergeOutput(res, m.rt.limits.OutputBytes, insts...)
	return true, nil
}

// mergeOutput appends what the instances printed, in row order, to res
// within the OutputBytes cap, and records the largest memory.
func mergeOutput(res *Result, limit int, insts ...*instance) {
	for _, in := range insts {
		out, outDropped := in.stdout.snapshot()
		errb, errDropped := in.stderr.snapshot()
		res.Stdout, res.StdoutDropped = appendCapped(res.Stdout, res.StdoutDropped+outDropped, out, limit)
		res.Stderr, res.StderrDropped = appendCapped(res.Stderr, res.StderrDropped+errDropped, errb, limit)
		res.MemoryBytes = max64(res.MemoryBytes, in.memoryBytes)
		res.PredictTime += in.predictTime
	}
}

func appendCapped(dst []byte, dropped int64, src []byte, limit int) ([]byte, int64) {
	keep := min(len(src), limit-len(dst))
	if keep < 0 {
		keep = 0
	}
	return append(dst, src[:keep]...), dropped + int64(len(src)-keep)
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// instance is one guest instance of a Run.
type instance struct {
	*guest
	m           *Module
	cfg         wazero.ModuleConfig
	stdout      *cappedBuffer
	memoryBytes uint64
	predictTime time.Duration
}

func (m *Module) instance(ctx, parent context.Context, w int, phase phaseFunc, batchDone batchFunc) *instance {
	lim := m.rt.limits
	in := &instance{m: m, stdout: &cappedBuffer{max: lim.OutputBytes, limit: lim.WriteBytes}}
	stderr := &cappedBuffer{max: lim.OutputBytes, limit: lim.WriteBytes}
	in.cfg = wazero.NewModuleConfig().
		WithName("").         // anonymous: many instances may coexist
		WithStartFunctions(). // _initialize is called below, under the limits
		WithStdout(in.stdout).
		WithStderr(stderr).
		WithWalltime(func() (int64, int32) { return fakeEpoch, 0 }, sys.ClockResolution(1)).
		WithNanotime(fakeNanotime(), sys.ClockResolution(1)).
		WithNanosleep(func(int64) {}).
		WithOsyield(func() {}).
		WithRandSource(rand.NewChaCha8(randSeed))
	in.guest = &guest{rt: m.rt, ctx: ctx, parent: parent, limits: lim,
		alloc: &memoryAllocator{limit: lim.memoryBytes()}, stderr: stderr, worker: w, phase: phase, batchDone: batchDone}
	if m.c.abi.v2 {
		in.guest.alloc.pool = m.rt.memories
	}
	return in
}

// run instantiates the module, calls _initialize and predicts rows
// [lo, hi) of cols into out. A guest that wrote past Limits.WriteBytes
// fails with ErrOutputLimit, whatever its failed writes led to.
func (in *instance) run(cols [][]float64, lo, hi, batch int, out [][]float64) error {
	err := in.runGuest(cols, lo, hi, batch, out)
	for _, s := range []struct {
		name string
		buf  *cappedBuffer
	}{{"stdout", in.stdout}, {"stderr", in.guest.stderr}} {
		if s.buf.exceeded() {
			return &Error{Kind: KindOutputLimit, Func: in.guest.last, Msg: fmt.Sprintf(
				"output limit exceeded: the model wrote more than %s to %s (verdict keeps the first %s of each stream; write less, or only on failure)",
				formatBytes(uint64(in.m.rt.limits.WriteBytes)), s.name, formatBytes(uint64(in.m.rt.limits.OutputBytes)))}
		}
	}
	return err
}

func (in *instance) runGuest(cols [][]float64, lo, hi, batch int, out [][]float64) error {
	g := in.guest
	g.enter("instantiate")
	mod, err := g.rt.wz.InstantiateModule(experimental.WithMemoryAllocator(g.ctx, g.alloc), in.m.c.code, in.cfg)
	if err != nil {
		return g.fail("instantiate", err)
	}
	defer mod.Close(context.Background())
	g.mem = mod.Memory()
	if in.m.c.abi.hasInit {
		if err := g.call(mod.ExportedFunction("_initialize"), "_initialize", nil); err != nil {
			return err
		}
	}
	if m := in.m.c.model; m != nil {
		if err := g.loadModel(mod, m); err != nil {
			return err
		}
	}
	if hi > lo {
		predict := g.predict
		if in.m.c.abi.v2 {
			predict = g.predictV2
		}
		if err := predict(mod, cols, lo, hi, batch, len(out), out); err != nil {
			return err
		}
	}
	g.enter("")
	in.memoryBytes = uint64(g.mem.Size())
	in.predictTime = g.predictTime
	return nil
}

func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// check validates in and returns the row count and the batch size to use:
// at most BatchRows, and small enough that x and y together take at most
// half the memory limit and x fits an i32 size. Under Guest ABI v2 (v2) a
// zero BatchRows means as many rows as fit: one verdict_predict_v2 call
// per window.
func (in Input) check(lim Limits, v2 bool) (rows, batch int, err error) {
	bad := func(format string, args ...any) (int, int, error) {
		return 0, 0, &Error{Kind: KindInvalidInput, Msg: "invalid input: " + fmt.Sprintf(format, args...)}
	}
	cols := in.columns()
	if len(cols) == 0 {
		return bad("no feature columns")
	}
	if in.Outputs < 1 {
		return bad("outputs %d, want at least 1", in.Outputs)
	}
	if in.BatchRows < 0 {
		return bad("negative batch_rows %d", in.BatchRows)
	}
	rows = len(cols[0])
	for j, c := range cols {
		if len(c) != rows {
			return bad("column %d has %d rows, column 0 has %d", j, len(c), rows)
		}
	}
	if len(cols) > math.MaxInt32 || in.Outputs > math.MaxInt32 {
		return bad("%d columns and %d outputs do not fit the ABI's i32", len(cols), in.Outputs)
	}
	batch = in.BatchRows
	if batch == 0 {
		batch = DefaultBatchRows
		if v2 {
			batch = rows
		}
	}
	batch = max(1, min(batch, rows))
	perRow := 8 * uint64(len(cols)+in.Outputs)
	budget := min(lim.memoryBytes()/2, math.MaxInt32)
	if perRow > budget {
		return bad("%d columns and %d outputs need %s per row, more than half the memory limit (%s)",
			len(cols), in.Outputs, formatBytes(perRow), formatBytes(lim.memoryBytes()))
	}
	batch = min(batch, int(budget/perRow))
	return rows, batch, nil
}

// guest holds the state of one Run for error classification.
type guest struct {
	rt     *Runtime
	ctx    context.Context // Run context, with the time limit
	parent context.Context // caller's context
	limits Limits
	alloc  *memoryAllocator
	stderr *cappedBuffer
	mem    api.Memory
	stack  [6]uint64
	worker int
	phase  phaseFunc // nil unless a Process child reports progress
	// batchDone is told the rows of each batch done; nil unless the Run
	// reports progress (Input.Progress, or a Process child).
	batchDone batchFunc
	last      string // the guest function entered last

	predictTime time.Duration // inside verdict_predict
}

// enter reports that the instance is about to run fn ("" when done).
func (g *guest) enter(fn string) {
	if fn != "" {
		g.last = fn
	}
	if g.phase != nil {
		g.phase(g.worker, fn)
	}
}

// call runs fn with params, returning its first result.
func (g *guest) call(fn api.Function, name string, params []uint64) error {
	g.enter(name)
	copy(g.stack[:], params)
	if err := fn.CallWithStack(g.ctx, g.stack[:]); err != nil {
		return g.fail(name, err)
	}
	return nil
}

// unwritten is the NaN payload the host puts in y before every batch, to
// tell outputs the guest did not write from NaNs it wrote.
const unwritten = 0x7ff8_5ee0_0000_0bad

// predict allocates x and y and runs every batch of rows [lo, hi), filling
// out.
func (g *guest) predict(mod api.Module, cols [][]float64, lo, hi, batch, outs int, out [][]float64) error {
	batch = min(batch, hi-lo)
	xBytes, yBytes := uint64(8*len(cols)*batch), uint64(8*outs*batch)
	xp, err := g.allocate(mod, "x", xBytes)
	if err != nil {
		return err
	}
	yp, err := g.allocate(mod, "y", yBytes)
	if err != nil {
		return err
	}
	if uint64(xp) < uint64(yp)+yBytes && uint64(yp) < uint64(xp)+xBytes {
		return g.abi("verdict_alloc", fmt.Sprintf("x [%#x, %#x) and y [%#x, %#x) overlap",
			xp, uint64(xp)+xBytes, yp, uint64(yp)+yBytes))
	}
	predict := mod.ExportedFunction("verdict_predict")
	for start := lo; start < hi; start += batch {
		n := min(batch, hi-start)
		// x is column-major for this batch: feature j at x + 8*j*n.
		for j, col := range cols {
			view, ok := g.mem.Read(xp+uint32(8*j*n), uint32(8*n))
			if !ok {
				return g.abi("verdict_predict", "x buffer no longer in memory")
			}
			putFloats(view, col[start:start+n])
		}
		yView, ok := g.mem.Read(yp, uint32(8*outs*n))
		if !ok {
			return g.abi("verdict_predict", "y buffer no longer in memory")
		}
		fillUnwritten(yView)
		t0 := time.Now()
		err := g.call(predict, "verdict_predict",
			[]uint64{uint64(xp), uint64(n), uint64(len(cols)), uint64(yp), uint64(outs)})
		g.predictTime += time.Since(t0)
		if err != nil {
			return err
		}
		if code := int32(uint32(g.stack[0])); code != 0 {
			return g.failWith(&Error{Kind: KindGuestError, Func: "verdict_predict", Code: code,
				Msg: fmt.Sprintf("guest returned error code %d from verdict_predict (rows %d to %d)", code, start, start+n-1)})
		}
		for k := range outs {
			view, ok := g.mem.Read(yp+uint32(8*k*n), uint32(8*n))
			if !ok {
				return g.abi("verdict_predict", "y buffer no longer in memory")
			}
			dst := out[k][start : start+n]
			getFloats(dst, view)
			if i, msg := checkOutputs(dst, k, outs); i >= 0 {
				return g.failWith(&Error{Kind: KindBadOutput, Func: "verdict_predict", Msg: fmt.Sprintf(
					"bad output: prediction for row %d, output %d %s", start+i, k, msg)})
			}
		}
		if g.batchDone != nil {
			g.batchDone(n)
		}
		if err := g.ctx.Err(); err != nil {
			return g.fail("verdict_predict", err)
		}
	}
	return nil
}

// checkOutputs returns the index of the first bad value of output column k
// and what is wrong with it, or -1.
func checkOutputs(col []float64, k, outs int) (int, string) {
	for i, v := range col {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if math.Float64bits(v) == unwritten {
				return i, fmt.Sprintf("was not written: the host asked for %d outputs per row (outs); "+
					"write every y[k*rows+i] for k < outs", outs)
			}
			return i, fmt.Sprintf("is %v; predictions must be finite", v)
		}
	}
	return -1, ""
}

// allocate calls verdict_alloc(size) and validates the pointer.
func (g *guest) allocate(mod api.Module, what string, size uint64) (uint32, error) {
	if err := g.call(mod.ExportedFunction("verdict_alloc"), "verdict_alloc", []uint64{size}); err != nil {
		return 0, err
	}
	p := uint32(g.stack[0])
	memSize := uint64(g.mem.Size())
	switch {
	case p == 0:
		return 0, g.abi("verdict_alloc", fmt.Sprintf("verdict_alloc(%d) for %s returned 0 (allocation failed)", size, what))
	case p%8 != 0:
		return 0, g.abi("verdict_alloc", fmt.Sprintf("verdict_alloc(%d) for %s returned %#x, not 8-byte aligned", size, what, p))
	case uint64(p)+size > memSize:
		return 0, g.abi("verdict_alloc", fmt.Sprintf(
			"verdict_alloc(%d) for %s returned %#x, but [%#x, %#x) is outside memory of %d bytes",
			size, what, p, p, uint64(p)+size, memSize))
	}
	return p, nil
}

func (g *guest) abi(fn, msg string) error {
	return g.failWith(&Error{Kind: KindABI, Func: fn, Msg: "abi: " + msg})
}

// failWith reports e, unless the guest was refused memory earlier in the
// Run: then the refusal is the cause and e what followed.
func (g *guest) failWith(e *Error) error {
	if refused := g.alloc.refusedBytes(); refused > 0 {
		return g.memoryLimit(e.Func, refused, e.Msg, e.err)
	}
	e.Stderr = g.stderrExcerpt()
	return e
}

// fail classifies an error returned by wazero while running fn.
func (g *guest) fail(fn string, err error) error {
	if g.rt.isClosed() {
		return fmt.Errorf("run %s: %w: %w", fn, ErrClosed, err)
	}
	if g.ctx.Err() != nil {
		if context.Cause(g.ctx) == errSibling {
			return fmt.Errorf("run %s: %w", fn, errSibling)
		}
		if context.Cause(g.ctx) == errTimeLimit {
			return &Error{Kind: KindTimeout, Func: fn, Stderr: g.stderrExcerpt(), err: err,
				Msg: fmt.Sprintf("time limit of %v exceeded in %s", g.limits.Timeout, fn)}
		}
		if errors.Is(g.parent.Err(), context.DeadlineExceeded) {
			return &Error{Kind: KindTimeout, Func: fn, Stderr: g.stderrExcerpt(), err: err,
				Msg: fmt.Sprintf("caller's deadline exceeded in %s", fn)}
		}
		return &Error{Kind: KindCanceled, Func: fn, err: err, Msg: fmt.Sprintf("run canceled in %s", fn)}
	}
	var exit *sys.ExitError
	e := &Error{Kind: KindTrap, Func: fn, err: err}
	if errors.As(err, &exit) {
		e.Kind, e.Code = KindExit, int32(exit.ExitCode())
		e.Msg = fmt.Sprintf("guest trapped: called proc_exit(%d) in %s", exit.ExitCode(), fn)
	} else {
		msg := strings.TrimPrefix(firstLine(err.Error()), "wasm error: ")
		e.Msg = fmt.Sprintf("guest trapped: %s in %s", msg, fn)
		// wazero's trap errors are internal: tell them by their text.
		switch msg {
		case "stack overflow":
			e.Kind = KindStackOverflow
			e.Msg += " (recursion too deep or unbounded)"
		case "out of bounds memory access":
			e.Kind = KindOutOfBounds
		}
	}
	return g.failWith(e)
}

func (g *guest) memoryLimit(fn string, refused uint64, then string, cause error) error {
	return &Error{Kind: KindMemoryLimit, Func: fn, Stderr: g.stderrExcerpt(), err: cause, Msg: fmt.Sprintf(
		"memory limit exceeded: guest tried to grow memory to %s in %s, limit is %s (then: %s)",
		formatBytes(refused), fn, formatBytes(g.alloc.limit), then)}
}

func (g *guest) stderrExcerpt() string {
	b, _ := g.stderr.snapshot()
	return stderrExcerpt(b)
}

// Guest ABI v2 lays each column of a window of rows out whole in guest
// memory: column j at x + 8*j*stride, every column starting on a 4 KiB
// boundary (x is 4 KiB-aligned and stride a multiple of pageRows).
const (
	v2Align  = 4096
	pageRows = v2Align / 8
	// V2WindowRows bounds the rows of a Guest ABI v2 window: columns of
	// 512 KiB, so that the window's outputs stay in a core's cache while
	// the guest sweeps the columns, and the guest memory a Run touches
	// (which the Runtime reuses from Run to Run) stays small.
	V2WindowRows = 1 << 16
)

// v2Window returns the rows of one window of Guest ABI v2, at most rows:
// as many as fit, x and y together, in half the memory limit (the budget
// of check), stride rounding and alignment included.
func v2Window(lim Limits, cols, outs, rows int) int {
	budget := min(lim.memoryBytes()/2, math.MaxInt32)
	perRow := 8 * uint64(cols+outs)
	fit := int64(budget) - v2Align - int64(pageRows-1)*int64(perRow)
	return max(1, min(rows, V2WindowRows, int(fit/int64(perRow))))
}

// predictV2 is predict for Guest ABI v2: it allocates x and y once for a
// window of rows (the whole range when it fits), copies each feature column
// of a window into x with one copy, and calls verdict_predict_v2 on batches
// of batch rows that are views of the window: feature j of the window's row
// i at x + 8*(j*stride + i), output k at y + 8*(k*stride + i).
func (g *guest) predictV2(mod api.Module, cols [][]float64, lo, hi, batch, outs int, out [][]float64) error {
	window := v2Window(g.limits, len(cols), outs, hi-lo)
	stride := (window + pageRows - 1) / pageRows * pageRows
	batch = max(1, min(batch, window))
	xBytes, yBytes := uint64(8*len(cols)*stride), uint64(8*outs*stride)
	if xBytes+v2Align > math.MaxInt32 || yBytes > math.MaxInt32 {
		// Only reachable with 4 GiB limits: keep every size an i32.
		return g.abi("verdict_alloc", fmt.Sprintf("window of %d rows needs %s for x, more than an i32 size",
			window, formatBytes(xBytes)))
	}
	xBase, err := g.allocate(mod, "x", xBytes+v2Align)
	if err != nil {
		return err
	}
	xp := (xBase + v2Align - 1) &^ (v2Align - 1)
	yp, err := g.allocate(mod, "y", yBytes)
	if err != nil {
		return err
	}
	if uint64(xBase) < uint64(yp)+yBytes && uint64(yp) < uint64(xBase)+xBytes+v2Align {
		return g.abi("verdict_alloc", fmt.Sprintf("x [%#x, %#x) and y [%#x, %#x) overlap",
			xBase, uint64(xBase)+xBytes+v2Align, yp, uint64(yp)+yBytes))
	}
	predict := mod.ExportedFunction("verdict_predict_v2")
	for start := lo; start < hi; start += window {
		n := min(window, hi-start)
		for j, col := range cols {
			view, ok := g.mem.Read(xp+uint32(8*j*stride), uint32(8*n))
			if !ok {
				return g.abi("verdict_predict_v2", "x buffer no longer in memory")
			}
			putFloats(view, col[start:start+n])
		}
		for k := range outs {
			view, ok := g.mem.Read(yp+uint32(8*k*stride), uint32(8*n))
			if !ok {
				return g.abi("verdict_predict_v2", "y buffer no longer in memory")
			}
			fillUnwritten(view)
		}
		for b := 0; b < n; b += batch {
			m := min(batch, n-b)
			t0 := time.Now()
			err := g.call(predict, "verdict_predict_v2", []uint64{uint64(xp) + uint64(8*b), uint64(m),
				uint64(len(cols)), uint64(stride), uint64(yp) + uint64(8*b), uint64(outs)})
			g.predictTime += time.Since(t0)
			if err != nil {
				return err
			}
			if code := int32(uint32(g.stack[0])); code != 0 {
				return g.failWith(&Error{Kind: KindGuestError, Func: "verdict_predict_v2", Code: code,
					Msg: fmt.Sprintf("guest returned error code %d from verdict_predict_v2 (rows %d to %d)",
						code, start+b, start+b+m-1)})
			}
			if err := g.ctx.Err(); err != nil {
				return g.fail("verdict_predict_v2", err)
			}
		}
		for k := range outs {
			view, ok := g.mem.Read(yp+uint32(8*k*stride), uint32(8*n))
			if !ok {
				return g.abi("verdict_predict_v2", "y buffer no longer in memory")
			}
			dst := out[k][start : start+n]
			getFloats(dst, view)
			if i, msg := checkOutputs(dst, k, outs); i >= 0 {
				return g.failWith(&Error{Kind: KindBadOutput, Func: "verdict_predict_v2", Msg: fmt.Sprintf(
					"bad output: prediction for row %d, output %d %s", start+i, k, msg)})
			}
		}
		if g.batchDone != nil {
			g.batchDone(n)
		}
	}
	return nil
}
