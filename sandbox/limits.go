package sandbox

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for zero fields of Limits and Input.
const (
	// DefaultMemoryMB caps guest linear memory at 256 MiB.
	DefaultMemoryMB = 256
	// DefaultTimeout is the wall time of one Run (instantiate, _initialize
	// and every batch).
	DefaultTimeout = 30 * time.Second
	// DefaultMaxModuleBytes refuses modules bigger than 64 MiB.
	DefaultMaxModuleBytes = 64 << 20
	// DefaultOutputBytes keeps at most 64 KiB of stdout and of stderr.
	DefaultOutputBytes = 64 << 10
	// DefaultWriteBytes lets an instance write at most 16 MiB to stdout,
	// and as much to stderr, before its Run fails with ErrOutputLimit.
	DefaultWriteBytes = 16 << 20
	// DefaultBatchRows is the number of rows per verdict_predict call.
	DefaultBatchRows = 4096

	// MaxMemoryMB is the largest MemoryMB: 4 GiB, all of wasm32.
	MaxMemoryMB = 4096
	// MaxTableElements bounds the elements of all tables of a module
	// together (8 MiB of host memory). Tables live outside linear memory, so
	// the host enforces this separately; see doc.go.
	MaxTableElements = 1 << 20
)

// Limits bound what one submission may consume. Zero fields mean the
// Default* value.
type Limits struct {
	// MemoryMB caps guest linear memory, in MiB (1 MiB = 16 wasm pages).
	MemoryMB uint32 `json:"memory_mb,omitempty" yaml:"memory_mb,omitempty"`
	// Timeout is the wall time allowed per Run: instantiation,
	// _initialize and all verdict_predict batches.
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// MaxModuleBytes refuses bigger modules before decoding them.
	MaxModuleBytes int64 `json:"max_module_bytes,omitempty" yaml:"max_module_bytes,omitempty"`
	// OutputBytes caps captured stdout, and separately stderr; the excess is
	// dropped and counted in Result.StdoutDropped/StderrDropped.
	OutputBytes int `json:"output_bytes,omitempty" yaml:"output_bytes,omitempty"`
	// WriteBytes caps what one guest instance may write to stdout, and
	// separately to stderr, kept or not: the write that would pass it
	// fails (EIO to the guest) and the Run fails with ErrOutputLimit. A
	// model that floods its output wastes the host's time, not only its
	// own.
	WriteBytes int64 `json:"write_bytes,omitempty" yaml:"write_bytes,omitempty"`
	// CompileTimeout is the wall time allowed to compile a module (the
	// caller's deadline applies too); zero means Timeout. In Process
	// isolation the compiling child is killed at the deadline; in
	// process, Compile returns at the deadline and the compilation, which
	// wazero cannot interrupt, finishes in the background and is thrown
	// away.
	CompileTimeout time.Duration `json:"compile_timeout,omitempty" yaml:"compile_timeout,omitempty"`
}

// WithDefaults returns l with zero fields set to their Default* values.
func (l Limits) WithDefaults() Limits {
	if l.MemoryMB == 0 {
		l.MemoryMB = DefaultMemoryMB
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxModuleBytes == 0 {
		l.MaxModuleBytes = DefaultMaxModuleBytes
	}
	if l.OutputBytes == 0 {
		l.OutputBytes = DefaultOutputBytes
	}
	if l.WriteBytes == 0 {
		l.WriteBytes = DefaultWriteBytes
	}
	if l.CompileTimeout == 0 {
		l.CompileTimeout = l.Timeout
	}
	return l
}

// Validate reports fields out of range. Zero fields are valid (defaults).
func (l Limits) Validate() error {
	var errs []error
	if l.MemoryMB > MaxMemoryMB {
		errs = append(errs, fmt.Errorf("sandbox: limits: memory_mb %d above %d (4 GiB, all of wasm32)", l.MemoryMB, MaxMemoryMB))
	}
	if l.Timeout < 0 {
		errs = append(errs, fmt.Errorf("sandbox: limits: negative timeout %v", l.Timeout))
	}
	if l.MaxModuleBytes < 0 {
		errs = append(errs, fmt.Errorf("sandbox: limits: negative max_module_bytes %d", l.MaxModuleBytes))
	}
	if l.CompileTimeout < 0 {
		errs = append(errs, fmt.Errorf("sandbox: limits: negative compile_timeout %v", l.CompileTimeout))
	}
	if l.OutputBytes < 0 {
		errs = append(errs, fmt.Errorf("sandbox: limits: negative output_bytes %d", l.OutputBytes))
	}
	if l.WriteBytes < 0 {
		errs = append(errs, fmt.Errorf("sandbox: limits: negative write_bytes %d", l.WriteBytes))
	}
	return errors.Join(errs...)
}

func (l Limits) memoryBytes() uint64 { return uint64(l.MemoryMB) << 20 }
