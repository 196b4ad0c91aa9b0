package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ServeChild is the child side of Process isolation. The hidden ChildArg
// subcommand calls it and then exits (with status 1 if it returns an
// error): the exit is what stops guest instances that are still running.
// It serves requests from the Unix socket at fd 3, one at a time, until
// the parent closes it or a run fails. On the first request it sets the OS
// limits (no new privileges, not dumpable, no core dumps, open files, file
// size, a lifetime CPU budget), before each the address-space limit; it
// compiles modules from their memfd through the shared cache without
// termination checks and keeps the last few, keeps the last features
// mapped, and runs instances on the mapped features into the mapped
// outputs file. Guest errors are part of the response; an error return
// means the parent broke the protocol or the host failed.
func ServeChild(ctx context.Context) error {
	f := os.NewFile(3, "sandbox-socket")
	if f == nil {
		return errors.New("sandbox child: no socket at fd 3")
	}
	fc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("sandbox child: socket at fd 3: %w", err)
	}
	conn, ok := fc.(*net.UnixConn)
	if !ok {
		fc.Close()
		return errors.New("sandbox child: fd 3 is not a Unix socket")
	}
	defer conn.Close()
	s := &childServer{modules: map[string]*Module{}}
	defer s.close(ctx)
	for {
		body, files, err := readFrameFiles(conn, maxRequestBytes, maxFrameFiles)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sandbox child: %w", err)
		}
		resp, err := s.handle(ctx, body, files)
		for _, f := range files {
			f.Close()
		}
		if err != nil {
			return fmt.Errorf("sandbox child: %w", err)
		}
		resp.CPUMillis = cpuMillis()
		b, err := json.Marshal(resp)
		if err != nil {
			return fmt.Errorf("sandbox child: encode response: %w", err)
		}
		if err := writeFrame(conn, b, nil); err != nil {
			return fmt.Errorf("sandbox child: write response: %w", err)
		}
		if resp.Error != nil && resp.run && !resp.Settled {
			return nil // instances of the failed run are still running
		}
	}
}

// childModules is how many compiled modules a child keeps.
const childModules = 8

// childLinger is how long a child whose run failed waits for the run's
// other instances to stop (at their next batch) before it answers: if
// they all have, it can serve the next request.
const childLinger = 100 * time.Millisecond

// childServer is the state a child keeps between requests.
type childServer struct {
	first *childRequest // the first request: later ones must agree with it
	rt    *Runtime
	// modules holds compiled modules by SHA-256; order is least recently
	// used first.
	modules map[string]*Module
	order   []string
	// feats is the features file mapped last, by Features id; out the
	// outputs file, by its id.
	feats, out struct {
		id   uint64
		data []byte
	}
}

func (s *childServer) close(ctx context.Context) {
	for _, m := range s.modules {
		_ = m.Close(ctx)
	}
	if s.rt != nil {
		_ = s.rt.Close(ctx)
	}
	if s.feats.data != nil {
		_ = unix.Munmap(s.feats.data)
	}
	if s.out.data != nil {
		_ = unix.Munmap(s.out.data)
	}
}

// outputs maps the outputs file of req, or returns the mapping kept from
// an earlier run on the same file.
func (s *childServer) outputs(req childRequest, file *os.File) ([]byte, error) {
	size := outputsHeader + 8*req.Outputs*req.Rows
	if req.OutputsFile != 0 && req.OutputsFile == s.out.id && len(s.out.data) >= size {
		return s.out.data[:size], nil
	}
	if s.out.data != nil {
		if err := unix.Munmap(s.out.data); err != nil {
			return nil, fmt.Errorf("unmap outputs: %w", err)
		}
		s.out.id, s.out.data = 0, nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(file.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Size < int64(size) || st.Size > math.MaxInt {
		return nil, fmt.Errorf("outputs file is %d bytes, want %d", st.Size, size)
	}
	data, err := mapFile(int(file.Fd()), int(st.Size), unix.PROT_READ|unix.PROT_WRITE, 0)
	if err != nil {
		return nil, fmt.Errorf("map outputs: %w", err)
	}
	s.out.id, s.out.data = req.OutputsFile, data
	return data[:size], nil
}

// handle decodes and checks one request, sets the OS limits and serves
// it.
func (s *childServer) handle(ctx context.Context, body []byte, files []*os.File) (*childResponse, error) {
	req, err := decodeRequest(body)
	if err != nil {
		return nil, err
	}
	if want := map[string]int{opCompile: 1, opRun: 3}[req.Op]; len(files) != want {
		return nil, fmt.Errorf("%s request with %d files, want %d", req.Op, len(files), want)
	}
	if s.first == nil {
		if err := applyOSLimits(req); err != nil {
			return nil, err
		}
		s.first = &req
	} else if !sameRuntime(req, *s.first) {
		return nil, errors.New("request for another runtime (cache, limits or engine differ)")
	}
	if !raceEnabled && req.AddressSpace > 0 {
		// Compiled code of the modules kept is a few times their size; the
		// mappings kept from earlier runs count until they are replaced.
		as := req.AddressSpace + uint64(len(s.feats.data)+len(s.out.data))
		for _, m := range s.modules {
			as += 16 * uint64(m.Size)
		}
		if err := setrlimit("as", unix.RLIMIT_AS, as, unix.RLIM_INFINITY); err != nil {
			return nil, err
		}
	}
	resp := s.serve(ctx, req, files)
	resp.run = req.Op == opRun
	return resp, nil
}

// sameRuntime reports whether req is for the runtime of first. The
// compile limit may differ: the parent enforces it (as the request's
// deadline), the child compiles without bound, and Config.TrustedCode
// gives the host's own code a longer one than the participants'.
func sameRuntime(req, first childRequest) bool {
	a, b := req.Limits, first.Limits
	a.CompileTimeout, b.CompileTimeout = 0, 0
	return req.CacheDir == first.CacheDir && a == b && req.Interpreter == first.Interpreter
}

func applyOSLimits(req childRequest) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl no_new_privs: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl dumpable: %w", err)
	}
	cpu := uint64(childCPUBudget / time.Second)
	// The compilation cache's files are at most a few times the module.
	fsize := 64<<20 + 16*uint64(req.Limits.MaxModuleBytes)
	for _, l := range []struct {
		name       string
		resource   int
		soft, hard uint64
	}{
		{"core", unix.RLIMIT_CORE, 0, 0},
		{"nofile", unix.RLIMIT_NOFILE, 64, 64},
		// SIGXCPU at the soft limit (ignored by Go), SIGKILL a second later.
		{"cpu", unix.RLIMIT_CPU, cpu, cpu + 1},
		{"fsize", unix.RLIMIT_FSIZE, fsize, fsize},
	} {
		if err := setrlimit(l.name, l.resource, l.soft, l.hard); err != nil {
			return err
		}
	}
	return nil
}

// setrlimit sets resource to soft and hard, never above the current hard
// limit.
func setrlimit(name string, resource int, soft, hard uint64) error {
	var cur unix.Rlimit
	if err := unix.Getrlimit(resource, &cur); err != nil {
		return fmt.Errorf("getrlimit %s: %w", name, err)
	}
	lim := unix.Rlimit{Cur: min(soft, cur.Max), Max: min(hard, cur.Max)}
	if err := unix.Setrlimit(resource, &lim); err != nil {
		return fmt.Errorf("setrlimit %s: %w", name, err)
	}
	return nil
}

// cpuMillis is the CPU time this process has used.
func cpuMillis() uint64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return uint64(ru.Utime.Nano()/1e6 + ru.Stime.Nano()/1e6)
}

// module returns the compiled module of req, compiling it from file if
// the child does not hold it.
func (s *childServer) module(ctx context.Context, req childRequest, file *os.File) (*Module, error) {
	if m, ok := s.modules[req.Module]; ok {
		i := slices.Index(s.order, req.Module)
		s.order = append(slices.Delete(s.order, i, i+1), req.Module)
		return m, nil
	}
	wasm := make([]byte, req.ModuleBytes)
	if _, err := file.ReadAt(wasm, 0); err != nil && !(errors.Is(err, io.EOF) && req.ModuleBytes == 0) {
		return nil, fmt.Errorf("read module: %w", err)
	}
	m, err := s.rt.Compile(ctx, wasm)
	if err != nil {
		return nil, err
	}
	if m.SHA256 != req.Module {
		_ = m.Close(ctx)
		return nil, fmt.Errorf("module file has SHA-256 %s, request says %s", m.SHA256, req.Module)
	}
	s.modules[req.Module] = m
	s.order = append(s.order, req.Module)
	if len(s.order) > childModules {
		old := s.order[0]
		s.order = s.order[1:]
		_ = s.modules[old].Close(ctx)
		delete(s.modules, old)
	}
	return m, nil
}

// features maps the features file of req, or returns the mapping kept from
// an earlier run on the same Features.
func (s *childServer) features(req childRequest, file *os.File) ([]byte, error) {
	size := 8 * req.Rows * req.Cols
	if req.Features != 0 && req.Features == s.feats.id && len(s.feats.data) == size {
		return s.feats.data, nil
	}
	if s.feats.data != nil {
		if err := unix.Munmap(s.feats.data); err != nil {
			return nil, fmt.Errorf("unmap features: %w", err)
		}
		s.feats.id, s.feats.data = 0, nil
	}
	// MAP_POPULATE: one bulk fault-in of the page cache instead of one
	// fault per page while copying.
	data, err := mapFile(int(file.Fd()), size, unix.PROT_READ, unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("map features: %w", err)
	}
	s.feats.id, s.feats.data = req.Features, data
	return data, nil
}

// serve compiles and maybe runs; every problem goes into the response.
func (s *childServer) serve(ctx context.Context, req childRequest, files []*os.File) *childResponse {
	resp := &childResponse{}
	fail := func(err error) *childResponse {
		resp.Error = toWire(err)
		return resp
	}
	if s.rt == nil {
		rt, err := newRuntime(ctx, Config{CacheDir: req.CacheDir, Limits: req.Limits},
			runtimeOptions{interpreter: req.Interpreter, noTermination: true})
		if err != nil {
			return fail(err)
		}
		s.rt = rt
	}
	m, err := s.module(ctx, req, files[0])
	if err != nil {
		return fail(err)
	}
	resp.HasInit = m.c.abi.hasInit
	if m.c.abi.v2 {
		resp.ABI = 2
	}
	if req.Op == opCompile {
		return resp
	}

	feats, err := s.features(req, files[1])
	if err != nil {
		return fail(err)
	}
	out, err := s.outputs(req, files[2])
	if err != nil {
		return fail(err)
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
	rowsDone := (*atomic.Uint64)(unsafe.Pointer(&out[rowsDoneOffset]))
	batchDone := func(n int) { rowsDone.Add(uint64(n)) }

	runCtx, cancel := context.WithTimeoutCause(ctx, req.Limits.Timeout, errTimeLimit)
	defer cancel()
	settled, err := m.execute(runCtx, ctx, cols, req.Batch, res, req.Workers, phase, batchDone, childLinger)
	resp.Settled = settled
	if err != nil {
		return fail(err)
	}
	resp.Stdout, resp.StdoutDropped = res.Stdout, res.StdoutDropped
	resp.Stderr, resp.StderrDropped = res.Stderr, res.StderrDropped
	resp.MemoryBytes = res.MemoryBytes
	resp.PredictNanos = int64(res.PredictTime)
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
