package sandbox_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// fastLimits keep the timeout and memory fixtures quick (growing memory
// costs ~10 ms per MiB on a busy CI machine). Compiling is not what they
// test, and wazero's compiler under the race detector is slow: it gets a
// limit of its own.
var fastLimits = sandbox.Limits{Timeout: 400 * time.Millisecond, CompileTimeout: time.Minute, MemoryMB: 2, OutputBytes: 4096}

// slowLimits are fastLimits with a time limit no fixture that ends on its
// own can reach, even under the race detector on a loaded machine.
var slowLimits = sandbox.Limits{Timeout: 20 * time.Second, MemoryMB: 2, OutputBytes: 4096}

// testCols is 3 features x 5 rows.
var testCols = [][]float64{
	{1, 2, 3, 4, 5},
	{0.5, -1, 2.25, 1e3, -7},
	{10, 20, 30, 40, 50},
}

func newRuntime(t testing.TB, c sandbox.Config) *sandbox.Runtime {
	t.Helper()
	rt, err := sandbox.NewRuntime(context.Background(), withChild(c))
	if err != nil {
		t.Fatalf("NewRuntime: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func compile(t testing.TB, rt *sandbox.Runtime, name string) *sandbox.Module {
	t.Helper()
	m, err := rt.Compile(context.Background(), sandboxtest.Wasm(name))
	if err != nil {
		t.Fatalf("Compile(%s): %v", name, err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

// The Go fixtures are 2 MB each; they are compiled once per test binary and
// isolation mode in their own Runtime (on the interpreter under -race, see
// export_test.go).
type goSet struct {
	iso     sandbox.Isolation
	once    sync.Once
	started atomic.Bool
	rt      *sandbox.Runtime
	mods    map[string]*sandbox.Module
	err     error
}

var goFixtures = map[sandbox.Isolation]*goSet{
	sandbox.InProcess: {iso: sandbox.InProcess},
	sandbox.Process:   {iso: sandbox.Process},
}

var goNames = []string{sandboxtest.GoModel, sandboxtest.GoPanic, sandboxtest.GoLinear}

// modes are the isolation modes every fixture runs in.
var modes = []struct {
	name string
	iso  sandbox.Isolation
}{{"InProcess", sandbox.InProcess}, {"Process", sandbox.Process}}

func goModule(t testing.TB, name string) *sandbox.Module {
	t.Helper()
	return goModuleIn(t, sandbox.InProcess, name)
}

func goModuleIn(t testing.TB, iso sandbox.Isolation, name string) *sandbox.Module {
	t.Helper()
	set := goFixtures[iso]
	set.compile()
	if set.err != nil {
		t.Fatalf("compile Go fixtures (%q): %v", iso, set.err)
	}
	m := set.mods[name]
	if m == nil {
		t.Fatalf("no Go fixture %q", name)
	}
	return m
}

// compile compiles the Go fixtures once; TestMain starts it in the
// background so it overlaps the other tests.
func (set *goSet) compile() {
	set.started.Store(true)
	set.once.Do(func() {
		ctx := context.Background()
		c := sandbox.Config{Isolation: set.iso, Limits: sandbox.Limits{Timeout: 30 * time.Second, OutputBytes: 4096}}
		newRT := sandbox.NewRuntime
		if raceEnabled {
			newRT = sandbox.NewInterpreterRuntime
		}
		rt, err := newRT(ctx, withChild(c))
		if err != nil {
			set.err = err
			return
		}
		set.rt = rt
		set.mods = map[string]*sandbox.Module{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, n := range goNames {
			wg.Go(func() {
				m, err := rt.Compile(ctx, sandboxtest.Wasm(n))
				mu.Lock()
				defer mu.Unlock()
				set.mods[n] = m
				set.err = errors.Join(set.err, err)
			})
		}
		wg.Wait()
	})
}

// compileGoFixtures compiles every mode's Go fixtures.
func compileGoFixtures() {
	for _, set := range goFixtures {
		set.compile()
	}
}

func TestMain(m *testing.M) {
	// The test binary is also the child of Process isolation (sandbox's
	// init serves it when started with ChildArg).
	flag.Parse()
	if raceEnabled {
		dir, err := os.MkdirTemp("", "sandbox-child-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		testChild = []string{buildChild(dir)}
	}
	if flag.Lookup("test.bench").Value.String() == "" && flag.Lookup("test.fuzz").Value.String() == "" {
		go compileGoFixtures() // tests only: would skew benchmarks and slow fuzzing
	}
	code := m.Run()
	for _, set := range goFixtures {
		if set.started.Load() {
			set.compile() // wait for it before closing
		}
		if set.rt != nil {
			_ = set.rt.Close(context.Background())
		}
	}
	if testChild != nil {
		os.RemoveAll(filepath.Dir(testChild[0]))
	}
	os.Exit(code)
}

// testChild is the ChildCommand of Process runtimes in tests: nil (this
// test binary, see TestMain) or, under the race detector, a child built
// without it (see sandbox/internal/sandboxchild).
var testChild []string

func buildChild(dir string) string {
	out := filepath.Join(dir, "sandboxchild")
	cmd := exec.Command("go", "build", "-o", out,
		"github.com/verdictlab/verdict/sandbox/internal/sandboxchild")
	if b, err := cmd.CombinedOutput(); err != nil {
		panic(fmt.Sprintf("build the sandbox child: %v\n%s", err, b))
	}
	return out
}

// withChild sets the test child command on Process configs.
func withChild(c sandbox.Config) sandbox.Config {
	if c.Isolation == sandbox.Process && c.ChildCommand == nil {
		c.ChildCommand = testChild
	}
	return c
}

func isGo(name string) bool { return slices.Contains(goNames, name) }

// runFixture compiles (or fetches) and runs the named fixture on testCols.
func runFixture(t *testing.T, rt *sandbox.Runtime, iso sandbox.Isolation, name string, outs int) (res *sandbox.Result, atCompile bool, err error) {
	t.Helper()
	ctx := context.Background()
	var m *sandbox.Module
	if isGo(name) {
		m = goModuleIn(t, iso, name)
	} else {
		if m, err = rt.Compile(ctx, sandboxtest.Wasm(name)); err != nil {
			return nil, true, err
		}
		defer m.Close(ctx)
	}
	res, err = m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: outs})
	return res, false, err
}

func TestFixtures(t *testing.T) {
	type check func(t *testing.T, res *sandbox.Result)
	constant := func(v float64) check {
		return func(t *testing.T, res *sandbox.Result) {
			for k, col := range res.Outputs {
				for i, got := range col {
					if got != v {
						t.Fatalf("Outputs[%d][%d]: got %v, want %v", k, i, got, v)
					}
				}
			}
		}
	}
	tests := []struct {
		name      string
		want      error // nil for good modules
		atCompile bool  // refused by Compile, before running anything
		fragments []string
		code      int32 // Error.Code, when checked
		check     check
		slow      bool // runs under slowLimits: its outcome must not depend on the machine's speed
	}{
		{name: sandboxtest.Linear, check: func(t *testing.T, res *sandbox.Result) {
			assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(testCols, 2))
		}},
		{name: sandboxtest.Const, check: constant(0.5)},
		// Row 0 is marked (feature 0 is 1) and carries 0.5; the others get
		// 1/outs = 0.5 too. TestProbeFixture tells them apart.
		{name: sandboxtest.Probe, check: constant(0.5)},
		{name: sandboxtest.CModel, check: func(t *testing.T, res *sandbox.Result) {
			want := [][]float64{{10, 20, 30, 1000, 50}, {11, 21, 31, 1001, 51}}
			assertBitEqual(t, res.Outputs, want)
		}},
		{name: sandboxtest.GoModel, check: func(t *testing.T, res *sandbox.Result) {
			assertClose(t, res.Outputs, goModelPredict(testCols, 2), 1e-12)
			if got, want := string(res.Stdout), "gomodel: ready\n"; got != want {
				t.Errorf("Stdout: got %q, want %q", got, want)
			}
		}},
		{name: sandboxtest.StdoutFlood, check: func(t *testing.T, res *sandbox.Result) {
			constant(0.25)(t, res)
			if len(res.Stdout) != fastLimits.OutputBytes || strings.Trim(string(res.Stdout), "A") != "" {
				t.Errorf("Stdout: got %d bytes, want %d bytes of 'A'", len(res.Stdout), fastLimits.OutputBytes)
			}
			if got, want := res.StdoutDropped, int64(1<<20-fastLimits.OutputBytes); got != want {
				t.Errorf("StdoutDropped: got %d, want %d", got, want)
			}
			if got, want := string(res.Stderr), "stdout_flood: hello from stderr\n"; got != want || res.StderrDropped != 0 {
				t.Errorf("Stderr: got %q (%d dropped), want %q", got, res.StderrDropped, want)
			}
		}},

		{name: sandboxtest.StdoutBomb, want: sandbox.ErrOutputLimit,
			fragments: []string{"output limit exceeded: the model wrote more than 16 MiB to stdout"}},
		{name: sandboxtest.CLinear, check: func(t *testing.T, res *sandbox.Result) {
			assertBitEqual(t, res.Outputs, sandboxtest.WeightedPredict(testCols, 2))
		}},
		{name: sandboxtest.GoLinear, check: func(t *testing.T, res *sandbox.Result) {
			assertBitEqual(t, res.Outputs, sandboxtest.WeightedPredict(testCols, 2))
		}},
		{name: sandboxtest.CLinearV2, check: func(t *testing.T, res *sandbox.Result) {
			assertBitEqual(t, res.Outputs, sandboxtest.WeightedPredict(testCols, 2))
		}},
		// Whole columns on 4 KiB pages: 5 rows get a stride of 512.
		{name: sandboxtest.V2Probe, check: constant(512)},
		// Nothing of an earlier instance in memory (TestV2MemoryReuseZeroed).
		{name: sandboxtest.V2Marker, check: constant(0)},
		{name: sandboxtest.V2Scan, check: constant(0)},
		// Without a verdict.model section, no model is loaded (TestModelLoad).
		{name: sandboxtest.ModelEcho, want: sandbox.ErrGuestCode, code: 5,
			fragments: []string{"error code 5 from verdict_predict"}},
		// CLogit has one output: asked for 2, it returns code 1.
		{name: sandboxtest.CLogit, want: sandbox.ErrGuestCode, code: 1,
			fragments: []string{"error code 1 from verdict_predict_v2 (rows 0 to 4)"}},
		{name: sandboxtest.V2Signature, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{"verdict_predict_v2 has signature (i32,i32,i32,i32,i32)->(i32), want (i32,i32,i32,i32,i32,i32)->(i32)"}},
		{name: sandboxtest.ASLinear, check: func(t *testing.T, res *sandbox.Result) {
			assertBitEqual(t, res.Outputs, sandboxtest.WeightedPredict(testCols, 2))
		}},
		{name: sandboxtest.Stateful, check: func(t *testing.T, res *sandbox.Result) {
			// One batch: x[0][i] + 1. CheckDeterminism catches it.
			assertBitEqual(t, res.Outputs, [][]float64{{2, 3, 4, 5, 6}, {2, 3, 4, 5, 6}})
		}},

		// wazero's call stack ceiling is 400 MB, which takes from 0.2 s to
		// a few seconds (race detector) to fill; in-process, a recursion is
		// not interrupted by the time limit.
		{name: sandboxtest.Recursion, want: sandbox.ErrStackOverflow, slow: true,
			fragments: []string{"guest trapped: stack overflow in verdict_predict (recursion too deep or unbounded)"}},
		{name: sandboxtest.WrongOuts, want: sandbox.ErrBadOutput,
			fragments: []string{"prediction for row 0, output 1 was not written: the host asked for 2 outputs per row"}},
		{name: sandboxtest.ForbiddenImport, want: sandbox.ErrForbiddenImport, atCompile: true,
			fragments: []string{"env.foo (function)", "env.bar (function)", "env.g (global)"}},
		// A WASI name imported from another module is refused at
		// validation, not left to fail at instantiation.
		{name: sandboxtest.WASIElsewhere, want: sandbox.ErrForbiddenImport, atCompile: true,
			fragments: []string{"forbidden imports: env.fd_write (function); only wasi_snapshot_preview1 functions may be imported"}},
		{name: sandboxtest.LoopPredict, want: sandbox.ErrTimeout,
			fragments: []string{"time limit of 400ms exceeded in verdict_predict"}},
		{name: sandboxtest.LoopInit, want: sandbox.ErrTimeout,
			fragments: []string{"time limit of 400ms exceeded in _initialize"}},
		{name: sandboxtest.LoopStart, want: sandbox.ErrTimeout,
			fragments: []string{"time limit of 400ms exceeded in instantiate"}},
		{name: sandboxtest.GrowBomb, want: sandbox.ErrMemoryLimit,
			fragments: []string{"memory limit exceeded: guest tried to grow memory to 2.1 MiB in verdict_predict, limit is 2 MiB", "unreachable"}},
		{name: sandboxtest.GrowOnce, want: sandbox.ErrMemoryLimit,
			fragments: []string{"grow memory to 2.0 GiB", "error code 1"}},
		{name: sandboxtest.HugeMemory, want: sandbox.ErrMemoryLimit, atCompile: true,
			fragments: []string{"module declares 512 MiB of initial memory (8192 pages), limit is 2 MiB"}},
		{name: sandboxtest.Trap, want: sandbox.ErrTrap,
			fragments: []string{"sandbox: guest trapped: unreachable in verdict_predict"}},
		{name: sandboxtest.OOB, want: sandbox.ErrOutOfBounds,
			fragments: []string{"sandbox: guest trapped: out of bounds memory access in verdict_predict"}},
		{name: sandboxtest.NaN, want: sandbox.ErrBadOutput,
			fragments: []string{"row 2, output 0 is NaN"}},
		{name: sandboxtest.GuestCode, want: sandbox.ErrGuestCode, code: 7,
			fragments: []string{"error code 7 from verdict_predict"}},
		{name: sandboxtest.CommandOnly, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{"WASI command", "missing export verdict_predict", "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared", "//go:wasmexport", "-mexec-model=reactor"}},
		// A command's _start is never called: a Go command's exports trap
		// (its runtime never started), a C command's rerun the C
		// constructors on every call. Both are refused, with the rebuild.
		{name: sandboxtest.GoCommand, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{"WASI command", "no _initialize", "Go: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared"}},
		{name: sandboxtest.CCommand, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{"WASI command", "no _initialize", "C: clang --target=wasm32-wasi -mexec-model=reactor"}},
		{name: sandboxtest.MissingExport, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{"missing export verdict_predict(i32,i32,i32,i32,i32)->(i32)", "Go: //go:wasmexport verdict_predict",
				`C: __attribute__((export_name("verdict_predict")))`, `Rust: #[no_mangle] pub extern "C" fn verdict_predict`,
				"AssemblyScript: export function verdict_predict"}},
		{name: sandboxtest.MissingMemory, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{`missing export "memory"`, `export the linear memory as "memory"`}},
		{name: sandboxtest.WrongSignature, want: sandbox.ErrABI, atCompile: true,
			fragments: []string{"verdict_predict has signature (i32,i32)->(i32), want (i32,i32,i32,i32,i32)->(i32)"}},
		{name: sandboxtest.BadAlloc, want: sandbox.ErrABI,
			fragments: []string{"returned 0x7ffffff8", "outside memory"}},
		{name: sandboxtest.AllocNull, want: sandbox.ErrABI,
			fragments: []string{"verdict_alloc(120) for x returned 0"}},
		{name: sandboxtest.MisalignedAlloc, want: sandbox.ErrABI,
			fragments: []string{"returned 0x404, not 8-byte aligned"}},
		{name: sandboxtest.ProcExit, want: sandbox.ErrExit, code: 3,
			fragments: []string{"proc_exit(3) in verdict_predict"}},
		{name: sandboxtest.TableBomb, want: sandbox.ErrMemoryLimit, atCompile: true,
			fragments: []string{"tables declare 100000000 elements, limit is 1048576"}},
		{name: sandboxtest.TableGrow, want: sandbox.ErrGuestCode, code: 5,
			fragments: []string{"error code 5"}},
		{name: sandboxtest.GoPanic, want: sandbox.ErrTrap,
			fragments: []string{"in verdict_predict", "panic: runtime error: index out of range [5] with length 3"}},
	}

	var covered []string
	for _, tc := range tests {
		covered = append(covered, tc.name)
	}
	slices.Sort(covered)
	if all := sandboxtest.Names(); !slices.Equal(covered, all) {
		t.Fatalf("cases cover %v, want every fixture %v", covered, all)
	}

	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: fastLimits})
			slowRT := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: slowLimits})
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					run := rt
					if tc.slow {
						run = slowRT
					}
					res, compileErr, err := runFixture(t, run, mode.iso, tc.name, 2)
					if tc.want == nil {
						if err != nil {
							t.Fatalf("got error %v, want success", err)
						}
						if got, want := len(res.Outputs), 2; got != want {
							t.Fatalf("len(Outputs): got %d, want %d", got, want)
						}
						tc.check(t, res)
						return
					}
					if err == nil {
						t.Fatalf("got success, want %v", tc.want)
					}
					if !errors.Is(err, tc.want) {
						t.Fatalf("got %v, want errors.Is %v", err, tc.want)
					}
					if compileErr != tc.atCompile {
						t.Errorf("refused at compile: got %v, want %v (%v)", compileErr, tc.atCompile, err)
					}
					if (tc.want == sandbox.ErrStackOverflow || tc.want == sandbox.ErrOutOfBounds || tc.want == sandbox.ErrExit) && !errors.Is(err, sandbox.ErrTrap) {
						t.Errorf("got %v, want errors.Is sandbox.ErrTrap too", err)
					}
					if tc.want == sandbox.ErrTimeout && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("got %v, want errors.Is context.DeadlineExceeded", err)
					}
					for _, f := range tc.fragments {
						if !strings.Contains(err.Error(), f) {
							t.Errorf("error %q: want fragment %q", err, f)
						}
					}
					var se *sandbox.Error
					if !errors.As(err, &se) {
						t.Fatalf("got %T, want *sandbox.Error", err)
					}
					if tc.code != 0 && se.Code != tc.code {
						t.Errorf("Code: got %d, want %d", se.Code, tc.code)
					}
					if got, want := sandbox.KindOf(err), se.Kind; got != want || got == "" || got == sandbox.KindInternal {
						t.Errorf("KindOf: got %q, want %q", got, want)
					}
				})
			}

			// The host is healthy after all of that: the same Runtime still scores
			// a good module correctly and no goroutines leaked.
			t.Run("HostHealthy", func(t *testing.T) {
				res, _, err := runFixture(t, rt, mode.iso, sandboxtest.Linear, 3)
				if err != nil {
					t.Fatalf("linear after bad modules: %v", err)
				}
				assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(testCols, 3))
			})
		})
	}
}

func TestErrorText(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: fastLimits})
	_, _, err := runFixture(t, rt, sandbox.InProcess, sandboxtest.OOB, 1)
	if got, want := fmt.Sprint(err), "sandbox: guest trapped: out of bounds memory access in verdict_predict"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := sandbox.KindOf(err), "out_of_bounds"; got != want {
		t.Errorf("KindOf: got %q, want %q", got, want)
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{sandbox.ErrInvalidModule, "invalid_module"},
		{fmt.Errorf("wrapped: %w", sandbox.ErrForbiddenImport), "forbidden_import"},
		{sandbox.ErrABI, "abi"},
		{sandbox.ErrTrap, "trap"},
		{sandbox.ErrTimeout, "timeout"},
		{sandbox.ErrMemoryLimit, "memory_limit"},
		{sandbox.ErrOutputLimit, "output_limit"},
		{sandbox.ErrBadOutput, "bad_output"},
		{sandbox.ErrGuestCode, "guest_error"},
		{context.DeadlineExceeded, "timeout"},
		{context.Canceled, "canceled"},
		{errors.New("disk on fire"), "internal"},
		{&sandbox.Error{Kind: sandbox.KindTrap, Msg: "x"}, "trap"},
		{sandbox.ErrStackOverflow, "stack_overflow"},
		{sandbox.ErrOutOfBounds, "out_of_bounds"},
		{sandbox.ErrExit, "exit"},
		{&sandbox.Error{Kind: sandbox.KindStackOverflow, Msg: "x"}, "stack_overflow"},
	}
	for _, tc := range tests {
		if got := sandbox.KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v): got %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestGoPanicStderr(t *testing.T) {
	_, err := goModule(t, sandboxtest.GoPanic).Run(context.Background(),
		sandbox.Input{Columns: testCols, Outputs: 1})
	var se *sandbox.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want *sandbox.Error", err)
	}
	if !strings.HasPrefix(se.Stderr, "panic: runtime error: index out of range [5] with length 3") {
		t.Errorf("Stderr: got %q, want the Go panic first", se.Stderr)
	}
	if !strings.Contains(se.Stderr, "main.verdictPredict") {
		t.Errorf("Stderr: got %q, want the goroutine trace", se.Stderr)
	}
}

func TestInvalidModules(t *testing.T) {
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	tests := []struct {
		name     string
		wasm     []byte
		limits   sandbox.Limits
		fragment string
	}{
		{"Empty", nil, fastLimits, "not a WebAssembly binary"},
		{"Text", []byte("(module)"), fastLimits, "not a WebAssembly binary"},
		{"ELF", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), fastLimits, "not a WebAssembly binary"},
		{"Truncated", linear[:len(linear)/2], fastLimits, "unexpected end of data"},
		{"SectionIDOnly", linear[:9], fastLimits, "unexpected end of data"},
		{"Component", []byte("\x00asm\x0d\x00\x01\x00"), fastLimits, "component"},
		{"Version2", []byte("\x00asm\x02\x00\x00\x00"), fastLimits, "unsupported binary version 2"},
		{"TooBig", linear, sandbox.Limits{MaxModuleBytes: 100}, fmt.Sprintf("module is %d bytes, limit is 100 bytes", len(linear))},
		{"BadCode", corruptCode(linear), fastLimits, "invalid module"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Limits: tc.limits})
			m, err := rt.Compile(context.Background(), tc.wasm)
			if err == nil {
				m.Close(context.Background())
				t.Fatal("got success, want ErrInvalidModule")
			}
			if !errors.Is(err, sandbox.ErrInvalidModule) || sandbox.KindOf(err) != "invalid_module" {
				t.Fatalf("got %v (kind %q), want ErrInvalidModule", err, sandbox.KindOf(err))
			}
			if !strings.Contains(err.Error(), tc.fragment) {
				t.Errorf("error %q: want fragment %q", err, tc.fragment)
			}
		})
	}
}

// corruptCode replaces the last byte of the module (the end opcode of the
// last function body) with an invalid opcode.
func corruptCode(b []byte) []byte {
	b = slices.Clone(b)
	b[len(b)-1] = 0xff
	return b
}

func TestInvalidInput(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: sandbox.Limits{MemoryMB: 1}})
	m := compile(t, rt, sandboxtest.Linear)
	tests := []struct {
		name     string
		in       sandbox.Input
		fragment string
	}{
		{"NoColumns", sandbox.Input{Outputs: 1}, "no feature columns"},
		{"NoOutputs", sandbox.Input{Columns: testCols}, "outputs 0"},
		{"Ragged", sandbox.Input{Columns: [][]float64{{1, 2}, {1}}, Outputs: 1}, "column 1 has 1 rows, column 0 has 2"},
		{"NegativeBatch", sandbox.Input{Columns: testCols, Outputs: 1, BatchRows: -1}, "negative batch_rows"},
		{"TooWide", sandbox.Input{Columns: make([][]float64, 70000), Outputs: 1}, "more than half the memory limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Run(context.Background(), tc.in)
			if !errors.Is(err, sandbox.ErrInvalidInput) || !strings.Contains(fmt.Sprint(err), tc.fragment) {
				t.Fatalf("got %v, want ErrInvalidInput containing %q", err, tc.fragment)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	got := sandbox.Limits{}.WithDefaults()
	want := sandbox.Limits{MemoryMB: 256, Timeout: 30 * time.Second, MaxModuleBytes: 64 << 20, OutputBytes: 64 << 10, WriteBytes: 16 << 20, CompileTimeout: 30 * time.Second}
	if got != want {
		t.Errorf("WithDefaults: got %+v, want %+v", got, want)
	}
	if err := (sandbox.Limits{}).Validate(); err != nil {
		t.Errorf("zero Limits: got %v, want valid", err)
	}
	bad := []struct {
		name     string
		l        sandbox.Limits
		fragment string
	}{
		{"MemoryMB", sandbox.Limits{MemoryMB: 4097}, "memory_mb 4097 above 4096"},
		{"Timeout", sandbox.Limits{Timeout: -1}, "negative timeout"},
		{"MaxModuleBytes", sandbox.Limits{MaxModuleBytes: -1}, "negative max_module_bytes"},
		{"OutputBytes", sandbox.Limits{OutputBytes: -1}, "negative output_bytes"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.fragment) {
				t.Fatalf("got %v, want error containing %q", err, tc.fragment)
			}
			if _, err := sandbox.NewRuntime(context.Background(), sandbox.Config{Limits: tc.l}); err == nil {
				t.Errorf("NewRuntime: got success, want error")
			}
		})
	}
}

// randomColumns returns cols x rows of reproducible values.
func randomColumns(cols, rows int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([][]float64, cols)
	for j := range out {
		out[j] = make([]float64, rows)
		for i := range out[j] {
			out[j][i] = rng.NormFloat64() * float64(j+1)
		}
	}
	return out
}

func TestDeterminism(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: sandbox.Limits{MemoryMB: 16}})
	cols := randomColumns(7, 300, 1)
	mods := map[string]*sandbox.Module{
		sandboxtest.Linear:  compile(t, rt, sandboxtest.Linear),
		sandboxtest.CModel:  compile(t, rt, sandboxtest.CModel),
		sandboxtest.GoModel: goModule(t, sandboxtest.GoModel),
	}
	for name, m := range mods {
		t.Run(name, func(t *testing.T) {
			var first [][]float64
			for _, batch := range []int{0, 300, 1, 7, 299, 5000, 0} {
				res, err := m.Run(context.Background(), sandbox.Input{Columns: cols, Outputs: 3, BatchRows: batch})
				if err != nil {
					t.Fatalf("BatchRows %d: %v", batch, err)
				}
				if first == nil {
					first = res.Outputs
					continue
				}
				assertBitEqual(t, res.Outputs, first)
			}
			if name == sandboxtest.Linear {
				assertBitEqual(t, first, sandboxtest.LinearPredict(cols, 3))
			}
		})
	}
}

func TestBatchFitsMemory(t *testing.T) {
	// 1 MiB of memory: x and y may use 512 KiB, so 100 features + 1 output
	// (808 bytes a row) allow at most 648 rows per batch.
	rt := newRuntime(t, sandbox.Config{Limits: sandbox.Limits{MemoryMB: 1}})
	m := compile(t, rt, sandboxtest.Linear)
	cols := randomColumns(100, 2000, 2)
	res, err := m.Run(context.Background(), sandbox.Input{Columns: cols, Outputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.BatchRows < 1 || res.BatchRows > 648 {
		t.Errorf("BatchRows: got %d, want 1..648", res.BatchRows)
	}
	if res.MemoryBytes > 1<<20 {
		t.Errorf("MemoryBytes: got %d, want <= 1 MiB", res.MemoryBytes)
	}
	assertBitEqual(t, res.Outputs, sandboxtest.LinearPredict(cols, 1))
}

func TestZeroRows(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: fastLimits})
	m := compile(t, rt, sandboxtest.Const)
	res, err := m.Run(context.Background(), sandbox.Input{Columns: [][]float64{{}, {}}, Outputs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 2 || len(res.Outputs[0]) != 0 || len(res.Outputs[1]) != 0 {
		t.Errorf("Outputs: got %v, want two empty columns", res.Outputs)
	}
}

func TestCompileCache(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, sandbox.Config{Limits: fastLimits})
	wasm := sandboxtest.Wasm(sandboxtest.Linear)

	const n = 8
	mods := make([]*sandbox.Module, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { mods[i], errs[i] = rt.Compile(ctx, wasm) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Compile %d: %v", i, errs[i])
		}
		if !sandbox.SameCode(mods[0], mods[i]) {
			t.Errorf("Compile %d: got different compiled code, want the cached one", i)
		}
		if mods[i].SHA256 != mods[0].SHA256 || len(mods[i].SHA256) != 64 {
			t.Errorf("SHA256 %d: got %q, want %q", i, mods[i].SHA256, mods[0].SHA256)
		}
	}
	if got := rt.CachedModules(); got != 1 {
		t.Errorf("CachedModules: got %d, want 1", got)
	}
	for _, m := range mods[1:] {
		m.Close(ctx)
		m.Close(ctx) // idempotent: must not drop another handle's reference
	}
	if got := rt.CachedModules(); got != 1 {
		t.Errorf("CachedModules with one handle open: got %d, want 1", got)
	}
	if _, err := mods[0].Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1}); err != nil {
		t.Errorf("Run on the remaining handle: %v", err)
	}
	mods[0].Close(ctx)
	if got := rt.CachedModules(); got != 0 {
		t.Errorf("CachedModules after closing all: got %d, want 0", got)
	}
	if _, err := mods[0].Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Run after Close: got %v, want ErrClosed", err)
	}

	// A failed compilation is not cached.
	bad := sandboxtest.Wasm(sandboxtest.Trap)[:20]
	for range 2 {
		if _, err := rt.Compile(ctx, bad); !errors.Is(err, sandbox.ErrInvalidModule) {
			t.Fatalf("Compile truncated: got %v, want ErrInvalidModule", err)
		}
	}
	if got := rt.CachedModules(); got != 0 {
		t.Errorf("CachedModules after failures: got %d, want 0", got)
	}
}

func TestDiskCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	countFiles := func() int {
		n := 0
		filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	for i := range 2 {
		rt := newRuntime(t, sandbox.Config{CacheDir: dir, Limits: fastLimits})
		m := compile(t, rt, sandboxtest.Const)
		if _, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1}); err != nil {
			t.Fatalf("Run %d: %v", i, err)
		}
		if got := countFiles(); got != 1 {
			t.Errorf("after runtime %d: got %d cache files, want 1", i, got)
		}
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: fastLimits})
	if err != nil {
		t.Fatal(err)
	}
	m := compile(t, rt, sandboxtest.Linear)
	if err := rt.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Run after Runtime.Close: got %v, want ErrClosed", err)
	}
	if _, err := rt.Compile(ctx, sandboxtest.Wasm(sandboxtest.Linear)); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Compile after Close: got %v, want ErrClosed", err)
	}
}

func TestCanceled(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: sandbox.Limits{Timeout: time.Minute}})
	m := compile(t, rt, sandboxtest.LoopPredict)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1})
	if !errors.Is(err, context.Canceled) || errors.Is(err, sandbox.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.Canceled and not a timeout", err)
	}
	if got, want := sandbox.KindOf(err), "canceled"; got != want {
		t.Errorf("KindOf: got %q, want %q", got, want)
	}
}

func TestCallerDeadline(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: sandbox.Limits{Timeout: time.Minute}})
	m := compile(t, rt, sandboxtest.LoopPredict)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1})
	if !errors.Is(err, sandbox.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrTimeout and context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "caller's deadline exceeded in verdict_predict") {
		t.Errorf("error %q: want the caller's deadline named", err)
	}
}

// TestConcurrentRuns hammers one Runtime: goroutines run the same good
// Module with different inputs while others run bad modules.
func TestConcurrentRuns(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { testConcurrentRuns(t, mode.iso) })
	}
}

func testConcurrentRuns(t *testing.T, iso sandbox.Isolation) {
	ctx := context.Background()
	// One worker: Process keeps as many idle children as workers, and the
	// goroutines waiting for them count. slowLimits: eleven children
	// starting at once on a loaded machine must not turn into timeouts.
	rt := newRuntime(t, sandbox.Config{Isolation: iso, Limits: slowLimits, Workers: 1})
	linear := compile(t, rt, sandboxtest.Linear)
	bad := map[string]*sandbox.Module{
		sandboxtest.Trap:      compile(t, rt, sandboxtest.Trap),
		sandboxtest.GrowBomb:  compile(t, rt, sandboxtest.GrowBomb),
		sandboxtest.GuestCode: compile(t, rt, sandboxtest.GuestCode),
	}
	compileGoFixtures() // quiesce the background compilation first
	before := runtime.NumGoroutine()
	workers, runs := 8, 15
	if testing.Short() {
		runs = 3
	}
	errc := make(chan error, workers*runs+len(bad)*runs)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range runs {
				cols := randomColumns(1+w%4, 50+r, uint64(w*1000+r))
				res, err := linear.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1 + r%3, BatchRows: 1 + r*7})
				if err != nil {
					errc <- fmt.Errorf("worker %d run %d: %w", w, r, err)
					continue
				}
				want := sandboxtest.LinearPredict(cols, 1+r%3)
				if !bitEqual(res.Outputs, want) {
					errc <- fmt.Errorf("worker %d run %d: outputs differ from LinearPredict", w, r)
				}
			}
		})
	}
	for name, m := range bad {
		wg.Go(func() {
			for range runs {
				if _, err := m.Run(ctx, sandbox.Input{Columns: testCols, Outputs: 1}); err == nil {
					errc <- fmt.Errorf("%s: got success, want an error", name)
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	// Every instance and its context watcher are gone.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Errorf("goroutines: got %d, want <= %d", got, before)
	}
}

// goModelPredict is what the gomodel fixture computes.
func goModelPredict(cols [][]float64, outs int) [][]float64 {
	rows := len(cols[0])
	out := make([][]float64, outs)
	for k := range out {
		out[k] = make([]float64, rows)
	}
	for i := range rows {
		s := 0.0
		for j := range cols {
			if v := cols[j][i]; !math.IsNaN(v) {
				s += v / float64(j+1)
			}
		}
		if outs == 1 {
			out[0][i] = 1 / (1 + math.Exp(-s))
			continue
		}
		total := 0.0
		for k := range outs {
			out[k][i] = math.Exp(float64(k)*s - float64(outs-1)*math.Abs(s))
			total += out[k][i]
		}
		for k := range outs {
			out[k][i] /= total
		}
	}
	return out
}

func bitEqual(got, want [][]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k := range got {
		if len(got[k]) != len(want[k]) {
			return false
		}
		for i := range got[k] {
			if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
				return false
			}
		}
	}
	return true
}

func assertBitEqual(t *testing.T, got, want [][]float64) {
	t.Helper()
	if !bitEqual(got, want) {
		t.Fatalf("outputs: got %v, want %v (bit for bit)", truncate(got), truncate(want))
	}
}

func assertClose(t *testing.T, got, want [][]float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("outputs: got %d columns, want %d", len(got), len(want))
	}
	for k := range got {
		for i := range got[k] {
			if d := math.Abs(got[k][i] - want[k][i]); !(d <= tol) {
				t.Fatalf("Outputs[%d][%d]: got %v, want %v (±%g)", k, i, got[k][i], want[k][i], tol)
			}
		}
	}
}

func truncate(v [][]float64) [][]float64 {
	out := make([][]float64, len(v))
	for k := range v {
		out[k] = v[k][:min(len(v[k]), 8)]
	}
	return out
}

// TestRecursion checks that unbounded recursion ends in a stack overflow
// trap (wazero's 400 MB ceiling) and that the child's address-space limit
// leaves room for it.
func TestRecursion(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Isolation: sandbox.Process, Limits: sandbox.Limits{Timeout: 20 * time.Second}})
	m := compile(t, rt, sandboxtest.Recursion)
	_, err := m.Run(context.Background(), sandbox.Input{Columns: testCols, Outputs: 1})
	if !errors.Is(err, sandbox.ErrStackOverflow) || !errors.Is(err, sandbox.ErrTrap) || !strings.Contains(err.Error(), "stack overflow in verdict_predict") {
		t.Fatalf("got %v, want a stack overflow trap", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name     string
		c        sandbox.Config
		fragment string
	}{
		{"Isolation", sandbox.Config{Isolation: "vm"}, `isolation "vm"`},
		{"Workers", sandbox.Config{Workers: -1}, "negative workers"},
		{"CompileTimeout", sandbox.Config{Limits: sandbox.Limits{CompileTimeout: -1}}, "negative compile_timeout"},
		{"WriteBytes", sandbox.Config{Limits: sandbox.Limits{WriteBytes: -1}}, "negative write_bytes"},
		{"TrustedCodeUpper", sandbox.Config{TrustedCode: []string{strings.Repeat("AB", 32)}}, "trusted_code \"ABAB"},
		{"TrustedCodeShort", sandbox.Config{TrustedCode: []string{"abcd"}}, "not a SHA-256 in lower-case hex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.Validate(); err == nil || !strings.Contains(err.Error(), tc.fragment) {
				t.Fatalf("got %v, want error containing %q", err, tc.fragment)
			}
		})
	}
	if err := (sandbox.Config{Isolation: sandbox.Process, Workers: 3}).Validate(); err != nil {
		t.Errorf("Process config: got %v, want valid", err)
	}
}

// TestRelativeCacheDir: a relative CacheDir names a directory under the
// working directory the Runtime was made in, in both isolation modes. The
// children run in "/", so before the path was resolved they compiled into
// /cache (and, for anyone but root, failed with permission denied).
func TestRelativeCacheDir(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			iso := mode.iso
			wd := t.TempDir()
			t.Chdir(wd)
			rel := filepath.Join("verdict-test-rel", mode.name, "cache")
			rt := newRuntime(t, sandbox.Config{CacheDir: rel, Isolation: iso, Limits: fastLimits})
			if got, want := rt.CacheDir(), filepath.Join(wd, rel); iso == sandbox.Process && got != want {
				t.Errorf("CacheDir: got %q, want %q", got, want)
			}
			m := compile(t, rt, sandboxtest.Const)
			if _, err := m.Run(context.Background(), sandbox.Input{Columns: testCols, Outputs: 1}); err != nil {
				t.Fatalf("Run: %v", err)
			}
			n := 0
			filepath.WalkDir(filepath.Join(wd, rel), func(_ string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					n++
				}
				return nil
			})
			if n == 0 {
				t.Errorf("no compiled module under %s", filepath.Join(wd, rel))
			}
			if _, err := os.Stat(filepath.Join("/", rel)); err == nil {
				t.Errorf("the cache went to /%s", rel)
			}
		})
	}
}

// TestProbeFixture: the probe outputs feature 1 on the rows whose feature 0
// is 1 and 1/outs elsewhere, the row-picking model the leak tests submit.
func TestProbeFixture(t *testing.T) {
	rt := newRuntime(t, sandbox.Config{Limits: fastLimits})
	m := compile(t, rt, sandboxtest.Probe)
	res, err := m.Run(context.Background(), sandbox.Input{Columns: [][]float64{{0, 1, 0, 1}, {9, 1.5, 9, -2}}, Outputs: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1.0 / 3, 1.5, 1.0 / 3, -2}
	assertBitEqual(t, res.Outputs, [][]float64{want, want, want})
}
