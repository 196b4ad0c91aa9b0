package ledger_test

import (
	"slices"
	"testing"
	"time"

	"github.com/verdictlab/verdict/ledger"
)

// BenchmarkAppend measures an append (fsync, tiles, signed checkpoint)
// and reports its latency percentiles and the proof sizes at the end.
func BenchmarkAppend(b *testing.B) {
	l := openLedger(b, b.TempDir())
	lat := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		e := receipt(i).Encode()
		t0 := time.Now()
		if _, _, err := l.Append(e); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	_, cp := l.Checkpoint()
	if p, err := l.ProveInclusion(cp.Size/2, cp.Size); err == nil {
		b.ReportMetric(float64(len(p)*32), "inclusion-B")
	}
	if cp.Size > 1 {
		if p, err := l.ProveConsistency(cp.Size/2, cp.Size); err == nil {
			b.ReportMetric(float64(len(p)*32), "consistency-B")
		}
	}
}

func BenchmarkVerifyInclusion(b *testing.B) {
	l := openLedger(b, b.TempDir())
	appendN(b, l, 0, 1000)
	_, cp := l.Checkpoint()
	p, err := l.ProveInclusion(500, cp.Size)
	if err != nil {
		b.Fatal(err)
	}
	e := receipt(500).Encode()
	for b.Loop() {
		if err := ledger.VerifyInclusion(p, 500, cp, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendParallel measures appends from many goroutines, which
// group commit lets share an fsync.
func BenchmarkAppendParallel(b *testing.B) {
	l := openLedger(b, b.TempDir())
	e := receipt(1).Encode()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := l.Append(e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}
