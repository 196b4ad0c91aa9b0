package engine

import (
	"fmt"
	"testing"
)

func TestPublic(t *testing.T) {
	// u/2^64 values computed independently (Python hashlib) for each pair.
	tests := []struct {
		seed, id string
		u        float64 // first 8 bytes of SHA-256(seed‖id) / 2^64
	}{
		{"verdict-demo-2026", "br00001", 0.22762753212620532},
		{"s", "x", 0.5908323444557643},
		{"seed", "row-42", 0.42122030292763885},
	}
	for _, tc := range tests {
		for _, f := range []float64{0.1, 0.2276, 0.2277, 0.42, 0.43, 0.5908, 0.5909, 0.99} {
			t.Run(fmt.Sprintf("%s/%s/%v", tc.seed, tc.id, f), func(t *testing.T) {
				if got, want := Public(tc.seed, tc.id, f), tc.u < f; got != want {
					t.Errorf("Public(%q, %q, %v) = %v, want %v (u = %v)", tc.seed, tc.id, f, got, want, tc.u)
				}
			})
		}
	}
}

func TestPublicEdges(t *testing.T) {
	for i := range 1000 {
		id := fmt.Sprintf("row-%d", i)
		if !Public("s", id, 1) {
			t.Fatalf("Public(%q, 1) = false, want true: fraction 1 makes every row public", id)
		}
		if Public("s", id, 0) {
			t.Fatalf("Public(%q, 0) = true, want false", id)
		}
	}
}

func TestSplitFraction(t *testing.T) {
	const n = 20000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%06d", i)
	}
	for _, f := range []float64{0.1, 0.3, 0.5, 0.9} {
		s := newSplit("seed", ids, f)
		if len(s.public)+len(s.private) != n {
			t.Fatalf("fraction %v: %d + %d rows, want %d", f, len(s.public), len(s.private), n)
		}
		got := float64(len(s.public)) / n
		if got < f-0.02 || got > f+0.02 {
			t.Errorf("fraction %v: got public share %v, want within 0.02", f, got)
		}
		other := newSplit("another seed", ids, f)
		if same := equalInts(s.public, other.public); same {
			t.Errorf("fraction %v: two seeds gave the same public rows", f)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
