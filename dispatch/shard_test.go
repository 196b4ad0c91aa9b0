package dispatch_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/verdictlab/verdict/dispatch"
)

func TestShardRoundTrip(t *testing.T) {
	cols := features(37, 3, 11)
	cols[1][5] = math.NaN()
	cols[2][7] = math.Inf(-1)
	var b bytes.Buffer
	if err := dispatch.EncodeShard(&b, cols, 10, 30); err != nil {
		t.Fatal(err)
	}
	got, err := dispatch.DecodeShard(bytes.NewReader(b.Bytes()), 20, 3)
	if err != nil {
		t.Fatalf("DecodeShard: %v", err)
	}
	want := make([][]float64, 3)
	for j := range cols {
		want[j] = cols[j][10:30]
	}
	sameBits(t, got, want)
}

func TestDecodeShardErrors(t *testing.T) {
	var good bytes.Buffer
	if err := dispatch.EncodeShard(&good, features(4, 2, 12), 0, 4); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	tests := []struct {
		name       string
		data       []byte
		rows, cols int
	}{
		{"ErrShard/empty", nil, -1, -1},
		{"ErrShard/magic", append([]byte("XXXX"), g[4:]...), -1, -1},
		{"ErrShard/truncated", g[:len(g)-1], -1, -1},
		{"ErrShard/trailing", append(append([]byte{}, g...), 0), -1, -1},
		{"ErrShard/rows", g, 5, 2},
		{"ErrShard/cols", g, 4, 1},
		{"ErrShard/huge", []byte("VSHD\xff\xff\xff\xff\xff\xff\xff\xff"), -1, -1},
		{"ErrShard/no-columns", []byte("VSHD\x01\x00\x00\x00\x00\x00\x00\x00"), -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dispatch.DecodeShard(bytes.NewReader(tc.data), tc.rows, tc.cols)
			if !errors.Is(err, dispatch.ErrShard) {
				t.Fatalf("got %v, want ErrShard", err)
			}
		})
	}
}

// FuzzDecodeShard: a shard is untrusted (a worker's predictions, an
// object in a bucket): decoding never panics, and what decodes encodes
// back to the same bytes.
func FuzzDecodeShard(f *testing.F) {
	var b bytes.Buffer
	_ = dispatch.EncodeShard(&b, features(3, 2, 13), 0, 3)
	f.Add(b.Bytes())
	f.Add([]byte("VSHD\x00\x00\x00\x00\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		cols, err := dispatch.DecodeShard(bytes.NewReader(data), -1, -1)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := dispatch.EncodeShard(&out, cols, 0, len(cols[0])); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("round trip: got %x, want %x", out.Bytes(), data)
		}
	})
}
