package dispatch_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// BenchmarkEvaluate compares one evaluation through the queue (embedded
// server, one worker, one slot, one shard) with the direct path (one
// sandbox Run in process), on the same runtime settings: the difference
// is the queue's cost per job. p50-ms and p99-ms are per evaluation.
func BenchmarkEvaluate(b *testing.B) {
	for _, rows := range []int{1000, 100_000} {
		cols := features(rows, 10, 20)
		module := sandboxtest.Wasm(sandboxtest.Linear)
		ctx := context.Background()
		b.Run(fmt.Sprintf("rows=%d/direct", rows), func(b *testing.B) {
			rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: limits, Isolation: sandbox.Preferred()})
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close(ctx)
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				m, err := rt.Compile(ctx, module)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1}); err != nil {
					b.Fatal(err)
				}
				m.Close(ctx)
				lat = append(lat, time.Since(start))
			}
			reportLatency(b, lat)
		})
		b.Run(fmt.Sprintf("rows=%d/queue", rows), func(b *testing.B) {
			c := newCluster(b, 0)
			c.startWorker(b, dispatch.WorkerConfig{Slots: 1})
			lat := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				i++
				start := time.Now()
				if _, err := c.co.Evaluate(ctx, dispatch.Evaluation{Submission: fmt.Sprintf("bench-%d", i),
					Module: module, Columns: cols, Outputs: 1, Limits: limits}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			reportLatency(b, lat)
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// BenchmarkSharded is the latency of one evaluation of a 3e6-row task
// (2 features, shards of 2^20 rows) with 1 worker and with 2 workers (one
// slot and one sandbox instance each), against the direct path with one
// instance: what sharding buys when the workers have cores to spare.
func BenchmarkSharded(b *testing.B) {
	const rows = 3_000_000
	cols := features(rows, 2, 50)
	module := sandboxtest.Wasm(sandboxtest.CLinear)
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: limits, Isolation: sandbox.Preferred(), Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close(ctx)
		for b.Loop() {
			m, err := rt.Compile(ctx, module)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1}); err != nil {
				b.Fatal(err)
			}
			m.Close(ctx)
		}
	})
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c := newCluster(b, dispatch.DefaultShardRows)
			for range workers {
				c.startWorker(b, dispatch.WorkerConfig{Slots: 1, SandboxWorkers: 1})
			}
			i := 0
			for b.Loop() {
				i++
				if _, err := c.co.Evaluate(ctx, dispatch.Evaluation{Submission: fmt.Sprintf("big-%d", i),
					Module: module, Columns: cols, Outputs: 1, Limits: limits}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
