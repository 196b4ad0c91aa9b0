package dispatch

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/verdictlab/verdict/sandbox"
)

// Job is one shard of one submission: what a worker runs. It names its
// inputs by SHA-256 and carries no label.
type Job struct {
	// Submission is the submission's id.
	Submission string `json:"submission"`
	// Start and End are the shard's rows [Start, End) in the task's row
	// order.
	Start int `json:"start"`
	End   int `json:"end"`
	// Module is the SHA-256 (hex) of the module in InputsBucket.
	Module string `json:"module"`
	// Features is the SHA-256 (hex) of the shard's features in
	// InputsBucket (EncodeShard's format, End-Start rows).
	Features string `json:"features"`
	// Outputs is the number of outputs per row.
	Outputs int `json:"outputs"`
	// Limits are the task's sandbox limits.
	Limits sandbox.Limits `json:"limits"`
}

// ID is the job's dedupe id: see JobID.
func (j Job) ID() string { return JobID(j.Submission, j.Start, j.End, j.Identity()) }

// Identity is the first 16 hex digits of the SHA-256 of what the job
// computes: its module and features (by their SHA-256), outputs and
// limits. Two jobs of one submission and rows with another identity are
// different work.
func (j Job) Identity() string {
	lim, _ := json.Marshal(j.Limits) // a struct of numbers: never fails
	return sha256Hex(fmt.Appendf(nil, "%s\n%s\n%d\n%s", j.Module, j.Features, j.Outputs, lim))[:16]
}

// Subject is where the job is published.
func (j Job) Subject() string { return jobsPrefix + j.Submission + "." + jobToken(j.Start, j.End) }

// resultSubject is where the job's result is published.
func (j Job) resultSubject() string {
	return resultsPrefix + j.Submission + "." + jobToken(j.Start, j.End)
}

// Validate reports a job a worker must not run.
func (j Job) Validate() error {
	if err := checkToken(j.Submission); err != nil {
		return err
	}
	if j.Start < 0 || j.End <= j.Start {
		return fmt.Errorf("job %s: rows [%d, %d): %w", j.ID(), j.Start, j.End, ErrShard)
	}
	if !isSHA256(j.Module) || !isSHA256(j.Features) {
		return fmt.Errorf("job %s: module %.64q or features %.64q is not a SHA-256: %w", j.ID(), j.Module, j.Features, ErrShard)
	}
	if j.Outputs < 1 || j.Outputs > maxOutputs {
		return fmt.Errorf("job %s: %d outputs: %w", j.ID(), j.Outputs, ErrShard)
	}
	return j.Limits.Validate()
}

// decodeJob parses a job message.
func decodeJob(b []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return Job{}, fmt.Errorf("decode job: %w: %w", err, ErrShard)
	}
	return j, j.Validate()
}

// Result is a job's outcome, published once per job id.
type Result struct {
	// Job is the job's id; Submission, Start and End repeat the job's.
	Job        string `json:"job"`
	Submission string `json:"submission"`
	Start      int    `json:"start"`
	End        int    `json:"end"`
	// Predictions is the SHA-256 (hex) of the predictions in
	// OutputsBucket (EncodeShard's format: End-Start rows, one column per
	// output); empty when Failure is set.
	Predictions string `json:"predictions,omitempty"`
	// Failure is why the sandbox refused or failed the model.
	Failure *Failure `json:"failure,omitempty"`
	// Worker names the worker that ran it (for logs).
	Worker string `json:"worker,omitempty"`
	// Sandbox measurements of the run.
	ElapsedNS   int64  `json:"elapsed_ns,omitempty"`
	PredictNS   int64  `json:"predict_ns,omitempty"`
	MemoryBytes uint64 `json:"memory_bytes,omitempty"`
	BatchRows   int    `json:"batch_rows,omitempty"`
	Deliveries  uint64 `json:"deliveries,omitempty"`
}

// Failure is a typed sandbox failure: the fields of a *sandbox.Error,
// whose messages are written for the participant. Kind crash is a host
// fault (never charged).
type Failure struct {
	Kind   string `json:"kind"`
	Msg    string `json:"msg"`
	Func   string `json:"func,omitempty"`
	Code   int32  `json:"code,omitempty"`
	Stderr string `json:"stderr,omitempty"`
}

// Err is f as the *sandbox.Error the direct path would have returned.
func (f *Failure) Err() error {
	return &sandbox.Error{Kind: f.Kind, Msg: f.Msg, Func: f.Func, Code: f.Code, Stderr: f.Stderr}
}

// failureOf describes a sandbox error; ok is false for an error that is
// not the model's (a crash, a cancellation, an internal fault): the job
// is tried again instead.
func failureOf(err error) (f *Failure, ok bool) {
	var se *sandbox.Error
	if !errors.As(err, &se) {
		return nil, false
	}
	switch se.Kind {
	case sandbox.KindCrash, sandbox.KindCanceled, sandbox.KindInternal, sandbox.KindInvalidInput:
		return nil, false
	}
	return &Failure{Kind: se.Kind, Msg: se.Msg, Func: se.Func, Code: se.Code, Stderr: se.Stderr}, true
}

// The shard format: "VSHD", rows and columns as little-endian uint32,
// then the values column-major as little-endian float64. Feature and
// prediction shards share it.
const (
	shardMagic  = "VSHD"
	shardHeader = 12
	maxOutputs  = 1 << 16
	// MaxShardCells bounds rows × columns of a shard a worker or
	// coordinator decodes: 2^28 values, 2 GiB.
	MaxShardCells = 1 << 28
)

// shardSize is the encoded size of a rows × cols shard.
func shardSize(rows, cols int) int64 { return shardHeader + 8*int64(rows)*int64(cols) }

// EncodeShard writes rows [start, end) of columns in the shard format.
func EncodeShard(w io.Writer, columns [][]float64, start, end int) error {
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, shardMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(end-start))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(columns)))
	for _, col := range columns {
		for _, v := range col[start:end] {
			if len(buf)+8 > cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	_, err := w.Write(buf)
	return err
}

// hashShard returns the SHA-256 (hex) of EncodeShard's bytes, without
// keeping them.
func hashShard(columns [][]float64, start, end int) string {
	h := sha256.New()
	_ = EncodeShard(h, columns, start, end) // a hash never fails to write
	return hex.EncodeToString(h.Sum(nil))
}

// DecodeShard reads a shard of exactly rows rows and cols columns (a
// negative value accepts any) from r, which must end after it.
func DecodeShard(r io.Reader, rows, cols int) ([][]float64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var hdr [shardHeader]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("shard header: %w: %w", err, ErrShard)
	}
	if string(hdr[:4]) != shardMagic {
		return nil, fmt.Errorf("shard: magic %q, want %q: %w", hdr[:4], shardMagic, ErrShard)
	}
	gotRows, gotCols := int(binary.LittleEndian.Uint32(hdr[4:])), int(binary.LittleEndian.Uint32(hdr[8:]))
	if (rows >= 0 && gotRows != rows) || (cols >= 0 && gotCols != cols) {
		return nil, fmt.Errorf("shard: %d rows × %d columns, want %d × %d: %w", gotRows, gotCols, rows, cols, ErrShard)
	}
	if gotRows == 0 || gotCols == 0 || uint64(gotRows)*uint64(gotCols) > MaxShardCells {
		return nil, fmt.Errorf("shard: %d rows × %d columns out of bounds: %w", gotRows, gotCols, ErrShard)
	}
	// Columns grow as bytes arrive: a header that lies about its size
	// costs the memory of the bytes sent, not of the size claimed.
	out := make([][]float64, 0, min(gotCols, 1<<10))
	chunk := make([]byte, 64<<10)
	for j := range gotCols {
		col := make([]float64, 0, min(gotRows, 1<<16))
		for len(col) < gotRows {
			n := min(gotRows-len(col), len(chunk)/8)
			if _, err := io.ReadFull(br, chunk[:8*n]); err != nil {
				return nil, fmt.Errorf("shard: column %d row %d: %w: %w", j, len(col), err, ErrShard)
			}
			for i := range n {
				col = append(col, math.Float64frombits(binary.LittleEndian.Uint64(chunk[8*i:])))
			}
		}
		out = append(out, col)
	}
	var b [1]byte
	if n, _ := br.Read(b[:]); n != 0 {
		return nil, fmt.Errorf("shard: trailing bytes after %d × %d values: %w", gotRows, gotCols, ErrShard)
	}
	return out, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
