package sandbox

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const processSupported = true

// startProcess sets up Process isolation: the child command and the
// compilation cache the children share.
func (r *Runtime) startProcess(c Config) error {
	r.process = true
	r.childCmd = c.ChildCommand
	if len(r.childCmd) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("sandbox: find the child command: %w", err)
		}
		r.childCmd = []string{exe, ChildArg}
	}
	r.cacheDir = c.CacheDir
	if r.cacheDir == "" {
		dir, err := os.MkdirTemp("", "verdict-sandbox-cache-")
		if err != nil {
			return fmt.Errorf("sandbox: create compilation cache: %w", err)
		}
		r.cacheDir, r.ownCache = dir, true
	} else if err := os.MkdirAll(r.cacheDir, 0o700); err != nil {
		return fmt.Errorf("sandbox: create compilation cache %q: %w", r.cacheDir, err)
	}
	r.pool = newChildPool(r.childCmd, r.workers)
	return nil
}

// compileProcess checks wasm with the pre-decoder here, then has a child
// validate and compile it into the shared cache; the parent never hands
// guest bytes to wazero. It returns the module as a sealed memfd for runs.
func (r *Runtime) compileProcess(ctx context.Context, sha string, wasm []byte, limit time.Duration) (*os.File, guestABI, error) {
	if _, err := r.precheck(wasm); err != nil {
		return nil, guestABI{}, err
	}
	f, err := sealedFile("verdict-module-"+sha[:12], len(wasm), func(f *os.File) error {
		_, err := f.WriteAt(wasm, 0)
		return err
	})
	if err != nil {
		return nil, guestABI{}, fmt.Errorf("compile module %s: %w", sha, err)
	}
	req := r.request(opCompile, sha, int64(len(wasm)))
	req.Limits.CompileTimeout = limit
	resp, err := r.do(ctx, req, []*os.File{f}, 0, nil, nil)
	if err != nil {
		f.Close()
		return nil, guestABI{}, err
	}
	return f, guestABI{hasInit: resp.HasInit, v2: resp.ABI == 2}, nil
}

func (r *Runtime) request(op, sha string, moduleBytes int64) childRequest {
	lim := r.limits
	return childRequest{Op: op, Module: sha, CacheDir: r.cacheDir, Limits: lim, Interpreter: r.opts.interpreter,
		ModuleBytes:  moduleBytes,
		AddressSpace: 2<<30 + 16*uint64(moduleBytes)}
}

// runProcess is Run in a child process.
func (m *Module) runProcess(ctx context.Context, in Input) (*Result, error) {
	r := m.rt
	rows, batch, err := in.check(r.limits, m.c.abi.v2)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	feats := in.Features
	if feats == nil {
		if feats, err = NewFeatures(in.Columns); err != nil {
			return nil, err
		}
		defer feats.Close()
	}
	outs := in.Outputs
	outSize := outputsHeader + 8*outs*rows

	workers := max(1, min(r.workers, rows/MinRowsPerWorker, maxWorkers))
	req := r.request(opRun, m.SHA256, int64(m.Size))
	req.Rows, req.Cols, req.Outputs, req.Batch, req.Workers = rows, feats.cols, outs, batch, workers
	req.Features = feats.id
	// Address space: the Go runtime and wazero, compiled code, the mapped
	// features and outputs, and per instance its memory (up to twice while
	// growing) and a call stack that wazero lets grow to 400 MB.
	req.AddressSpace += uint64(8*rows*feats.cols+outSize) + uint64(workers)*(3*r.limits.memoryBytes()+640<<20)
	res := &Result{Outputs: make([][]float64, outs), BatchRows: batch}
	read := func(out []byte) error {
		for k := range res.Outputs {
			res.Outputs[k] = make([]float64, rows)
			getFloats(res.Outputs[k], out[outputsHeader+8*k*rows:outputsHeader+8*(k+1)*rows])
			// The child checked them too, but it ran untrusted code.
			if i, msg := checkOutputs(res.Outputs[k], k, outs); i >= 0 {
				return &Error{Kind: KindBadOutput, Func: "verdict_predict", Msg: fmt.Sprintf(
					"bad output: prediction for row %d, output %d %s", i, k, msg)}
			}
		}
		return nil
	}
	p := newProgress(in.Progress, rows)
	resp, err := r.do(ctx, req, []*os.File{m.c.wasm, feats.backing.file}, outSize, read, p)
	if err != nil {
		return nil, err
	}
	if p != nil {
		p.finish()
	}
	res.Stdout, res.Stderr = resp.Stdout, resp.Stderr
	res.StdoutDropped, res.StderrDropped = resp.StdoutDropped, resp.StderrDropped
	res.MemoryBytes, res.PredictTime = resp.MemoryBytes, time.Duration(resp.PredictNanos)
	res.Elapsed = time.Since(start)
	return res, nil
}

// sealedOutputs returns a memfd of size bytes that the child maps and
// writes; its size is sealed.
func sealedOutputs(size int) (*os.File, error) {
	return sealedFileOpts("verdict-outputs", size, nil, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW)
}

// outputsIDs number outputs files, which children keep mapped by id.
var outputsIDs atomic.Uint64

// crashError classifies a child that died on its own. What the child
// itself wrote to stderr (a Go crash trace of the host's code, never the
// guest's output, which the child captures) goes to the host's log
// (slog's default logger) and never into the error, whose message is the
// participant's.
func crashError(runErr error, st *os.ProcessState, fn string, req childRequest, stderr []byte) error {
	in := fnName(fn, req.Op)
	if len(stderr) > 0 {
		slog.Warn("sandbox: child process died", "module", req.Module, "op", req.Op, "in", in,
			"err", runErr, "state", st.String(), "stderr", string(stderr))
	}
	if st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			switch ws.Signal() {
			case syscall.SIGXCPU:
				return &Error{Kind: KindTimeout, Func: fn, err: runErr, Msg: fmt.Sprintf(
					"the sandbox process's CPU time limit was exceeded in %s", in)}
			case syscall.SIGKILL:
				return &Error{Kind: KindCrash, Func: fn, err: runErr, Msg: fmt.Sprintf(
					"sandbox process was killed in %s (by the kernel's out-of-memory killer or an operator); "+
						"this is not the model's fault", in)}
			}
			return &Error{Kind: KindCrash, Func: fn, err: runErr, Msg: fmt.Sprintf(
				"sandbox process died of signal %q in %s; this is not the model's fault", ws.Signal(), in)}
		}
	}
	text := string(stderr)
	if strings.Contains(text, "out of memory") || strings.Contains(text, "cannot allocate memory") {
		return &Error{Kind: KindMemoryLimit, Func: fn, err: runErr, Msg: fmt.Sprintf(
			"memory limit exceeded: the sandbox process ran out of its %s of address space in %s",
			formatBytes(req.AddressSpace), in)}
	}
	return &Error{Kind: KindCrash, Func: fn, err: runErr, Msg: fmt.Sprintf(
		"sandbox process crashed in %s (%v); this is not the model's fault", in, runErr)}
}

func fnName(fn, op string) string {
	if fn == "" {
		if op == opCompile {
			return "compile"
		}
		return "startup (loading the compiled module)"
	}
	return fn
}

// where reads which guest function the first unfinished instance was in.
func where(op string, progress *os.File) string {
	if op != opRun || progress == nil {
		return ""
	}
	var hdr [outputsHeader]byte
	if _, err := progress.ReadAt(hdr[:], 0); err != nil {
		return ""
	}
	for w := range maxWorkers {
		code := binary.NativeEndian.Uint32(hdr[4*w:])
		if code == 0 {
			break
		}
		if code < uint32(len(phases)) && phases[code] != "done" {
			return phases[code]
		}
	}
	return ""
}
