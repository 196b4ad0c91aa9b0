package sandbox

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// childPool keeps the long-lived children of Process isolation. A child
// serves one request at a time over a Unix socket; between requests it
// keeps its wazero runtime, the modules it compiled and the features it
// last mapped, so a warm Run costs a message and a fresh instance instead
// of a process start, a module load and a feature mapping.
//
// A child goes back to the pool after a request that succeeded, and after
// a Run that failed by the model's doing once every instance of the Run
// has returned (the child says so: Settled). Anything else (unsettled
// instances, a deadline, a cancellation, a crash, an error of the child's
// own, anything unexpected on the socket) kills it, its whole process
// group, and the next request starts a fresh one. A child is also retired
// after maxChildRequests requests or once it has used half its lifetime
// CPU budget.
type childPool struct {
	cmd     []string
	maxIdle int

	mu     sync.Mutex
	idle   []*child
	all    map[*child]struct{}
	closed bool
}

const (
	// maxChildRequests retires a child after this many requests, bounding
	// whatever state a long-lived process accumulates.
	maxChildRequests = 1000
	// childCPUBudget is a child's lifetime RLIMIT_CPU (soft; the hard
	// limit, a SIGKILL, is a second later). The parent retires a child
	// once it reports having used half of it. Each Run is bounded by its
	// wall-clock deadline, enforced by the parent.
	childCPUBudget = time.Hour
)

// child is one running child process.
type child struct {
	cmd    *exec.Cmd
	conn   *net.UnixConn
	stderr *tailBuffer
	done   chan struct{} // closed when the process has been waited for

	// Guarded by the pool's mutex while idle; owned by the borrower.
	requests int
	module   string // SHA-256 of the module it ran or compiled last
	features uint64 // id of the features it has mapped
	retire   bool
	// cpuMillis is the CPU time the child said it had used, at its last
	// answer.
	cpuMillis uint64
	// out is the outputs file of its runs, mapped at outMap; outID is its
	// id.
	out    *os.File
	outMap []byte
	outID  uint64
}

func newChildPool(cmd []string, maxIdle int) *childPool {
	return &childPool{cmd: cmd, maxIdle: max(1, maxIdle), all: map[*child]struct{}{}}
}

// get returns an idle child, preferring one that has the module compiled
// and the features mapped, or starts a new one.
func (p *childPool) get(module string, features uint64) (*child, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	best, score := -1, -1
	for i, c := range p.idle {
		s := 0
		if c.module == module {
			s += 2
		}
		if features != 0 && c.features == features {
			s++
		}
		if s > score {
			best, score = i, s
		}
	}
	if best >= 0 {
		c := p.idle[best]
		p.idle = append(p.idle[:best], p.idle[best+1:]...)
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return p.start()
}

// start starts a new child.
func (p *childPool) start() (*child, error) {
	c, err := startChild(p.cmd)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.kill()
		return nil, ErrClosed
	}
	p.all[c] = struct{}{}
	return c, nil
}

// put returns c to the pool, or kills it if it must not be reused or the
// pool is full or closed.
func (p *childPool) put(c *child) {
	p.mu.Lock()
	keep := !p.closed && !c.retire && c.requests < maxChildRequests && len(p.idle) < p.maxIdle && !c.exited()
	if keep {
		p.idle = append(p.idle, c)
	} else {
		delete(p.all, c)
	}
	p.mu.Unlock()
	if !keep {
		c.kill()
		<-c.done
		c.closeOutputs()
	}
}

// idleCPU is the CPU time the idle children said they had used.
func (p *childPool) idleCPU() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ms uint64
	for _, c := range p.idle {
		ms += c.cpuMillis
	}
	return time.Duration(ms) * time.Millisecond
}

func (p *childPool) idlePIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	pids := make([]int, len(p.idle))
	for i, c := range p.idle {
		pids[i] = c.cmd.Process.Pid
	}
	return pids
}

// discard kills c for good.
func (p *childPool) discard(c *child) {
	c.retire = true
	p.put(c)
}

// close kills every child, idle or busy: requests in progress fail (and
// their borrowers release the rest when they put the child back).
func (p *childPool) close() {
	p.mu.Lock()
	p.closed = true
	all, idle := p.all, p.idle
	p.all, p.idle = map[*child]struct{}{}, nil
	p.mu.Unlock()
	for c := range all {
		c.kill()
	}
	for c := range all {
		<-c.done
	}
	for _, c := range idle {
		c.closeOutputs()
	}
}

// startChild starts cmd with one end of a socket pair as fd 3, an empty
// environment, / as its directory, its own process group and SIGKILL when
// the parent dies (Pdeathsig follows the thread that started the child,
// and the Go runtime does not end its threads while the process lives).
func startChild(argv []string) (*child, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: start child: socketpair: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "sandbox-parent"), os.NewFile(uintptr(fds[1]), "sandbox-child")
	defer theirs.Close()
	fc, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return nil, fmt.Errorf("sandbox: start child: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{theirs}
	stderr := &tailBuffer{max: childStderrBytes}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		fc.Close()
		return nil, fmt.Errorf("sandbox: start child %q: %w", argv[0], err)
	}
	c := &child{cmd: cmd, conn: fc.(*net.UnixConn), stderr: stderr, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// kill ends the child's process group and closes the socket; it does not
// wait.
func (c *child) kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	_ = c.conn.Close()
}

// outputs returns the child's outputs file, at least size bytes, its
// progress header zeroed. A bigger file replaces a smaller one.
func (c *child) outputs(size int) (*os.File, error) {
	if c.out != nil && len(c.outMap) >= size {
		clear(c.outMap[:outputsHeader])
		return c.out, nil
	}
	c.closeOutputs()
	out, err := sealedOutputs(size)
	if err != nil {
		return nil, err
	}
	m, err := unix.Mmap(int(out.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("map: %w", err)
	}
	c.out, c.outMap, c.outID = out, m, outputsIDs.Add(1)
	return out, nil
}

func (c *child) closeOutputs() {
	if c.outMap != nil {
		_ = unix.Munmap(c.outMap)
		c.outMap = nil
	}
	if c.out != nil {
		c.out.Close()
		c.out = nil
	}
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// do sends req with files to a child from the pool and returns its
// response, or the error it reported or died of. A run also gets the
// child's outputs file, at least outSize bytes, whose mapping read reads
// before the child goes back to the pool; its header says where each
// instance was if the child dies and, polled while the child runs, how
// many rows it has done (reported to p unless p is nil).
func (r *Runtime) do(ctx context.Context, req childRequest, files []*os.File, outSize int, read func(out []byte) error, p *progress) (*childResponse, error) {
	if r.isClosed() {
		return nil, ErrClosed
	}
	c, err := r.pool.get(req.Module, req.Features)
	if err != nil {
		return nil, err
	}
	attempt := func(c *child) (*childResponse, error) {
		if req.Op != opRun {
			return r.exchange(ctx, c, req, files, nil)
		}
		out, err := c.outputs(outSize)
		if err != nil {
			return nil, fmt.Errorf("run module %s: outputs: %w", req.Module, err)
		}
		req.OutputsFile = c.outID
		if p != nil {
			defer watchRows(c.outMap, p)()
		}
		resp, err := r.exchange(ctx, c, req, append(slices.Clip(files), out), out)
		if err == nil && resp.Error == nil {
			err = read(c.outMap[:outSize])
		}
		return resp, err
	}
	resp, err := attempt(c)
	if KindOf(err) == KindCrash && c.requests > 0 && ctx.Err() == nil {
		// A child that waited in the pool may have died meanwhile (killed
		// by an operator or the OOM killer): try once more on a new one.
		// A guest that crashes every child crashes this one too.
		r.pool.discard(c)
		if c, err = r.pool.start(); err != nil {
			return nil, err
		}
		resp, err = attempt(c)
	}
	switch {
	case err != nil:
		r.pool.discard(c)
	case resp.Error != nil && req.Op == opRun && !(resp.Settled && modelFault(resp.Error.Kind)):
		// The guest ran and failed, and its instances may still be
		// running, or the child failed on its own.
		r.pool.discard(c)
	default:
		c.requests++
		c.module = req.Module
		if req.Op == opRun {
			c.features = req.Features
		}
		c.cpuMillis = resp.CPUMillis
		c.retire = resp.CPUMillis > uint64(childCPUBudget/time.Millisecond)/2
		r.pool.put(c)
	}
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error.toError()
	}
	return resp, nil
}

// watchRows reports the rows done that a running child counts in the
// header of its outputs mapping out to p every ProgressInterval, until the
// function it returns is called (before the child goes back to the pool,
// which may unmap out).
func watchRows(out []byte, p *progress) (stop func()) {
	rowsDone := (*atomic.Uint64)(unsafe.Pointer(&out[rowsDoneOffset]))
	stopc, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(ProgressInterval)
		defer tick.Stop()
		for {
			select {
			case <-stopc:
				return
			case <-tick.C:
				p.report(rowsDone.Load())
			}
		}
	}()
	return func() {
		close(stopc)
		<-done
	}
}

// modelFault reports whether kind is the model's doing and leaves a child
// that answered with it fit to serve again. A timeout is not: the run's
// instances are the ones the deadline could not stop.
func modelFault(kind string) bool {
	switch kind {
	case KindInvalidModule, KindForbiddenImport, KindABI, KindTrap, KindStackOverflow,
		KindOutOfBounds, KindExit, KindMemoryLimit, KindOutputLimit, KindBadOutput, KindGuestError:
		return true
	}
	return false
}

// exchange is one request and response with c under the deadline of
// req.Op. Any error means c must not be reused.
func (r *Runtime) exchange(ctx context.Context, c *child, req childRequest, files []*os.File, progress *os.File) (*childResponse, error) {
	limit := childDeadline(req.Op, req.Limits)
	runCtx, cancel := context.WithTimeoutCause(ctx, limit, errTimeLimit)
	defer cancel()
	stop := context.AfterFunc(runCtx, c.kill)
	body, err := json.Marshal(req)
	if err != nil {
		stop()
		return nil, fmt.Errorf("sandbox: encode request: %w", err)
	}
	err = writeFrame(c.conn, body, files)
	var out []byte
	if err == nil {
		out, err = readFrame(c.conn, 4*r.limits.OutputBytes+2*maxWireMsg+64<<10)
	}
	if stop() && err == nil {
		resp, err := decodeResponse(out, r.limits)
		if err != nil {
			return nil, &Error{Kind: KindCrash, Msg: "sandbox process broke the protocol: " + err.Error(), err: err}
		}
		return resp, nil
	}
	// The child died, was killed at the deadline or broke the protocol.
	c.kill()
	<-c.done
	fn := where(req.Op, progress)
	if runCtx.Err() != nil {
		switch {
		case context.Cause(runCtx) == errTimeLimit:
			return nil, &Error{Kind: KindTimeout, Func: fn, err: err,
				Msg: fmt.Sprintf("time limit of %v exceeded in %s", limit, fnName(fn, req.Op))}
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, &Error{Kind: KindTimeout, Func: fn, err: err,
				Msg: fmt.Sprintf("caller's deadline exceeded in %s", fnName(fn, req.Op))}
		default:
			return nil, &Error{Kind: KindCanceled, Func: fn, err: err,
				Msg: fmt.Sprintf("run canceled in %s", fnName(fn, req.Op))}
		}
	}
	if r.isClosed() {
		return nil, fmt.Errorf("run module %s: %w", req.Module, ErrClosed)
	}
	if err == nil {
		err = errors.New("no response")
	}
	return nil, crashError(err, c.cmd.ProcessState, fn, req, c.stderr.bytes())
}

// maxFrameFiles is the most files a request carries (module, features,
// outputs).
const maxFrameFiles = 3

// writeFrame sends b prefixed with its length (4 bytes, little-endian),
// with files attached to the first byte (SCM_RIGHTS).
func writeFrame(conn *net.UnixConn, b []byte, files []*os.File) error {
	msg := make([]byte, 4+len(b))
	binary.LittleEndian.PutUint32(msg, uint32(len(b)))
	copy(msg[4:], b)
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = unix.UnixRights(fds...)
	}
	n, _, err := conn.WriteMsgUnix(msg, oob, nil)
	runtime.KeepAlive(files)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if n < len(msg) {
		if _, err := conn.Write(msg[n:]); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	return nil
}

// readFrame reads one frame of at most limit bytes, refusing any attached
// file.
func readFrame(conn *net.UnixConn, limit int) ([]byte, error) {
	b, files, err := readFrameFiles(conn, limit, 0)
	for _, f := range files {
		f.Close()
	}
	if err == nil && len(files) > 0 {
		err = errors.New("unexpected files")
	}
	return b, err
}

// readFrameFiles reads one frame of at most limit bytes and up to
// maxFiles files attached to it. io.EOF means the peer closed the socket
// between frames.
func readFrameFiles(conn *net.UnixConn, limit, maxFiles int) ([]byte, []*os.File, error) {
	var hdr [4]byte
	oob := make([]byte, unix.CmsgSpace(4*max(1, maxFiles)))
	n, oobn, flags, _, err := conn.ReadMsgUnix(hdr[:], oob)
	var files []*os.File
	if oobn > 0 {
		msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
		for _, m := range msgs {
			fds, ferr := unix.ParseUnixRights(&m)
			if ferr != nil {
				perr = ferr
			}
			for _, fd := range fds {
				files = append(files, os.NewFile(uintptr(fd), "frame"))
			}
		}
		if perr != nil && err == nil {
			err = perr
		}
	}
	fail := func(err error) ([]byte, []*os.File, error) {
		for _, f := range files {
			f.Close()
		}
		return nil, nil, err
	}
	switch {
	case n == 0 && err == nil:
		return fail(io.EOF)
	case n == 0:
		return fail(err)
	case err != nil:
		return fail(fmt.Errorf("receive: %w", err))
	case flags&unix.MSG_CTRUNC != 0 || len(files) > maxFiles:
		return fail(fmt.Errorf("receive: more than %d files", maxFiles))
	}
	if _, err := io.ReadFull(conn, hdr[n:]); err != nil {
		return fail(fmt.Errorf("receive: %w", err))
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	if uint64(size) > uint64(limit) {
		return fail(fmt.Errorf("receive: frame of %d bytes, limit %d", size, limit))
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(conn, b); err != nil {
		return fail(fmt.Errorf("receive: %w", err))
	}
	return b, files, nil
}

// tailBuffer keeps the last max bytes written to it: a long-lived child's
// crash report is at the end of its stderr.
type tailBuffer struct {
	max int

	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
