package sandbox

import (
	"net"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReadFrame writes b into one end of a Unix socket pair, closes it, and
// reads one frame of at most limit bytes from the other end, as the
// parent reads a child's answer.
func ReadFrame(b []byte, limit int) ([]byte, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	w, r := os.NewFile(uintptr(fds[0]), "w"), os.NewFile(uintptr(fds[1]), "r")
	defer r.Close()
	go func() {
		_, _ = w.Write(b)
		w.Close()
	}()
	fc, err := net.FileConn(r)
	if err != nil {
		return nil, err
	}
	defer fc.Close()
	return readFrame(fc.(*net.UnixConn), limit)
}

// IdleRowsDone returns the rows done that each idle child of a Process
// Runtime counted in its outputs header during its last run.
func (r *Runtime) IdleRowsDone() []uint64 {
	if r.pool == nil {
		return nil
	}
	p := r.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	var done []uint64
	for _, c := range p.idle {
		if c.outMap != nil {
			done = append(done, (*atomic.Uint64)(unsafe.Pointer(&c.outMap[rowsDoneOffset])).Load())
		}
	}
	return done
}

// ChildPIDs returns the process ids of every child of a Process Runtime,
// idle or busy.
func (r *Runtime) ChildPIDs() []int {
	if r.pool == nil {
		return nil
	}
	p := r.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for c := range p.all {
		pids = append(pids, c.cmd.Process.Pid)
	}
	return pids
}
