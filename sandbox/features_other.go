//go:build !linux

package sandbox

// featureBacking is plain Go memory where there is no memfd.
type featureBacking struct{}

func (b *featureBacking) create(columns [][]float64, rows int) ([]float64, error) {
	data := make([]float64, rows*len(columns))
	for j, c := range columns {
		copy(data[j*rows:], c)
	}
	return data, nil
}

func (b *featureBacking) close() error { return nil }
