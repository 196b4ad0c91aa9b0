package sandbox

import (
	"context"
	"errors"
	"strings"
)

// Sentinel errors. Every error returned by Compile or Run for a problem of
// the submission is an *Error whose Unwrap yields one of these, so callers
// branch with errors.Is. Timeouts also satisfy
// errors.Is(err, context.DeadlineExceeded).
var (
	// ErrInvalidModule: not a WebAssembly module, truncated, malformed,
	// rejected by wazero's validator or bigger than Limits.MaxModuleBytes.
	ErrInvalidModule = errors.New("sandbox: invalid module")
	// ErrForbiddenImport: the module imports something other than a
	// wasi_snapshot_preview1 function the host provides.
	ErrForbiddenImport = errors.New("sandbox: forbidden import")
	// ErrABI: the module breaks Guest ABI v1 (missing or mistyped export, a
	// WASI command instead of a reactor, a bad pointer from verdict_alloc).
	ErrABI = errors.New("sandbox: guest abi violation")
	// ErrTrap: the guest trapped (unreachable, out of bounds access, stack
	// overflow, ...) or called proc_exit.
	ErrTrap = errors.New("sandbox: guest trapped")
	// ErrStackOverflow: the guest trapped because its call stack overflowed
	// (runaway recursion). It also matches ErrTrap.
	ErrStackOverflow = errors.New("sandbox: guest stack overflow")
	// ErrOutOfBounds: the guest trapped on a memory access outside its
	// linear memory. It also matches ErrTrap.
	ErrOutOfBounds = errors.New("sandbox: guest memory access out of bounds")
	// ErrExit: the guest called WASI proc_exit, which ends the instance
	// (Error.Code is the exit code). It also matches ErrTrap.
	ErrExit = errors.New("sandbox: guest called proc_exit")
	// ErrTimeout: the run exceeded Limits.Timeout or the caller's deadline.
	ErrTimeout = errors.New("sandbox: time limit exceeded")
	// ErrMemoryLimit: the module declares, or tried to grow to, more memory
	// than Limits.MemoryMB (or declares oversized tables).
	ErrMemoryLimit = errors.New("sandbox: memory limit exceeded")
	// ErrOutputLimit: the guest wrote more than Limits.WriteBytes to
	// stdout or to stderr.
	ErrOutputLimit = errors.New("sandbox: output limit exceeded")
	// ErrBadOutput: a prediction is NaN or infinite.
	ErrBadOutput = errors.New("sandbox: bad output")
	// ErrGuestCode: verdict_predict returned a non-zero code.
	ErrGuestCode = errors.New("sandbox: guest returned an error code")
	// ErrCrash: the child process of Process isolation died for a reason
	// that is neither a limit nor the guest's doing (a wazero or host
	// bug, a kill from outside): not the submission's fault, retry it.
	ErrCrash = errors.New("sandbox: sandbox process crashed")
	// ErrNondeterministic: a model's predictions changed with the row order
	// or the batch size (see CheckDeterminism).
	ErrNondeterministic = errors.New("sandbox: nondeterministic model")
	// ErrInvalidInput: the host passed an unusable Input (a caller bug, not
	// the submission's fault).
	ErrInvalidInput = errors.New("sandbox: invalid input")
	// ErrClosed: the Runtime or Module was closed.
	ErrClosed = errors.New("sandbox: closed")
)

// Kinds are the stable strings KindOf returns, for JSON and the CLI.
const (
	KindInvalidModule    = "invalid_module"
	KindForbiddenImport  = "forbidden_import"
	KindABI              = "abi"
	KindTrap             = "trap"
	KindStackOverflow    = "stack_overflow"
	KindOutOfBounds      = "out_of_bounds"
	KindExit             = "exit"
	KindTimeout          = "timeout"
	KindMemoryLimit      = "memory_limit"
	KindOutputLimit      = "output_limit"
	KindBadOutput        = "bad_output"
	KindGuestError       = "guest_error"
	KindCanceled         = "canceled"
	KindInvalidInput     = "invalid_input"
	KindCrash            = "crash"
	KindNondeterministic = "nondeterministic"
	KindInternal         = "internal"
)

var kindSentinels = map[string]error{
	KindInvalidModule:    ErrInvalidModule,
	KindForbiddenImport:  ErrForbiddenImport,
	KindABI:              ErrABI,
	KindTrap:             ErrTrap,
	KindStackOverflow:    ErrStackOverflow,
	KindOutOfBounds:      ErrOutOfBounds,
	KindExit:             ErrExit,
	KindTimeout:          ErrTimeout,
	KindMemoryLimit:      ErrMemoryLimit,
	KindOutputLimit:      ErrOutputLimit,
	KindBadOutput:        ErrBadOutput,
	KindGuestError:       ErrGuestCode,
	KindInvalidInput:     ErrInvalidInput,
	KindCrash:            ErrCrash,
	KindNondeterministic: ErrNondeterministic,
}

// Error describes why a submission was refused or failed. Its message is
// written for the participant, e.g.
//
//	sandbox: guest trapped: out of bounds memory access in verdict_predict
type Error struct {
	// Kind is one of the Kind* constants.
	Kind string
	// Msg is the message after the "sandbox: " prefix.
	Msg string
	// Func is the guest function running when the error happened
	// ("instantiate", "_initialize", "verdict_alloc", "verdict_predict"),
	// empty for Compile errors.
	Func string
	// Code is the guest's return code (KindGuestError) or proc_exit code.
	Code int32
	// Stderr is a bounded excerpt of the guest's stderr (for a Go panic, from
	// the "panic:" line on), empty if it wrote nothing.
	Stderr string

	// err is the underlying cause (a wazero error, a context error), if any.
	err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sandbox: ")
	b.WriteString(e.Msg)
	if e.Stderr != "" {
		b.WriteString("; guest stderr: ")
		b.WriteString(e.Stderr)
	}
	return b.String()
}

// Unwrap returns the sentinel for e.Kind (context.Canceled for
// KindCanceled; ErrTrap too for the finer trap kinds) and the underlying
// cause, so errors.Is matches all of them.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 3)
	if s := kindSentinels[e.Kind]; s != nil {
		errs = append(errs, s)
	}
	switch e.Kind {
	case KindStackOverflow, KindOutOfBounds, KindExit:
		errs = append(errs, ErrTrap)
	case KindTimeout:
		errs = append(errs, context.DeadlineExceeded)
	case KindCanceled:
		errs = append(errs, context.Canceled)
	}
	if e.err != nil {
		errs = append(errs, e.err)
	}
	return errs
}

// KindOf returns the stable kind string of err: one of the Kind* constants,
// "" for nil and KindInternal for errors that are not the submission's fault
// and not otherwise classified.
func KindOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	for kind, s := range kindSentinels {
		if errors.Is(err, s) {
			return kind
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindInternal
}
