package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// The protocol between the parent and the child of Process isolation.
//
// The parent starts the child with ChildArg, an empty environment, / as
// its directory and one end of a Unix stream socket as fd 3, and keeps it
// for many requests (see childPool). Each message is a frame: a 4-byte
// little-endian length, then that many bytes of JSON. A request
// (childRequest) carries files with its first byte (SCM_RIGHTS): the
// module bytes (a sealed memfd) and, for a run, the features (a sealed
// memfd, column-major float64, Rows*Cols values) and the outputs file the
// child maps and writes: outputsHeader bytes of progress (one uint32 phase
// per worker, and at rowsDoneOffset the rows predicted so far, a uint64
// the child adds each batch to and the parent polls, both atomically),
// then Outputs*Rows float64, column-major. The child answers
// each request with one childResponse frame and exits when the socket is
// closed or a run failed; its stderr is kept for crash reports. The
// parent kills the child's process group at the deadline.
//
// The child runs untrusted code, so the parent treats its response as
// untrusted too: decodeResponse bounds and checks every field, and the
// parent checks the outputs itself (FuzzDecodeResponse).

const (
	opCompile = "compile"
	opRun     = "run"

	// maxRequestBytes bounds the request the child reads.
	maxRequestBytes = 64 << 10
	// childStderrBytes bounds the child's stderr the parent keeps.
	childStderrBytes = 64 << 10
	// outputsHeader is the progress area at the start of the outputs file.
	outputsHeader = 4096
	// rowsDoneOffset is where the header keeps the rows done (8-aligned,
	// after the phases).
	rowsDoneOffset = outputsHeader - 8
	// maxWorkers is how many phases fit the header before rowsDoneOffset.
	maxWorkers = rowsDoneOffset / 4
)

// Phases reported in the outputs header, in the order an instance goes
// through them.
var phases = []string{"", "instantiate", "_initialize", "verdict_alloc", "verdict_predict", "verdict_predict_v2", "done", "verdict_model_load"}

func phaseCode(fn string) uint32 {
	switch fn {
	case "":
		return 6
	case "instantiate":
		return 1
	case "_initialize":
		return 2
	case "verdict_alloc":
		return 3
	case "verdict_predict":
		return 4
	case "verdict_predict_v2":
		return 5
	case "verdict_model_load":
		return 7
	}
	return 0
}

type childRequest struct {
	Op          string `json:"op"`
	CacheDir    string `json:"cache_dir"`
	Limits      Limits `json:"limits"`
	Interpreter bool   `json:"interpreter,omitempty"`
	ModuleBytes int64  `json:"module_bytes"`
	// Module is the module's SHA-256 (hex): the child keeps compiled
	// modules by it and verifies it.
	Module string `json:"module"`
	// Features identifies the features file of a run within the parent
	// process: the child keeps the last one mapped.
	Features uint64 `json:"features,omitempty"`
	// OutputsFile identifies the outputs file of a run: each child has
	// one, reused (and kept mapped) from run to run until a run needs a
	// bigger one.
	OutputsFile uint64 `json:"outputs_file,omitempty"`

	// Run only.
	Rows    int `json:"rows,omitempty"`
	Cols    int `json:"cols,omitempty"`
	Outputs int `json:"outputs,omitempty"`
	Batch   int `json:"batch,omitempty"`
	Workers int `json:"workers,omitempty"`

	// AddressSpace is the child's RLIMIT_AS for this request, before
	// what it keeps from earlier ones.
	AddressSpace uint64 `json:"address_space,omitempty"`
}

type childResponse struct {
	HasInit bool `json:"has_init,omitempty"`
	// ABI is 2 for a module of Guest ABI v2, 0 (or 1) for v1.
	ABI           int        `json:"abi,omitempty"`
	Error         *wireError `json:"error,omitempty"`
	Stdout        []byte     `json:"stdout,omitempty"`
	Stderr        []byte     `json:"stderr,omitempty"`
	StdoutDropped int64      `json:"stdout_dropped,omitempty"`
	StderrDropped int64      `json:"stderr_dropped,omitempty"`
	MemoryBytes   uint64     `json:"memory_bytes,omitempty"`
	PredictNanos  int64      `json:"predict_ns,omitempty"`
	// CPUMillis is the CPU time the child has used in its life (the
	// parent retires it when it nears its budget).
	CPUMillis uint64 `json:"cpu_ms,omitempty"`
	// Settled says every instance of the run has returned: after a failed
	// run, the child can serve again.
	Settled bool `json:"settled,omitempty"`

	run bool // answers a run (the child's side only)
}

type wireError struct {
	Kind   string `json:"kind"`
	Msg    string `json:"msg"`
	Func   string `json:"func,omitempty"`
	Code   int32  `json:"code,omitempty"`
	Stderr string `json:"stderr,omitempty"`
}

// maxWireMsg bounds an error message from the child.
const maxWireMsg = 16 << 10

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// decodeRequest decodes and checks a request (the child's side).
func decodeRequest(b []byte) (childRequest, error) {
	var r childRequest
	if err := decodeStrict(b, &r); err != nil {
		return r, fmt.Errorf("decode request: %w", err)
	}
	if err := r.check(); err != nil {
		return r, fmt.Errorf("decode request: %w", err)
	}
	r.Limits = r.Limits.WithDefaults()
	return r, nil
}

func (r childRequest) check() error {
	if r.Op != opCompile && r.Op != opRun {
		return fmt.Errorf("op %q", r.Op)
	}
	if err := r.Limits.Validate(); err != nil {
		return err
	}
	if r.ModuleBytes < 0 || r.ModuleBytes > r.Limits.WithDefaults().MaxModuleBytes {
		return fmt.Errorf("module_bytes %d out of range", r.ModuleBytes)
	}
	if !isSHA256Hex(r.Module) {
		return fmt.Errorf("module %q is not a hex SHA-256", truncateString(r.Module, 80))
	}
	if r.Op == opCompile {
		return nil
	}
	if r.Rows < 0 || r.Cols < 1 || r.Outputs < 1 || r.Batch < 1 || r.Workers < 1 || r.Workers > maxWorkers {
		return fmt.Errorf("rows %d, cols %d, outputs %d, batch %d, workers %d out of range",
			r.Rows, r.Cols, r.Outputs, r.Batch, r.Workers)
	}
	const maxValues = math.MaxInt64 / 16
	if uint64(r.Rows)*uint64(r.Cols) > maxValues/8 || uint64(r.Rows)*uint64(r.Outputs) > maxValues/8 ||
		r.Cols > math.MaxInt32 || r.Outputs > math.MaxInt32 {
		return fmt.Errorf("%d rows x %d cols, %d outputs: too large", r.Rows, r.Cols, r.Outputs)
	}
	return nil
}

// decodeResponse decodes and checks a response from the child (the
// parent's side): b is untrusted.
func decodeResponse(b []byte, lim Limits) (*childResponse, error) {
	var r childResponse
	if err := decodeStrict(b, &r); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	if len(r.Stdout) > lim.OutputBytes || len(r.Stderr) > lim.OutputBytes ||
		r.StdoutDropped < 0 || r.StderrDropped < 0 || r.PredictNanos < 0 || r.MemoryBytes > lim.memoryBytes() ||
		r.ABI < 0 || r.ABI > 2 {
		return nil, errors.New("decode response: output or memory out of bounds")
	}
	if e := r.Error; e != nil {
		if _, ok := kindSentinels[e.Kind]; !ok && e.Kind != KindCanceled && e.Kind != KindInternal {
			return nil, fmt.Errorf("decode response: unknown error kind %q", truncateString(e.Kind, 64))
		}
		if len(e.Msg) > maxWireMsg || len(e.Stderr) > maxStderrExcerpt || phaseCode(e.Func) == 0 && e.Func != "" {
			return nil, errors.New("decode response: error fields out of bounds")
		}
		if e.Msg == "" {
			return nil, errors.New("decode response: error without a message")
		}
		e.Msg, e.Stderr = cleanUTF8(e.Msg), cleanUTF8(e.Stderr)
	}
	return &r, nil
}

// toError rebuilds the Error the child reported.
func (w *wireError) toError() *Error {
	return &Error{Kind: w.Kind, Msg: w.Msg, Func: w.Func, Code: w.Code, Stderr: w.Stderr}
}

// toWire describes err for the parent.
func toWire(err error) *wireError {
	var e *Error
	if errors.As(err, &e) {
		return &wireError{Kind: e.Kind, Msg: truncateString(e.Msg, maxWireMsg), Func: e.Func, Code: e.Code, Stderr: e.Stderr}
	}
	return &wireError{Kind: KindInternal, Msg: truncateString("sandbox process: "+err.Error(), maxWireMsg)}
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// childDeadline is how long the parent lets a child live.
func childDeadline(op string, lim Limits) time.Duration {
	if op == opCompile {
		return lim.CompileTimeout
	}
	return lim.Timeout
}
