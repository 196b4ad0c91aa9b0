package dispatch_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// gathered returns the value of the metric name whose labels include
// label=value (label "" for none), summing histograms' counts.
func gathered(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					match = true
				}
			}
			if !match {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

// TestMetrics: a job that dies on every try shows as redeliveries, drops
// and one dead letter; the others as done jobs; the queue is empty after.
func TestMetrics(t *testing.T) {
	c := newCluster(t, 300)
	reg := prometheus.NewRegistry()
	m, err := dispatch.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(dispatch.QueueCollector(c.js)); err != nil {
		t.Fatal(err)
	}
	// The coordinator of newCluster has no metrics: one with them.
	co, err := dispatch.NewCoordinator(context.Background(), c.js, dispatch.CoordinatorConfig{
		Topology: testTopology, ShardRows: 300, Log: testLog(t), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	c.co.Close() // one coordinator follows the advisories
	defer co.Close()
	stop := c.startWorker(t, dispatch.WorkerConfig{Slots: 2, Metrics: m, Fault: func(at dispatch.FaultPoint, j dispatch.Job, _ uint64) bool {
		return at == dispatch.FaultBeforeRun && j.Start == 0
	}})
	_, err = co.Evaluate(context.Background(), dispatch.Evaluation{Submission: "sub-metrics",
		Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: features(900, 2, 30), Outputs: 1, Limits: limits})
	if err == nil {
		t.Fatal("Evaluate: got no error, want a crash")
	}
	stop() // its last job's counts land after the result is out
	max := float64(testTopology.MaxDeliver)
	tests := []struct {
		name, metric, label, value string
		want                       float64
	}{
		{"dead letters", "verdict_dispatch_dead_letters_total", "", "", 1},
		{"redeliveries", "verdict_dispatch_redeliveries_total", "", "", max - 1},
		{"dropped", "verdict_dispatch_jobs_total", "outcome", "dropped", max},
		{"done", "verdict_dispatch_jobs_total", "outcome", "done", 2},
		{"job latency", "verdict_dispatch_job_seconds", "", "", 2},
		{"evaluation latency", "verdict_dispatch_evaluation_seconds", "", "", 1},
		{"in flight", "verdict_dispatch_jobs_inflight", "", "", 0},
		{"queue", "verdict_dispatch_stream_messages", "stream", dispatch.JobsStream, 0},
		{"dead stream", "verdict_dispatch_stream_messages", "stream", dispatch.DeadStream, 1},
		{"pending", "verdict_dispatch_jobs_pending", "", "", 0},
	}
	for _, tc := range tests {
		if got := gathered(t, reg, tc.metric, tc.label, tc.value); got != tc.want {
			t.Errorf("%s (%s): got %v, want %v", tc.name, tc.metric, got, tc.want)
		}
	}
}
