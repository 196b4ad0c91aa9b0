package sandbox

import "runtime"

// Isolation says where guests run.
type Isolation string

const (
	// InProcess runs guests on goroutines of the calling process, compiled
	// with wazero's termination checks so that a deadline can stop them.
	// It needs no fork and no helper command, at the price of a check at
	// every loop back-edge (several times slower numeric loops).
	InProcess Isolation = ""
	// Process runs every Compile and Run in a supervised child process
	// started from Config.ChildCommand and kept in a pool for later
	// requests: guests are compiled without termination checks
	// (near-native loops) and the child is killed at the deadline; OS
	// limits (address space, CPU time, open files, no new privileges) bound
	// it on top of the sandbox's own; a crash or a wazero bug in the child
	// cannot take the host down. Linux only.
	Process Isolation = "process"
)

// Preferred is the isolation to use where the caller has no reason to
// choose: Process where it is supported (Linux), InProcess elsewhere.
func Preferred() Isolation {
	if processSupported {
		return Process
	}
	return InProcess
}

// ChildArg is the hidden argument that makes a verdict executable serve as
// the child of Process isolation: its handler must call ServeChild and
// exit when it returns.
const ChildArg = "__sandbox-child"

// MinRowsPerWorker is the fewest rows a Run gives each parallel instance:
// below it, starting another instance costs more than it saves.
const MinRowsPerWorker = 8192

const goos = runtime.GOOS
