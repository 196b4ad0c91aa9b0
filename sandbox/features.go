package sandbox

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Features is a feature matrix prepared once for many Runs, possibly of
// many modules: the columns of an Input, copied into one read-only
// column-major float64 buffer. On Linux the buffer is a sealed in-memory
// file (memfd) that Process isolation maps into every child, so a Run
// copies each value once, from the mapping into guest memory, and a child
// can neither change the features nor see anything but them (never a
// label). A pooled child keeps the last features it mapped from one Run
// to the next, so their pages outlive Close until that child maps other
// features or exits. It is safe for concurrent use; Close it when no Run
// uses it.
type Features struct {
	rows, cols int
	id         uint64      // unique in this process: children keep it mapped by it
	columns    [][]float64 // views of the buffer
	backing    featureBacking

	mu     sync.RWMutex // held for reading by Runs, for writing by Close
	closed atomic.Bool
}

var featureIDs atomic.Uint64

// NewFeatures copies columns (one slice per feature, all of the same
// length, nulls NaN) into a new Features.
func NewFeatures(columns [][]float64) (*Features, error) {
	if len(columns) == 0 {
		return nil, &Error{Kind: KindInvalidInput, Msg: "invalid input: no feature columns"}
	}
	rows := len(columns[0])
	for j, c := range columns {
		if len(c) != rows {
			return nil, &Error{Kind: KindInvalidInput, Msg: fmt.Sprintf(
				"invalid input: column %d has %d rows, column 0 has %d", j, len(c), rows)}
		}
	}
	f := &Features{rows: rows, cols: len(columns), id: featureIDs.Add(1)}
	data, err := f.backing.create(columns, rows)
	if err != nil {
		return nil, fmt.Errorf("sandbox: prepare features: %w", err)
	}
	f.columns = make([][]float64, len(columns))
	for j := range columns {
		f.columns[j] = data[j*rows : (j+1)*rows : (j+1)*rows]
	}
	return f, nil
}

// Rows returns the number of rows.
func (f *Features) Rows() int { return f.rows }

// Columns returns read-only views of the feature columns. They are valid
// until Close; writing to them faults on Linux.
func (f *Features) Columns() [][]float64 { return f.columns }

// Close releases the buffer. Runs using f must have returned.
func (f *Features) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Swap(true) {
		return nil
	}
	f.columns = nil
	return f.backing.close()
}

// acquire keeps f open until release; it fails once f is closed.
func (f *Features) acquire() bool {
	f.mu.RLock()
	if f.closed.Load() {
		f.mu.RUnlock()
		return false
	}
	return true
}

func (f *Features) release() { f.mu.RUnlock() }
