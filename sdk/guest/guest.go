package guest

import (
	"errors"
	"fmt"
	"math"
)

// Codes verdict_predict returns; the host reports any non-zero code as a
// guest error with that number.
const (
	CodeOK           = 0
	CodeNoModel      = 1 // no PredictFunc was registered
	CodeBadArguments = 2 // pointers or sizes outside the buffers handed out
	CodeError        = 3 // the PredictFunc returned an error
)

// Batch is one call of verdict_predict_v2 (or verdict_predict): Rows rows
// of Cols features in, Outs outputs per row out, both column-major float64
// as the ABI lays them out, columns Stride values apart. Under Guest ABI
// v2, which this package exports, the host places whole columns in memory
// and Stride is usually larger than Rows: read columns with Feature and
// write them with Output, or index X[j*Stride+i], never X[j*Rows+i].
type Batch struct {
	X      []float64 // feature j of row i at X[j*Stride+i]; missing values are NaN
	Rows   int
	Cols   int
	Y      []float64 // output k of row i at Y[k*Stride+i]
	Outs   int
	Stride int // distance between columns of X and of Y; 0 means Rows
}

func (b Batch) stride() int {
	if b.Stride == 0 {
		return b.Rows
	}
	return b.Stride
}

// Feature returns feature column j (a view into X).
func (b Batch) Feature(j int) []float64 {
	s := b.stride()
	return b.X[j*s : j*s+b.Rows : j*s+b.Rows]
}

// Output returns output column k (a view into Y) for the model to fill.
func (b Batch) Output(k int) []float64 {
	s := b.stride()
	return b.Y[k*s : k*s+b.Rows : k*s+b.Rows]
}

// span is how many values from the start of a column-major area of n
// columns a Batch uses: the last column ends Rows into it.
func span(n, rows, stride int) int {
	if n == 0 {
		return 0
	}
	return (n-1)*stride + rows
}

// PredictFunc fills b.Y from b.X. It must be a pure function of each row:
// the host calls it with any batch size, in any order, any number of times.
type PredictFunc func(b Batch) error

var model PredictFunc

// Register makes f the model. Call it once, from init.
func Register(f PredictFunc) {
	if f == nil {
		panic("guest: Register(nil)")
	}
	model = f
}

// predict runs the registered model and maps the outcome to an ABI code.
func predict(b Batch) int32 {
	if model == nil {
		return CodeNoModel
	}
	if err := model(b); err != nil {
		reportError(err)
		return CodeError
	}
	return CodeOK
}

// ErrNoModel is returned by Run when no PredictFunc was registered.
var ErrNoModel = errors.New("guest: no model registered (call guest.Register in init)")

// Run calls the registered model the way the host does: columns (one slice
// per feature, all the same length) are cut into batches of at most
// batchRows rows (0 means all at once), laid out column-major with columns
// a multiple of 512 values apart as under Guest ABI v2 (so a model that
// ignores Batch.Stride fails here too), and the outputs collected
// column-major: out[k][i] is output k of row i. Use it to test a model
// natively.
func Run(cols [][]float64, outs, batchRows int) ([][]float64, error) {
	if model == nil {
		return nil, ErrNoModel
	}
	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0])
	}
	for j, c := range cols {
		if len(c) != rows {
			return nil, fmt.Errorf("guest: column %d has %d rows, column 0 has %d", j, len(c), rows)
		}
	}
	if outs < 1 {
		return nil, fmt.Errorf("guest: %d outputs, want at least 1", outs)
	}
	if batchRows <= 0 || batchRows > rows {
		batchRows = max(rows, 1)
	}
	out := make([][]float64, outs)
	for k := range out {
		out[k] = make([]float64, rows)
	}
	stride := (batchRows + 511) / 512 * 512
	x := make([]float64, stride*len(cols))
	y := make([]float64, stride*outs)
	for start := 0; start < rows; start += batchRows {
		n := min(batchRows, rows-start)
		b := Batch{X: x[:span(len(cols), n, stride)], Rows: n, Cols: len(cols),
			Y: y[:span(outs, n, stride)], Outs: outs, Stride: stride}
		for j, c := range cols {
			copy(b.Feature(j), c[start:start+n])
		}
		for k := range outs {
			for i := range b.Output(k) {
				b.Output(k)[i] = math.NaN() // an output the model forgets is visible
			}
		}
		if err := model(b); err != nil {
			return nil, fmt.Errorf("guest: rows %d to %d: %w", start+1, start+n, err)
		}
		for k := range out {
			copy(out[k][start:start+n], b.Output(k))
		}
	}
	return out, nil
}
