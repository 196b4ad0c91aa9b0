package market

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/verdictlab/verdict/engine"
)

// Media types of predictions (WritePredictions).
const (
	MediaCSV   = "text/csv"
	MediaArrow = "application/vnd.apache.arrow.stream"
)

// WritePredictions writes p as a table: the id column (named idColumn),
// then one float64 column per output; media is MediaCSV (full precision)
// or MediaArrow (an Arrow IPC stream).
func WritePredictions(w io.Writer, media, idColumn string, p *engine.Predictions) error {
	switch media {
	case MediaCSV:
		cw := csv.NewWriter(w)
		rec := append([]string{idColumn}, p.Columns...)
		_ = cw.Write(rec)
		for i, id := range p.IDs {
			rec[0] = id
			for k := range p.Values {
				rec[k+1] = strconv.FormatFloat(p.Values[k][i], 'g', -1, 64)
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	case MediaArrow:
		fields := []arrow.Field{{Name: idColumn, Type: arrow.BinaryTypes.String}}
		for _, c := range p.Columns {
			fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Float64})
		}
		schema := arrow.NewSchema(fields, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.StringBuilder).AppendValues(p.IDs, nil)
		for k := range p.Values {
			b.Field(k+1).(*array.Float64Builder).AppendValues(p.Values[k], nil)
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		iw := ipc.NewWriter(w, ipc.WithSchema(schema))
		if err := iw.Write(rec); err != nil {
			iw.Close()
			return fmt.Errorf("write predictions as arrow: %w", err)
		}
		return iw.Close()
	}
	return fmt.Errorf("predictions as %q: want %s or %s: %w", media, MediaCSV, MediaArrow, engine.ErrBadRequest)
}
