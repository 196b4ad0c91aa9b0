package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Config configures a Runtime. The zero value is valid.
type Config struct {
	// CacheDir holds wazero's on-disk compilation cache, shared by
	// processes and restarts. Empty means compile in memory only
	// (InProcess) or in a private temporary directory removed by Close
	// (Process, whose children share compiled code through it). A
	// relative path is resolved against the working directory when the
	// Runtime is made.
	CacheDir string `json:"cache_dir,omitempty" yaml:"cache_dir,omitempty"`
	// CacheMaxBytes bounds the compilation cache on disk: after each
	// compilation the least recently used entries are removed until it
	// holds at most this many bytes (the entries of the module just
	// compiled are kept). Zero means DefaultCacheMaxBytes, negative no
	// bound.
	CacheMaxBytes int64 `json:"cache_max_bytes,omitempty" yaml:"cache_max_bytes,omitempty"`
	// Limits bound every module run by the Runtime.
	Limits Limits `json:"limits,omitempty" yaml:"limits,omitempty"`
	// Isolation chooses where guests run: InProcess (the default) or
	// Process (a pool of supervised child processes). See doc.go for when
	// to pick which.
	Isolation Isolation `json:"isolation,omitempty" yaml:"isolation,omitempty"`
	// ChildCommand is the command Process isolation starts, which must end
	// up calling ServeChild; empty means this executable with the argument
	// ChildArg (os.Executable(), ChildArg).
	ChildCommand []string `json:"child_command,omitempty" yaml:"child_command,omitempty"`
	// Workers is the number of guest instances one Run may use in parallel,
	// each on its own contiguous range of rows (at least MinRowsPerWorker
	// rows each); 0 means runtime.GOMAXPROCS(0). Each instance gets the full
	// Limits.MemoryMB. In Process isolation it is also the number of idle
	// children kept.
	Workers int `json:"workers,omitempty" yaml:"workers,omitempty"`
	// TrustedCode lists the SHA-256 (hex) of module code the host ships
	// itself (verdict's ONNX runtime): a module whose bytes, without its
	// ModelSection, hash to one of them compiles under
	// TrustedCompileTimeout instead of Limits.CompileTimeout, because its
	// one slow compilation (cached after) is the host's, not the
	// participant's. Every other module keeps the participant's limit.
	TrustedCode []string `json:"trusted_code,omitempty" yaml:"trusted_code,omitempty"`
}

// TrustedCompileTimeout bounds the compilation of Config.TrustedCode.
const TrustedCompileTimeout = 10 * time.Minute

// Validate reports invalid fields.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, c.Limits.Validate())
	switch c.Isolation {
	case InProcess, Process:
	default:
		errs = append(errs, fmt.Errorf("sandbox: config: isolation %q, want %q or %q", c.Isolation, InProcess, Process))
	}
	if c.Isolation == Process && !processSupported {
		errs = append(errs, fmt.Errorf("sandbox: config: isolation %q is not supported on %s", Process, goos))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("sandbox: config: negative workers %d", c.Workers))
	}
	for _, sha := range c.TrustedCode {
		// A SHA-256 in another spelling would never match, silently.
		if b, err := hex.DecodeString(sha); err != nil || len(b) != sha256.Size || hex.EncodeToString(b) != sha {
			errs = append(errs, fmt.Errorf("sandbox: config: trusted_code %q is not a SHA-256 in lower-case hex (64 digits)", sha))
		}
	}
	return errors.Join(errs...)
}

// Runtime compiles and runs participant modules. It is safe for concurrent
// use. Close it to release compiled code.
type Runtime struct {
	wz      wazero.Runtime
	cache   wazero.CompilationCache           // nil without CacheDir
	disk    *diskCache                        // trims the cache on disk; nil if none or unbounded
	wasi    map[string]api.FunctionDefinition // provided WASI functions
	limits  Limits
	workers int
	opts    runtimeOptions
	// memories holds zeroed linear memories of finished Guest ABI v2
	// instances for the next ones (see memoryAllocator).
	memories chan []byte

	// Process isolation only.
	process  bool
	childCmd []string
	cacheDir string // shared with the children
	ownCache bool   // cacheDir is a temporary directory removed by Close
	pool     *childPool

	mu      sync.Mutex
	closed  bool
	modules map[string]*compiled // by SHA-256, while referenced

	// compiling counts the compilations compileBounded left running past
	// their deadline: Close waits for them, since wazero's engine must not
	// be closed under a compilation (it panics, taking the host down).
	compiling sync.WaitGroup
	// trusted is Config.TrustedCode as a set.
	trusted map[string]bool
}

// compiled is one compiled module shared by every Module handle with the
// same SHA-256.
type compiled struct {
	sha  string
	size int
	done chan struct{} // closed when code or err is set

	code  wazero.CompiledModule // InProcess
	wasm  *os.File              // Process: the module bytes, a sealed memfd
	model []byte                // InProcess: the ModelSection payload, if any
	abi   guestABI
	err   error

	refs int // guarded by Runtime.mu
}

// NewRuntime validates c, starts a wazero runtime with the limits of c and
// instantiates WASI in it.
func NewRuntime(ctx context.Context, c Config) (*Runtime, error) {
	return newRuntime(ctx, c, runtimeOptions{})
}

// runtimeOptions are the internal knobs of a Runtime.
type runtimeOptions struct {
	// interpreter selects wazero's interpreter (tests use it for big
	// modules under the race detector); in Process mode it is passed on to
	// the children.
	interpreter bool
	// noTermination compiles without termination checks: only for the
	// child of Process isolation, which is killed at the deadline instead.
	noTermination bool
}

func (o runtimeOptions) config() wazero.RuntimeConfig {
	if o.interpreter {
		return wazero.NewRuntimeConfigInterpreter()
	}
	return wazero.NewRuntimeConfig()
}

func newRuntime(ctx context.Context, c Config, o runtimeOptions) (*Runtime, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.CacheDir != "" {
		// Resolved here, once: the children run in "/", so a relative
		// directory would name another place there (and be unwritable for
		// anyone but root).
		abs, err := filepath.Abs(c.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("sandbox: resolve compilation cache %q: %w", c.CacheDir, err)
		}
		c.CacheDir = abs
	}
	r := &Runtime{limits: c.Limits.WithDefaults(), modules: make(map[string]*compiled), opts: o}
	for _, sha := range c.TrustedCode {
		if r.trusted == nil {
			r.trusted = make(map[string]bool, len(c.TrustedCode))
		}
		r.trusted[sha] = true
	}
	r.workers = c.Workers
	if r.workers == 0 {
		r.workers = runtime.GOMAXPROCS(0)
	}
	r.memories = make(chan []byte, r.workers)
	rc := o.config()
	if c.Isolation == Process {
		// The parent never compiles guest code: its wazero runtime only
		// describes the WASI functions the children provide.
		if err := r.startProcess(c); err != nil {
			return nil, err
		}
		rc = wazero.NewRuntimeConfigInterpreter()
	} else {
		// Leave wazero's page limit at the wasm32 maximum: the sandbox
		// enforces Limits.MemoryMB itself (memory.go), because wazero refuses
		// a grow past its limit before any hook sees it, and the sandbox
		// must tell a refused grow from an ordinary trap.
		rc = rc.WithCloseOnContextDone(!o.noTermination).WithMemoryLimitPages(wasmMaxPages)
		if c.CacheDir != "" {
			cache, err := wazero.NewCompilationCacheWithDir(c.CacheDir)
			if err != nil {
				return nil, fmt.Errorf("sandbox: open compilation cache %q: %w", c.CacheDir, err)
			}
			r.cache = cache
			rc = rc.WithCompilationCache(cache)
		}
	}
	if !o.noTermination { // a Process child leaves the cache to its parent
		dir := c.CacheDir
		if r.process {
			dir = r.cacheDir
		}
		r.disk = newDiskCache(dir, c.CacheMaxBytes)
	}
	r.wz = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.wz); err != nil {
		_ = r.Close(ctx)
		return nil, fmt.Errorf("sandbox: instantiate wasi: %w", err)
	}
	r.wasi = r.wz.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()
	return r, nil
}

// Limits returns the Runtime's limits, defaults applied.
func (r *Runtime) Limits() Limits { return r.limits }

// Close releases every compiled module and instance. Runs in progress fail.
// A compilation stopped by its time limit (InProcess) is waited for: wazero
// cannot interrupt one, nor be closed under one.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.modules = map[string]*compiled{}
	r.mu.Unlock()
	if r.pool != nil {
		r.pool.close()
	}
	r.compiling.Wait()
	var err error
	if r.wz != nil {
		err = r.wz.Close(ctx)
	}
	if r.cache != nil {
		err = errors.Join(err, r.cache.Close(ctx))
	}
	if r.ownCache {
		err = errors.Join(err, os.RemoveAll(r.cacheDir))
	}
	return err
}

// Compile checks wasm against the limits and the Guest ABI (v1 or v2) and compiles it,
// without running any guest code. A module is compiled once per SHA-256
// while some Module handle to it is open (and once per wazero version with
// Config.CacheDir); concurrent Compiles of the same bytes wait for one
// compilation. Each returned Module must be closed. Compile keeps no
// reference to wasm: the caller may reuse it once Compile returns.
func (r *Runtime) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	if max := r.limits.MaxModuleBytes; int64(len(wasm)) > max {
		return nil, &Error{Kind: KindInvalidModule, Msg: fmt.Sprintf(
			"invalid module: module is %d bytes, limit is %d bytes (%s)", len(wasm), max, formatBytes(uint64(max)))}
	}
	sum := sha256.Sum256(wasm)
	sha := hex.EncodeToString(sum[:])

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("compile module %s: %w", sha, ErrClosed)
	}
	c, found := r.modules[sha]
	if !found {
		c = &compiled{sha: sha, size: len(wasm), done: make(chan struct{})}
		r.modules[sha] = c
	}
	c.refs++
	r.mu.Unlock()

	if !found {
		start := time.Now()
		limit := r.compileLimit(wasm)
		if r.process {
			c.wasm, c.abi, c.err = r.compileProcess(ctx, sha, wasm, limit)
		} else {
			var code []byte
			code, c.model, c.err = splitModel(wasm)
			// The model is a slice of the caller's bytes, which the
			// caller may reuse once Compile returns: keep a copy (and
			// not the whole module).
			c.model = bytes.Clone(c.model)
			if c.err != nil {
				c.err = &Error{Kind: KindInvalidModule, Msg: "invalid module: " + c.err.Error(), err: c.err}
			} else {
				c.code, c.abi, c.err = r.compileBounded(ctx, code, limit)
			}
			if c.err == nil && c.model != nil {
				if c.err = checkModelExport(c.code); c.err != nil {
					_ = c.code.Close(ctx)
					c.code = nil
				}
			}
		}
		if c.err != nil {
			r.mu.Lock()
			if r.modules[sha] == c {
				delete(r.modules, sha)
			}
			r.mu.Unlock()
		}
		close(c.done)
		if c.err == nil {
			r.disk.used(sha, start)
		}
	} else {
		select {
		case <-c.done:
		case <-ctx.Done():
			r.release(c)
			return nil, fmt.Errorf("compile module %s: %w", sha, ctx.Err())
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return &Module{SHA256: sha, Size: c.size, rt: r, c: c}, nil
}

// release drops one reference to c and closes its code with the last one.
func (r *Runtime) release(c *compiled) {
	r.mu.Lock()
	c.refs--
	last := c.refs == 0 && c.err == nil && r.modules[c.sha] == c
	if last {
		delete(r.modules, c.sha)
	}
	r.mu.Unlock()
	if last && c.code != nil {
		_ = c.code.Close(context.Background())
	}
	if last && c.wasm != nil {
		_ = c.wasm.Close()
	}
}

// compileLimit is the time wasm may take to compile: TrustedCompileTimeout
// for the host's own code (Config.TrustedCode), else
// Limits.CompileTimeout.
func (r *Runtime) compileLimit(wasm []byte) time.Duration {
	if len(r.trusted) > 0 {
		if code, _, err := splitModel(wasm); err == nil {
			sum := sha256.Sum256(code)
			if r.trusted[hex.EncodeToString(sum[:])] {
				return max(TrustedCompileTimeout, r.limits.CompileTimeout)
			}
		}
	}
	return r.limits.CompileTimeout
}

// compileBounded is compile under limit (see compileLimit) and ctx. wazero
// cannot interrupt a compilation: at the deadline compileBounded returns
// a timeout and leaves the compilation to finish in the background, then
// closes what it made. The child of Process isolation compiles without
// bound (noTermination): its parent kills it at the deadline instead.
func (r *Runtime) compileBounded(ctx context.Context, wasm []byte, limit time.Duration) (wazero.CompiledModule, guestABI, error) {
	if r.opts.noTermination {
		return r.compile(ctx, wasm)
	}
	cctx, cancel := context.WithTimeoutCause(ctx, limit, errTimeLimit)
	defer cancel()
	type result struct {
		code wazero.CompiledModule
		abi  guestABI
		err  error
	}
	done := make(chan result, 1)
	r.compiling.Add(1)
	go func() {
		var res result
		res.code, res.abi, res.err = r.compile(context.WithoutCancel(cctx), wasm)
		done <- res
	}()
	select {
	case res := <-done:
		r.compiling.Done()
		return res.code, res.abi, res.err
	case <-cctx.Done():
		go func() {
			defer r.compiling.Done()
			if res := <-done; res.code != nil {
				_ = res.code.Close(context.Background())
			}
		}()
		return nil, guestABI{}, compileDeadline(ctx, cctx, limit, cctx.Err())
	}
}

// compileDeadline describes a Compile stopped by its time limit or by the
// caller's context.
func compileDeadline(parent, cctx context.Context, limit time.Duration, cause error) error {
	switch {
	case context.Cause(cctx) == errTimeLimit:
		return &Error{Kind: KindTimeout, err: cause, Msg: fmt.Sprintf("time limit of %v exceeded in compile", limit)}
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, err: cause, Msg: "caller's deadline exceeded in compile"}
	}
	return &Error{Kind: KindCanceled, err: cause, Msg: "compile canceled"}
}

// compile runs the checks in order: structure and imports (pre-decoder),
// declared memory, wazero decode/validate/compile, exports.
func (r *Runtime) compile(ctx context.Context, wasm []byte) (wazero.CompiledModule, guestABI, error) {
	bin, err := r.precheck(wasm)
	if err != nil {
		return nil, guestABI{}, err
	}
	code, err := r.wz.CompileModule(ctx, bin)
	if err != nil {
		return nil, guestABI{}, &Error{Kind: KindInvalidModule, Msg: "invalid module: " + firstLine(err.Error()), err: err}
	}
	abi, err := r.checkExports(code)
	if err == nil {
		err = r.checkImportSignatures(code)
	}
	if err != nil {
		_ = code.Close(ctx)
		return nil, guestABI{}, err
	}
	return code, abi, nil
}

// precheck runs the pre-decoder's checks (structure, imports, declared
// memory and tables) and returns the binary to compile, tables capped.
func (r *Runtime) precheck(wasm []byte) ([]byte, error) {
	info, bin, err := scanModule(wasm, MaxTableElements)
	if err != nil {
		var tl *tableLimitError
		if errors.As(err, &tl) {
			return nil, &Error{Kind: KindMemoryLimit, Msg: "memory limit exceeded: " + err.Error(), err: err}
		}
		return nil, &Error{Kind: KindInvalidModule, Msg: "invalid module: " + err.Error(), err: err}
	}
	if err := r.checkImports(info.imports); err != nil {
		return nil, err
	}
	limit := r.limits.memoryBytes()
	for _, m := range info.memories {
		if m.min*wasmPageBytes > limit {
			return nil, &Error{Kind: KindMemoryLimit, Msg: fmt.Sprintf(
				"memory limit exceeded: module declares %s of initial memory (%d pages), limit is %s",
				formatBytes(m.min*wasmPageBytes), m.min, formatBytes(limit))}
		}
	}
	return bin, nil
}

// checkImports refuses, naming all of them, imports that are not
// wasi_snapshot_preview1 functions provided by the host with the same
// signature.
func (r *Runtime) checkImports(imports []importDesc) error {
	wasi := r.wasi
	var bad []string
	for _, d := range imports {
		switch {
		case d.module != wasi_snapshot_preview1.ModuleName || d.kind != 0:
			bad = append(bad, d.String())
		case wasi[d.name] == nil:
			bad = append(bad, d.String()+": not a WASI preview 1 function")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &Error{Kind: KindForbiddenImport, Msg: fmt.Sprintf(
		"forbidden imports: %s; only %s functions may be imported (no network, files or host extensions)",
		strings.Join(bad, ", "), wasi_snapshot_preview1.ModuleName)}
}

// checkImportSignatures refuses WASI imports whose signature differs from
// the host's (wazero would refuse them only at instantiation).
func (r *Runtime) checkImportSignatures(code wazero.CompiledModule) error {
	wasi := r.wasi
	var bad []string
	for _, def := range code.ImportedFunctions() {
		_, name, _ := def.Import()
		host := wasi[name]
		if host == nil {
			continue // checkImports already refused it
		}
		got := signature{def.ParamTypes(), def.ResultTypes()}
		if want := (signature{host.ParamTypes(), host.ResultTypes()}); !got.equal(want) {
			bad = append(bad, fmt.Sprintf("%s.%s (function): signature %s, want %s",
				wasi_snapshot_preview1.ModuleName, name, got, want))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &Error{Kind: KindForbiddenImport, Msg: "forbidden imports: " + strings.Join(bad, ", ")}
}

var (
	i32        = api.ValueTypeI32
	sigAlloc   = signature{[]api.ValueType{i32}, []api.ValueType{i32}}
	sigPredict = signature{[]api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}}
	// sigPredictV2 is verdict_predict_v2(x, rows, cols, stride, y, outs) -> code.
	sigPredictV2 = signature{[]api.ValueType{i32, i32, i32, i32, i32, i32}, []api.ValueType{i32}}
	sigInit      = signature{}
	reactorHint  = "build a WASI reactor that exports verdict_alloc and verdict_predict: " +
		"Go: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared with //go:wasmexport functions; " +
		"C: clang --target=wasm32-wasi -mexec-model=reactor with __attribute__((export_name(...))); " +
		`Rust: a crate-type = ["cdylib"] library for wasm32-wasip1`
	memoryHint = `export the linear memory as "memory" (what Go, clang, Rust and AssemblyScript do unless told otherwise; WAT: (memory (export "memory") 1))`
)

// exportHint says how to export the function name in each guest language.
func exportHint(name string) string {
	return fmt.Sprintf("export %[1]s by name: Go: //go:wasmexport %[1]s above the func; "+
		`C: __attribute__((export_name("%[1]s"))) on the definition; `+
		`Rust: #[no_mangle] pub extern "C" fn %[1]s (#[unsafe(no_mangle)] in edition 2024); `+
		"AssemblyScript: export function %[1]s from the entry file", name)
}

type signature struct{ params, results []api.ValueType }

func (s signature) String() string {
	name := func(ts []api.ValueType) string {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(names, ",") + ")"
	}
	return name(s.params) + "->" + name(s.results)
}

// guestABI is what checkExports learned of a module's exports.
type guestABI struct {
	hasInit bool // exports _initialize
	v2      bool // exports verdict_predict_v2 (Guest ABI v2)
}

// checkExports checks the exports of Guest ABI v1 or v2 and their exact
// signatures: memory, verdict_alloc, and verdict_predict_v2 or
// verdict_predict (both may be exported; the host then uses v2).
func (r *Runtime) checkExports(code wazero.CompiledModule) (guestABI, error) {
	funcs := code.ExportedFunctions()
	_, hasStart := funcs["_start"]
	var problems, hints []string
	if _, ok := code.ExportedMemories()["memory"]; !ok {
		problems = append(problems, `missing export "memory"`)
		hints = append(hints, memoryHint)
	}
	_, v2 := funcs["verdict_predict_v2"]
	want := []struct {
		name     string
		sig      signature
		optional bool
	}{{"verdict_alloc", sigAlloc, false}, {"verdict_predict", sigPredict, v2}, {"verdict_predict_v2", sigPredictV2, true}}
	for _, w := range want {
		def, ok := funcs[w.name]
		if !ok {
			if !w.optional {
				problems = append(problems, fmt.Sprintf("missing export %s%s", w.name, w.sig))
				hints = append(hints, exportHint(w.name))
			}
			continue
		}
		if got := (signature{def.ParamTypes(), def.ResultTypes()}); !got.equal(w.sig) {
			problems = append(problems, fmt.Sprintf("%s has signature %s, want %s", w.name, got, w.sig))
		}
	}
	init, hasInit := funcs["_initialize"]
	if hasInit {
		if got := (signature{init.ParamTypes(), init.ResultTypes()}); !got.equal(sigInit) {
			problems = append(problems, fmt.Sprintf("_initialize has signature %s, want ()->()", got))
		}
	}
	if hasStart && !hasInit {
		// _start is never called, so a Go command's exports trap (its
		// runtime never started) and a C command's run its constructors
		// and destructors around every call (wasm-ld's export wrappers).
		msg := "abi: module is a WASI command (exports _start, no _initialize), not a reactor: " +
			"verdict never calls _start, so a Go runtime or C constructors would not be initialized"
		if len(problems) > 0 {
			msg += "; " + strings.Join(problems, "; ")
		}
		return guestABI{}, &Error{Kind: KindABI, Msg: msg + "; " + reactorHint}
	}
	if len(problems) == 0 {
		return guestABI{hasInit: hasInit, v2: v2}, nil
	}
	msg := "abi: " + strings.Join(append(problems, hints...), "; ")
	return guestABI{}, &Error{Kind: KindABI, Msg: msg}
}

func (s signature) equal(o signature) bool {
	return slices.Equal(s.params, o.params) && slices.Equal(s.results, o.results)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// formatBytes renders n in binary units, e.g. "256 MiB", "1.5 KiB".
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	suffix := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
	if n%div == 0 {
		return fmt.Sprintf("%d %s", n/div, suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
