package sandbox

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// CheckDeterminism runs m on in, then again on the same rows shuffled (a
// permutation drawn from seed) with a different batch size, and requires
// bit-identical predictions for every row. It returns the first run's
// Result, so a caller scores what it checked. A model whose outputs depend
// on the batch, the row order or earlier calls fails with
// ErrNondeterministic (kind "nondeterministic"), naming the first row that
// changed; an error of either run is returned as is. in.Progress counts
// the rows of both runs: up to twice the rows of in.
func CheckDeterminism(ctx context.Context, m *Module, in Input, seed uint64) (*Result, error) {
	first, err := m.Run(ctx, in)
	if err != nil {
		return nil, err
	}
	cols := in.columns()
	rows := len(cols[0])
	perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(rows)
	shuffled := make([][]float64, len(cols))
	for j, c := range cols {
		s := make([]float64, rows)
		for i, p := range perm {
			s[i] = c[p]
		}
		shuffled[j] = s
	}
	batch := first.BatchRows
	second := Input{Columns: shuffled, Outputs: in.Outputs, BatchRows: otherBatch(batch, rows)}
	if in.Progress != nil {
		second.Progress = func(done int) { in.Progress(rows + done) }
	}
	again, err := m.Run(ctx, second)
	if err != nil {
		return nil, err
	}
	for k := range first.Outputs {
		for i, p := range perm {
			a, b := first.Outputs[k][p], again.Outputs[k][i]
			if math.Float64bits(a) != math.Float64bits(b) {
				return nil, &Error{Kind: KindNondeterministic, Func: "verdict_predict", Msg: fmt.Sprintf(
					"nondeterministic model: row %d, output %d was %v with batches of %d rows and %v "+
						"with the rows shuffled in batches of %d; a model must be a pure function of each row",
					p, k, a, batch, b, again.BatchRows)}
			}
		}
	}
	return first, nil
}

// otherBatch picks a batch size different from batch when rows allow:
// odd-sized, so batch boundaries fall elsewhere.
func otherBatch(batch, rows int) int {
	b := max(1, batch/3) | 1
	if b == batch && batch > 1 {
		b = batch - 1
	}
	return min(b, max(rows, 1))
}
