package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ServeChild is the child side of Process isolation. The hidden ChildArg
// subcommand calls it with the process's stdin and stdout, then exits
// (with status 1 if it returns an error): the exit is what stops guest
// instances that are still running. It reads one request, sets the OS
// limits (no new privileges, address space, CPU time, open files, file
// size, no core dumps), compiles the module from fd 3 through the shared
// cache without termination checks, runs it if asked on the features
// mapped from fd 4 into the outputs mapped from fd 5, and writes one
// response. Guest errors are part of the response; an error return means
// the parent broke the protocol or the host failed.
func ServeChild(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	body, err := io.ReadAll(io.LimitReader(stdin, maxRequestBytes+1))
	if err != nil {
		return fmt.Errorf("sandbox child: read request: %w", err)
	}
	if len(body) > maxRequestBytes {
		return errors.New("sandbox child: request too large")
	}
	req, err := decodeRequest(body)
	if err != nil {
		return fmt.Errorf("sandbox child: %w", err)
	}
	if err := applyOSLimits(req); err != nil {
		return fmt.Errorf("sandbox child: %w", err)
	}
	resp := serve(ctx, req)
	b, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("sandbox child: encode response: %w", err)
	}
	if _, err := stdout.Write(b); err != nil {
		return fmt.Errorf("sandbox child: write response: %w", err)
	}
	return nil
}

func applyOSLimits(req childRequest) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl no_new_privs: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl dumpable: %w", err)
	}
	limits := []struct {
		name     string
		resource int
		soft     uint64
		hard     uint64
	}{
		{"core", unix.RLIMIT_CORE, 0, 0},
		{"nofile", unix.RLIMIT_NOFILE, 64, 64},
		// SIGXCPU at the soft limit, SIGKILL a second later.
		{"cpu", unix.RLIMIT_CPU, req.CPUSeconds, req.CPUSeconds + 1},
		// The compilation cache's files are at most a few times the module.
		{"fsize", unix.RLIMIT_FSIZE, 64<<20 + 16*uint64(req.Limits.MaxModuleBytes), 64<<20 + 16*uint64(req.Limits.MaxModuleBytes)},
	}
	if !raceEnabled && req.AddressSpace > 0 {
		limits = append(limits, struct {
			name     string
			resource int
			soft     uint64
			hard     uint64
		}{"as", unix.RLIMIT_AS, req.AddressSpace, req.AddressSpace})
	}
	for _, l := range limits {
		var cur unix.Rlimit
		if err := unix.Getrlimit(l.resource, &cur); err != nil {
			return fmt.Errorf("getrlimit %s: %w", l.name, err)
		}
		// Only ever lower a limit.
		lim := unix.Rlimit{Cur: min(l.soft, cur.Max), Max: min(l.hard, cur.Max)}
		if err := unix.Setrlimit(l.resource, &lim); err != nil {
			return fmt.Errorf("setrlimit %s: %w", l.name, err)
		}
	}
	return nil
}

// serve compiles and maybe runs; every problem goes into the response.
func serve(ctx context.Context, req childRequest) *childResponse {
	resp := &childResponse{}
	fail := func(err error) *childResponse {
		resp.Error = toWire(err)
		return resp
	}
	module := os.NewFile(3, "module")
	if module == nil {
		return fail(errors.New("no module file (fd 3)"))
	}
	wasm := make([]byte, req.ModuleBytes)
	if _, err := module.ReadAt(wasm, 0); err != nil && !(errors.Is(err, io.EOF) && req.ModuleBytes == 0) {
		return fail(fmt.Errorf("read module: %w", err))
	}
	rt, err := newRuntime(ctx, Config{CacheDir: req.CacheDir, Limits: req.Limits, Workers: req.Workers},
		runtimeOptions{interpreter: req.Interpreter, noTermination: true})
	if err != nil {
		return fail(err)
	}
	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		_ = rt.Close(ctx)
		return fail(err)
	}
	resp.HasInit = m.c.hasInit
	if req.Op == opCompile {
		_ = rt.Close(ctx) // the cache is written: nothing else to keep
		return resp
	}

	featSize, outSize := 8*req.Rows*req.Cols, outputsHeader+8*req.Outputs*req.Rows
	// MAP_POPULATE: one bulk fault-in of the page cache instead of one
	// fault per page while copying.
	feats, err := mapFile(4, featSize, unix.PROT_READ, unix.MAP_POPULATE)
	if err != nil {
		return fail(fmt.Errorf("map features: %w", err))
	}
	out, err := mapFile(5, outSize, unix.PROT_READ|unix.PROT_WRITE, 0)
	if err != nil {
		return fail(fmt.Errorf("map outputs: %w", err))
	}
	cols := make([][]float64, req.Cols)
	for j := range cols {
		cols[j] = floatView(feats, 8*j*req.Rows, req.Rows)
	}
	res := &Result{Outputs: make([][]float64, req.Outputs)}
	for k := range res.Outputs {
		res.Outputs[k] = floatView(out, outputsHeader+8*k*req.Rows, req.Rows)
	}
	progress := unsafe.Slice((*uint32)(unsafe.Pointer(&out[0])), maxWorkers)
	phase := func(w int, fn string) { atomic.StoreUint32(&progress[w], phaseCode(fn)) }

	runCtx, cancel := context.WithTimeoutCause(ctx, req.Limits.Timeout, errTimeLimit)
	defer cancel()
	if err := m.execute(runCtx, ctx, cols, req.Batch, res, req.Workers, phase, false); err != nil {
		return fail(err)
	}
	resp.Stdout, resp.StdoutDropped = res.Stdout, res.StdoutDropped
	resp.Stderr, resp.StderrDropped = res.Stderr, res.StderrDropped
	resp.MemoryBytes = res.MemoryBytes
	return resp
}

// mapFile maps size bytes of the inherited file descriptor fd, checking
// that the file is at least that long.
func mapFile(fd, size, prot, flags int) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Size < int64(size) {
		return nil, fmt.Errorf("file is %d bytes, want %d", st.Size, size)
	}
	if size == 0 {
		return nil, nil
	}
	return unix.Mmap(fd, 0, size, prot, unix.MAP_SHARED|flags)
}

// floatView views n float64s of b from byte offset off.
func floatView(b []byte, off, n int) []float64 {
	if n == 0 {
		return []float64{}
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&b[off])), n)
}
