package dispatch

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are a coordinator's or a worker's Prometheus metrics. A nil
// *Metrics records nothing.
type Metrics struct {
	inflight     prometheus.Gauge
	jobs         *prometheus.CounterVec
	redeliveries prometheus.Counter
	deadLetters  prometheus.Counter
	jobSeconds   prometheus.Histogram
	evalSeconds  prometheus.Histogram
}

// Job outcomes counted by verdict_dispatch_jobs_total.
const (
	outcomeDone     = "done"       // predictions published
	outcomeFailed   = "failed"     // the model's failure published
	outcomeGiveBack = "given_back" // nak: a host fault or a stop
	outcomeDropped  = "dropped"    // fault injected
)

// NewMetrics makes the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	buckets := prometheus.ExponentialBuckets(0.001, 4, 12) // 1 ms to about 70 min
	m := &Metrics{
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "verdict_dispatch_jobs_inflight",
			Help: "Jobs this worker is running."}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "verdict_dispatch_jobs_total",
			Help: "Jobs this worker handled, by outcome (done, failed, given_back, dropped)."}, []string{"outcome"}),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "verdict_dispatch_redeliveries_total",
			Help: "Jobs this worker received on a second or later try."}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "verdict_dispatch_dead_letters_total",
			Help: "Jobs this coordinator moved to the dead-letter stream after MaxDeliver tries."}),
		jobSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "verdict_dispatch_job_seconds",
			Help: "Time a worker spent on a job: fetching inputs, running the sandbox, storing predictions.", Buckets: buckets}),
		evalSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "verdict_dispatch_evaluation_seconds",
			Help: "Time from publishing an evaluation's jobs to having all its results.", Buckets: buckets}),
	}
	for _, c := range []prometheus.Collector{m.inflight, m.jobs, m.redeliveries, m.deadLetters, m.jobSeconds, m.evalSeconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) jobStarted(delivery uint64) {
	if m == nil {
		return
	}
	m.inflight.Inc()
	if delivery > 1 {
		m.redeliveries.Inc()
	}
}

func (m *Metrics) jobEnded(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.inflight.Dec()
	m.jobs.WithLabelValues(outcome).Inc()
	if outcome == outcomeDone || outcome == outcomeFailed {
		m.jobSeconds.Observe(d.Seconds())
	}
}

func (m *Metrics) deadLetter() {
	if m != nil {
		m.deadLetters.Inc()
	}
}

func (m *Metrics) evaluated(d time.Duration) {
	if m != nil {
		m.evalSeconds.Observe(d.Seconds())
	}
}

// QueueCollector reports, at each scrape, the messages of each of
// verdict's streams and the workers' consumer's pending and unacked jobs
// (verdict_dispatch_stream_messages, verdict_dispatch_jobs_pending,
// verdict_dispatch_jobs_unacked). It asks the server, within 2 s.
func QueueCollector(js jetstream.JetStream) prometheus.Collector {
	return &queueCollector{js: js}
}

type queueCollector struct{ js jetstream.JetStream }

var (
	streamMsgsDesc = prometheus.NewDesc("verdict_dispatch_stream_messages", "Messages in a dispatch stream.", []string{"stream"}, nil)
	pendingDesc    = prometheus.NewDesc("verdict_dispatch_jobs_pending", "Jobs no worker has taken yet.", nil, nil)
	unackedDesc    = prometheus.NewDesc("verdict_dispatch_jobs_unacked", "Jobs taken by workers and not yet acked.", nil, nil)
)

// Describe implements prometheus.Collector.
func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- streamMsgsDesc
	ch <- pendingDesc
	ch <- unackedDesc
}

// Collect implements prometheus.Collector.
func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range []string{JobsStream, ResultsStream, AdvisoriesStream, DeadStream} {
		s, err := q.js.Stream(ctx, name)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(streamMsgsDesc, prometheus.GaugeValue, float64(s.CachedInfo().State.Msgs), name)
	}
	cons, err := q.js.Consumer(ctx, JobsStream, WorkersConsumer)
	if err != nil {
		return
	}
	info := cons.CachedInfo()
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(info.NumPending))
	ch <- prometheus.MustNewConstMetric(unackedDesc, prometheus.GaugeValue, float64(info.NumAckPending))
}
