package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/sandbox"
)

// DefaultDispatchInFlight is the evaluations a coordinator keeps in the
// queue at once (engine workers waiting on results) when --nats is set.
const DefaultDispatchInFlight = 64

// The values of serve --nats besides a URL.
const (
	// natsEmbedded, the default: a NATS server in the process, under
	// DATA_DIR/nats, and local workers taking jobs from its queue.
	natsEmbedded = "embedded"
	// natsOff: no queue; the engine's workers run the sandbox
	// themselves (the direct path the CLI's commands use on a data dir).
	natsOff = "off"
)

// natsConfig is serve's --nats flags.
type natsConfig struct {
	nats, listen, creds string
	metrics             string // HOST:PORT of the dispatch metrics
	topology            dispatch.Topology
	shardRows           int
	localWorkers        int // local worker slots; -1: one per CPU
}

// on reports whether evaluations go through NATS.
func (nc natsConfig) on() bool { return nc.nats != natsOff }

// validate refuses an empty --nats and the flags --nats off ignores.
func (nc natsConfig) validate() error {
	if nc.nats == "" {
		return badInput(errors.New(`serve: --nats is empty: want "embedded" (the default), "off" or a nats:// URL`))
	}
	if !nc.on() && (nc.listen != "" || nc.creds != "" || nc.metrics != "") {
		return badInput(errors.New("serve: --nats-listen, --nats-creds and --nats-metrics need the queue: they do not go with --nats off"))
	}
	return nil
}

// startDispatch starts, unless --nats off, the embedded NATS server (or
// connects to an external one), the coordinator and the local workers.
// stop ends them, in the reverse order; call it after the engine closed.
func startDispatch(ctx context.Context, g *globals, nc natsConfig, log *slog.Logger) (engine.Dispatcher, func(), error) {
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	fail := func(err error) (engine.Dispatcher, func(), error) {
		stop()
		return nil, nil, err
	}
	var coordConn func() (*nats.Conn, error)
	var workerConn func() (*nats.Conn, error)
	if nc.nats == natsEmbedded {
		if nc.topology.Replicas > 1 {
			return fail(badInput(fmt.Errorf("serve: --nats-replicas %d needs a cluster: the embedded server is one node (use --nats URL1,URL2,URL3)", nc.topology.Replicas)))
		}
		dir := filepath.Join(g.dataDir, "nats")
		srv, err := dispatch.StartServer(dispatch.ServerConfig{Dir: dir, Listen: nc.listen,
			WorkerPassword: os.Getenv("VERDICT_NATS_WORKER_PASSWORD")})
		if err != nil {
			return fail(fmt.Errorf("serve: the embedded NATS server in %s: %w (--nats off evaluates in this process, without a queue)", dir, err))
		}
		stops = append(stops, srv.Close)
		coordConn = func() (*nats.Conn, error) { return srv.ConnectCoordinator() }
		workerConn = func() (*nats.Conn, error) { return srv.ConnectWorker() }
		if u := srv.WorkerURL(); u != "" {
			path := filepath.Join(dir, "worker-url")
			// Replaced, not rewritten: a file left 0644 gets 0600.
			if err := durable.WriteFile(path, []byte(u+"\n"), 0o600); err != nil {
				return fail(fmt.Errorf("write %s: %w", path, err))
			}
			// In the environment, not on a command line every user reads.
			fmt.Fprintf(g.stdout, "nats: remote workers run: VERDICT_NATS_URL=\"$(cat %s)\" verdict worker\n", path)
		}
	} else {
		if nc.listen != "" {
			return fail(badInput(errors.New("serve: --nats-listen applies to --nats embedded only")))
		}
		opts := []nats.Option{nats.Name("verdict-coordinator"), nats.MaxReconnects(-1)}
		if nc.creds != "" {
			opts = append(opts, nats.UserCredentials(nc.creds))
		}
		coordConn = func() (*nats.Conn, error) { return nats.Connect(nc.nats, opts...) }
		workerConn = coordConn
	}
	conn, err := coordConn()
	if err != nil {
		return fail(fmt.Errorf("serve: connect to nats %s: %w", redactURL(nc.nats), err))
	}
	stops = append(stops, conn.Close)
	js, err := jetstream.New(conn)
	if err != nil {
		return fail(err)
	}
	var metrics *dispatch.Metrics
	if nc.metrics != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(dispatch.QueueCollector(js))
		if metrics, err = dispatch.NewMetrics(reg); err != nil {
			return fail(err)
		}
		ln, err := net.Listen("tcp", nc.metrics)
		if err != nil {
			return fail(badInput(fmt.Errorf("serve: --nats-metrics: %w", err)))
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		stops = append(stops, func() { _ = srv.Close() })
	}
	co, err := dispatch.NewCoordinator(ctx, js, dispatch.CoordinatorConfig{Log: log, Metrics: metrics,
		Topology: nc.topology, ShardRows: nc.shardRows})
	if err != nil {
		return fail(err)
	}
	stops = append(stops, func() { _ = co.Close() })
	slots := nc.localWorkers
	if slots < 0 {
		slots = runtime.NumCPU()
	}
	if slots > 0 {
		wconn, err := workerConn()
		if err != nil {
			return fail(fmt.Errorf("serve: connect a local worker: %w", err))
		}
		stops = append(stops, wconn.Close)
		wjs, err := jetstream.New(wconn)
		if err != nil {
			return fail(err)
		}
		cache := os.Getenv("VERDICT_CACHE_DIR")
		if cache == "" {
			cache = filepath.Join(g.dataDir, "cache")
		}
		w, err := dispatch.NewWorker(ctx, wjs, dispatch.WorkerConfig{Slots: slots, CacheDir: filepath.Join(cache, "worker"), Log: log, Metrics: metrics})
		if err != nil {
			return fail(err)
		}
		// The local workers outlive SIGTERM: the drain waits for the
		// evaluations they run.
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := w.Run(wctx); err != nil {
				log.Error("local worker", "err", err)
			}
		})
		stops = append(stops, func() { cancel(); wg.Wait() })
	}
	log.Info("dispatching through nats", "nats", redactURL(nc.nats), "local_worker_slots", slots)
	return co, stop, nil
}

// lateDispatcher is the engine's Dispatcher before the NATS server may
// start (once the engine holds the data dir); nothing is evaluated before
// set is called.
type lateDispatcher struct {
	d atomic.Pointer[engine.Dispatcher]
}

func (l *lateDispatcher) set(d engine.Dispatcher) { l.d.Store(&d) }

// Dispatch implements engine.Dispatcher.
func (l *lateDispatcher) Dispatch(ctx context.Context, submission string, module []byte, columns [][]float64, outputs int, limits sandbox.Limits) (*sandbox.Result, error) {
	d := l.d.Load()
	if d == nil {
		return nil, errors.New("serve: the dispatcher is not started")
	}
	return (*d).Dispatch(ctx, submission, module, columns, outputs, limits)
}

var _ engine.Dispatcher = (*dispatch.Coordinator)(nil)
