package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/dispatch"
)

// workerConfig is worker's flags.
type workerConfig struct {
	url, creds, cache string
	metrics           string
	slots             int
	cacheMaxMB        int64
}

func newWorkerCmd(g *globals) *cobra.Command {
	var wc workerConfig
	c := &cobra.Command{
		Use:   "worker --nats URL [--creds FILE] [--slots N] [--cache DIR]",
		Short: "run evaluation jobs from a coordinator's NATS JetStream queue",
		Long: `Worker connects to the NATS server of a coordinator (verdict serve, whose
embedded server it reaches once serve has --nats-listen ADDR), takes
evaluation jobs one at a time per slot, runs each model in the sandbox with
its task's limits and publishes the predictions. It holds no store and never
sees a label: modules and feature shards come from the coordinator's object
store, checked against their SHA-256 and cached under --cache.

Credentials: a URL with the worker's user and password
(nats://worker:PASSWORD@HOST:4222, as verdict serve writes it to
DATA_DIR/nats/worker-url), or --creds FILE for a NATS credentials file. A URL
with a password is best given in VERDICT_NATS_URL, which --nats defaults to:
a command line is readable by every user of the machine. The
worker user may only take jobs, read inputs, write outputs and publish
results.

On SIGTERM or interrupt it gives the jobs it runs back to the queue and
stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return worker(cmd.Context(), g, wc)
		},
	}
	f := c.Flags()
	f.StringVar(&wc.url, "nats", os.Getenv("VERDICT_NATS_URL"), "URL of the coordinator's NATS server (required; default $VERDICT_NATS_URL)")
	f.StringVar(&wc.creds, "creds", "", "NATS credentials file (user JWT and nkey seed)")
	f.IntVar(&wc.slots, "slots", 1, "jobs run at once")
	f.StringVar(&wc.cache, "cache", "", "directory of the cache of modules, features and compiled code (default: the user's cache dir/verdict-worker)")
	f.StringVar(&wc.metrics, "metrics", "", "HOST:PORT to serve Prometheus metrics on at /metrics (jobs in flight, outcomes, redeliveries, job latency, process)")
	f.Int64Var(&wc.cacheMaxMB, "cache-max-mb", dispatch.DefaultCacheMaxBytes>>20, "largest size of the cache of modules and features, in MiB")
	return c
}

func worker(ctx context.Context, g *globals, wc workerConfig) error {
	if wc.url == "" {
		return badInput(fmt.Errorf("worker: --nats URL (or VERDICT_NATS_URL) is required"))
	}
	if wc.slots < 1 || wc.cacheMaxMB <= 0 {
		return badInput(fmt.Errorf("worker: --slots and --cache-max-mb must be positive"))
	}
	if wc.cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return badInput(fmt.Errorf("worker: no user cache dir (%w): give --cache DIR", err))
		}
		wc.cache = filepath.Join(dir, "verdict-worker")
	}
	log := slog.New(slog.NewJSONHandler(g.stderr, nil))
	opts := []nats.Option{nats.Name("verdict-worker"), nats.CustomInboxPrefix(dispatch.WorkerInbox), nats.MaxReconnects(-1)}
	if wc.creds != "" {
		opts = append(opts, nats.UserCredentials(wc.creds))
	}
	nc, err := nats.Connect(wc.url, opts...)
	if err != nil {
		return fmt.Errorf("worker: connect to %s: %w", redactURL(wc.url), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	var metrics *dispatch.Metrics
	if wc.metrics != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
		if metrics, err = dispatch.NewMetrics(reg); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", wc.metrics)
		if err != nil {
			return badInput(fmt.Errorf("worker: --metrics: %w", err))
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	}
	w, err := dispatch.NewWorker(ctx, js, dispatch.WorkerConfig{Slots: wc.slots, CacheDir: wc.cache,
		CacheMaxBytes: wc.cacheMaxMB << 20, Log: log, Metrics: metrics, Fault: faultFromEnv()})
	if err != nil {
		return err
	}
	log.Info("worker started", "nats", redactURL(wc.url), "slots", wc.slots, "cache", wc.cache)
	return w.Run(ctx)
}

// faultFromEnv arms the worker's fault hook for multi-process fault
// tests, from VERDICT_WORKER_FAULT (unset in any real deployment):
// "exit-before-run" makes the process exit (as if killed: no ack, no
// result) whenever it takes a job; "exit-before-run:ID" only when it
// takes a job of the submission ID or of the module whose SHA-256 (hex)
// is ID. Such a job ends, after --nats-max-deliver tries, as a dead
// letter and a failure of kind crash, never charged.
func faultFromEnv() func(dispatch.FaultPoint, dispatch.Job, uint64) bool {
	mode, target, _ := strings.Cut(os.Getenv("VERDICT_WORKER_FAULT"), ":")
	if mode != "exit-before-run" {
		return nil
	}
	return func(at dispatch.FaultPoint, job dispatch.Job, _ uint64) bool {
		if at == dispatch.FaultBeforeRun && (target == "" || target == job.Submission || target == job.Module) {
			os.Exit(3)
		}
		return false
	}
}

// redactURL is u without its password, for logs and errors; u may be a
// comma-separated list of a cluster's URLs, as nats.Connect takes.
func redactURL(u string) string {
	parts := strings.Split(u, ",")
	for i, s := range parts {
		p, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			parts[i] = "(invalid URL)"
			continue
		}
		parts[i] = p.Redacted()
	}
	return strings.Join(parts, ",")
}
