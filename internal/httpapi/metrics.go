package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// metrics are the server's Prometheus metrics, written in the text
// exposition format (version 0.0.4) by hand: five families do not need
// client_golang and its dependencies (RATIONALE.md, "Why hand-written
// Prometheus metrics?").
type metrics struct {
	mu          sync.Mutex
	evaluations map[string]uint64 // by outcome
	evalLatency histogram
	requests    map[[2]string]uint64 // by route, code
	httpLatency map[string]*histogram
}

// Bucket upper bounds, in seconds.
var (
	evalBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
	httpBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}
)

func newMetrics() *metrics {
	return &metrics{
		evaluations: map[string]uint64{},
		evalLatency: histogram{bounds: evalBuckets, counts: make([]uint64, len(evalBuckets))},
		requests:    map[[2]string]uint64{},
		httpLatency: map[string]*histogram{},
	}
}

// histogram is a cumulative Prometheus histogram.
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func (h *histogram) observe(v float64) {
	if i, _ := slices.BinarySearch(h.bounds, v); i < len(h.counts) {
		h.counts[i]++
	}
	h.sum += v
	h.count++
}

func (h *histogram) write(w io.Writer, name, labels string) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=%q} %d\n", name, labels, sep, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, h.count)
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n", name, labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
	fmt.Fprintf(w, "%s_count%s %d\n", name, labels, h.count)
}

// evaluation is the engine observer.
func (m *metrics) evaluation(ev engine.Evaluation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evaluations[ev.Outcome]++
	if ev.Outcome != engine.OutcomeRequeued {
		m.evalLatency.observe(ev.Elapsed.Seconds())
	}
}

func (m *metrics) request(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	h := m.httpLatency[route]
	if h == nil {
		h = &histogram{bounds: httpBuckets, counts: make([]uint64, len(httpBuckets))}
		m.httpLatency[route] = h
	}
	h.observe(d.Seconds())
}

// labelValue escapes a label value for the text format.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func (s *Server) metricsPage(w http.ResponseWriter, _ *http.Request) {
	q := s.e.Queue()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP verdict_queue_depth Submissions accepted and waiting for a worker.\n# TYPE verdict_queue_depth gauge\nverdict_queue_depth %d\n", q.Queued)
	fmt.Fprintf(w, "# HELP verdict_evaluations_running Submissions being evaluated now.\n# TYPE verdict_evaluations_running gauge\nverdict_evaluations_running %d\n", q.Running)
	fmt.Fprintf(w, "# HELP verdict_evaluations_total Evaluations finished, by outcome (scored, failed: the model's fault, host: the host's, requeued: left for the next start).\n# TYPE verdict_evaluations_total counter\n")
	for _, o := range []string{engine.OutcomeScored, engine.OutcomeFailed, engine.OutcomeHost, engine.OutcomeRequeued} {
		fmt.Fprintf(w, "verdict_evaluations_total{outcome=%q} %d\n", o, m.evaluations[o])
	}
	fmt.Fprintf(w, "# HELP verdict_evaluation_duration_seconds How long each guest ran.\n# TYPE verdict_evaluation_duration_seconds histogram\n")
	m.evalLatency.write(w, "verdict_evaluation_duration_seconds", "")
	fmt.Fprintf(w, "# HELP verdict_http_requests_total HTTP requests, by route pattern and status code.\n# TYPE verdict_http_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		fmt.Fprintf(w, "verdict_http_requests_total{route=\"%s\",code=%q} %d\n", labelValue(k[0]), k[1], m.requests[k])
	}
	fmt.Fprintf(w, "# HELP verdict_http_request_duration_seconds HTTP request latency, by route pattern.\n# TYPE verdict_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.httpLatency))
	for r := range m.httpLatency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		m.httpLatency[r].write(w, "verdict_http_request_duration_seconds", "route=\""+labelValue(r)+"\"")
	}
}
