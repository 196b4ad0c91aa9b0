//go:build !linux

package sandbox

// featureBacking is plain Go memory where there is no memfd.
type featureBacking struct{}

func (b *featureBacking) create(columns [][]float64, rows int) ([]float64, error) {
	data := make([]float64, padRows(rows)*len(columns))
	for j, c := range columns {
		copy(data[j*padRows(rows):], c)
	}
	return data, nil
}

// fd returns -1: there is no file to map.
func (b *featureBacking) fd() int { return -1 }

func (b *featureBacking) close() error { return nil }
