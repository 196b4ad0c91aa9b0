package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/internal/web"
	"github.com/verdictlab/verdict/issuer"
	"github.com/verdictlab/verdict/market"
)

// DefaultShutdownGrace bounds how long serve waits, on SIGTERM, for the
// requests and evaluations in flight.
const DefaultShutdownGrace = 30 * time.Second

// serveConfig is serve's flags.
type serveConfig struct {
	addr          string
	init          bool
	grace         time.Duration
	baseURL       string
	workers       int
	queue         int
	maxDatasetMB  int64
	uploadRate    float64
	uploadBurst   int
	ipUploadRate  float64
	ipUploadBurst int
	anonRate      float64
	anonBurst     int
	inflightMB    int64
	clientMB      int64
	cacheMaxMB    int64
	issuerAPI     bool
	tlsCert       string
	tlsKey        string
	quota         market.Quota // metered predict, per caller and UTC day
	nats          natsConfig
}

func newServeCmd(g *globals) *cobra.Command {
	var sc serveConfig
	c := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--init]",
		Short: "serve the HTTP API over the data dir",
		Long: `Serve opens the data dir, evaluates again whatever a crash or a shutdown left
queued (in the background), and serves the HTTP API (GET /openapi.json
describes it) and the web pages (/, /tasks/{id}, /market …), with JSON logs
on stderr, Prometheus metrics at /metrics and /healthz.

The host authenticates with a bearer token: --init prints one on the first
start (verdict token create makes more). Participants sign each request with
their did:key (RFC 9421 HTTP Message Signatures); anyone else sees what the
competition rules make public.

On SIGTERM or interrupt it stops accepting, lets requests and running
evaluations finish within --grace, leaves the queued submissions queued for
the next start, and closes the store.

--tls-cert and --tls-key serve HTTPS (verifiers fetch status lists only over
https; set --base-url to the https URL they reach). --issuer-api also serves
the W3C VC-API issuer to the host: it signs credentials the host supplies
with a key of its own (DIR/issuer.key), never the host key. POST
/credentials/verify is always served, to anyone.

Evaluations go through a NATS JetStream work queue by default: a server
embedded in this process (under DATA_DIR/nats) and --workers local worker
slots (one per CPU) take the jobs, as remote workers (verdict worker) may
once --nats-listen lets them in; tasks with a deterministic gate, re-runs
and baselines run in this process. --nats URL uses an external NATS
instead; --nats off evaluates in this process without a queue, as the
commands run on a data dir without a server do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sc.nats.localWorkers = -1
			if cmd.Flags().Changed("workers") {
				sc.nats.localWorkers = sc.workers
			}
			return serve(cmd.Context(), g, sc)
		},
	}
	f := c.Flags()
	f.StringVar(&sc.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.BoolVar(&sc.init, "init", false, "make and print a host token if the data dir has none")
	f.DurationVar(&sc.grace, "grace", DefaultShutdownGrace, "on SIGTERM, how long requests and running evaluations may take to finish")
	f.StringVar(&sc.baseURL, "base-url", "", "public URL of this server: credentials point at BASE/status/1 (default "+engine.DefaultBaseURL+")")
	f.IntVar(&sc.workers, "workers", 0, "local worker slots of the NATS queue, 0: dispatch only, to remote workers (with --nats off: evaluations run at once; default: one per CPU)")
	f.IntVar(&sc.queue, "queue", 0, "submissions that may wait for a worker before uploads get 503 (default 4 per worker)")
	f.Int64Var(&sc.maxDatasetMB, "max-dataset-mb", httpapi.DefaultMaxDatasetBytes>>20, "largest dataset a new task may upload, in MiB")
	f.Float64Var(&sc.uploadRate, "upload-rate", httpapi.DefaultUploadRate, "uploads per second per participant")
	f.IntVar(&sc.uploadBurst, "upload-burst", httpapi.DefaultUploadBurst, "uploads a participant may make at once")
	f.Float64Var(&sc.ipUploadRate, "ip-upload-rate", httpapi.DefaultIPUploadRate, "signed uploads per second per client address")
	f.IntVar(&sc.ipUploadBurst, "ip-upload-burst", httpapi.DefaultIPUploadBurst, "signed uploads a client address may make at once")
	f.Float64Var(&sc.anonRate, "anonymous-rate", httpapi.DefaultAnonymousRate, "anonymous uploads and ingests (each refused) per second per client address, a budget signed requests do not share")
	f.IntVar(&sc.anonBurst, "anonymous-burst", httpapi.DefaultAnonymousBurst, "anonymous uploads and ingests a client address may make at once")
	f.Int64Var(&sc.inflightMB, "max-inflight-mb", httpapi.DefaultMaxInflightBytes>>20, "request bodies the server holds at once, in MiB (beyond: 503)")
	f.Int64Var(&sc.clientMB, "max-client-inflight-mb", httpapi.DefaultClientInflightBytes>>20, "request bodies one client (a participant, the host, an anonymous address) holds at once, in MiB (beyond: 429; a body larger: 413)")
	f.BoolVar(&sc.issuerAPI, "issuer-api", false, "serve the VC-API issuer (POST /credentials/issue, /credentials/status) to the host: it signs claims the host supplies with its own key, DIR/issuer.key")
	f.StringVar(&sc.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs --tls-key")
	f.StringVar(&sc.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.Int64Var(&sc.cacheMaxMB, "cache-max-mb", engine.DefaultCacheMaxBytes>>20, "largest size of the compilation cache, in MiB: least recently used compiled modules are removed past it")
	f.Int64Var(&sc.quota.RowsPerDay, "quota-rows-per-day", market.DefaultRowsPerDay, "rows a caller may send to metered predict per UTC day (-1: no limit)")
	f.Int64Var(&sc.quota.CallsPerDay, "quota-calls-per-day", market.DefaultCallsPerDay, "metered predict calls a caller may make per UTC day (-1: no limit)")
	f.StringVar(&sc.nats.nats, "nats", natsEmbedded, "evaluate through NATS JetStream: \"embedded\" (a server in this process, under DATA_DIR/nats, with local workers going through its queue) or the URL of an external one; then --workers is the local worker slots (0: remote workers only). \"off\": evaluate in this process, no queue")
	f.StringVar(&sc.nats.listen, "nats-listen", "", "with --nats embedded, the HOST:PORT remote workers dial (default: none, local workers only)")
	f.StringVar(&sc.nats.metrics, "nats-metrics", "", "with --nats, HOST:PORT to serve the queue's Prometheus metrics on at /metrics (stream depths, pending jobs, dead letters, evaluation latency, local workers' jobs)")
	f.DurationVar(&sc.nats.topology.Heartbeat, "nats-heartbeat", dispatch.DefaultHeartbeat, "with --nats, how often a worker reports a running job; a job is given to another worker after three missed")
	f.IntVar(&sc.nats.topology.MaxDeliver, "nats-max-deliver", dispatch.DefaultMaxDeliver, "with --nats, the tries of a job before it fails as a crash (not charged)")
	f.IntVar(&sc.nats.shardRows, "nats-shard-rows", dispatch.DefaultShardRows, "with --nats, the rows of one job: a larger task is cut into shards run on several workers at once")
	f.StringVar(&sc.nats.creds, "nats-creds", "", "with --nats URL, the coordinator's NATS credentials file")
	f.IntVar(&sc.nats.topology.Replicas, "nats-replicas", 1, "with --nats URL, the replicas of every stream and bucket the coordinator creates or updates: 3 on a three-node JetStream cluster (1 with --nats embedded)")
	return c
}

func serve(ctx context.Context, g *globals, sc serveConfig) error {
	log := slog.New(slog.NewJSONHandler(g.stderr, nil))
	if sc.grace < 0 || sc.workers < 0 || sc.queue < 0 || sc.maxDatasetMB <= 0 || sc.inflightMB <= 0 || sc.clientMB <= 0 || sc.cacheMaxMB <= 0 {
		return badInput(fmt.Errorf("serve: --grace, --workers and --queue must not be negative, --max-dataset-mb, --max-inflight-mb, --max-client-inflight-mb and --cache-max-mb must be positive"))
	}
	if (sc.tlsCert == "") != (sc.tlsKey == "") {
		return badInput(fmt.Errorf("serve: --tls-cert and --tls-key go together"))
	}
	var tlsConfig *tls.Config
	if sc.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(sc.tlsCert, sc.tlsKey)
		if err != nil {
			return badInput(fmt.Errorf("serve: --tls-cert/--tls-key: %w", err))
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if sc.init {
		has, err := httpapi.HasTokens(g.dataDir)
		if err != nil {
			return err
		}
		if !has {
			token, err := httpapi.NewToken(g.dataDir, "host")
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "host token: %s\n(shown once: keep it; requests send it as Authorization: Bearer TOKEN)\n", token)
		}
	}
	ecfg := engine.Config{DataDir: g.dataDir, CacheDir: os.Getenv("VERDICT_CACHE_DIR"),
		BaseURL: sc.baseURL, Workers: sc.workers, QueueSize: sc.queue, CacheMaxBytes: sc.cacheMaxMB << 20}
	if err := sc.nats.validate(); err != nil {
		return err
	}
	var late lateDispatcher
	if sc.nats.on() {
		// The engine's workers only wait on the queue; the work is done by
		// the dispatch workers, local and remote. The NATS server starts
		// once the engine holds the data dir (never two on one dir).
		ecfg.Dispatcher, ecfg.Workers = &late, DefaultDispatchInFlight
	}
	e, err := engine.Open(ctx, ecfg)
	if errors.Is(err, engine.ErrLocked) {
		if info, _, ok := served(ctx, g.dataDir); ok {
			return fmt.Errorf("%w: a verdict serve already runs on %s at %s: reach it with --server %s", err, g.dataDir, info.URL, info.URL)
		}
		return fmt.Errorf("%w: another verdict command has %s open; serve once it is done (commands reach a running server with --server URL)", err, g.dataDir)
	}
	if err != nil {
		return err
	}
	defer e.Close(context.WithoutCancel(ctx))
	if sc.nats.on() {
		d, stop, err := startDispatch(ctx, g, sc.nats, log)
		if err != nil {
			return err
		}
		// Deferred after e.Close: the drain needs the workers and the
		// queue, so they stop once the engine closed.
		defer func() { _ = e.Close(context.WithoutCancel(ctx)); stop() }()
		late.set(d)
	}
	var requeued atomic.Int64 // evaluations left queued by the shutdown
	e.Observe(func(ev engine.Evaluation) {
		if ev.Outcome == engine.OutcomeRequeued {
			requeued.Add(1)
		}
	})
	// The marketplace lists what the engine certifies, and catches up on
	// what it certified while no marketplace was listening.
	mk, err := market.Open(ctx, e)
	if err != nil {
		return err
	}
	defer mk.Close() // the usage ledger
	cfg := httpapi.Config{
		Engine: e, Market: mk, Log: log, DataDir: g.dataDir,
		MaxDatasetBytes: sc.maxDatasetMB << 20,
		UploadRate:      sc.uploadRate, UploadBurst: sc.uploadBurst,
		IPUploadRate: sc.ipUploadRate, IPUploadBurst: sc.ipUploadBurst,
		AnonymousRate: sc.anonRate, AnonymousBurst: sc.anonBurst,
		MaxInflightBytes: sc.inflightMB << 20, ClientInflightBytes: sc.clientMB << 20,
		Quota: sc.quota,
	}
	if sc.issuerAPI {
		is, err := issuer.Open(issuer.Config{DataDir: g.dataDir, BaseURL: sc.baseURL})
		if err != nil {
			return err
		}
		cfg.Issuer = is
		fmt.Fprintf(g.stdout, "VC-API issuer: %s (POST /credentials/issue, host token)\n", is.DID())
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		return badInput(err)
	}
	// The web pages serve every path outside the API, each request seen as
	// the API sees it (a bearer token or a signature; else a visitor).
	api.SetPages(web.New(e, web.Config{Market: mk, Log: log, Viewer: api.Viewer}))
	ln, err := net.Listen("tcp", sc.addr)
	if err != nil {
		return badInput(err)
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // a module of max_module_mb on a slow link
		WriteTimeout:      2 * time.Minute, // event streams extend their own deadline
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	srv.RegisterOnShutdown(api.CloseStreams)
	// Whatever an earlier run left queued or running is evaluated again,
	// while the server already accepts new work.
	recovered := make(chan struct{})
	go func() {
		defer close(recovered)
		n, err := e.Recover(ctx)
		switch {
		case err != nil && !errors.Is(err, engine.ErrEngineClosed) && !errors.Is(err, context.Canceled):
			log.Error("recover", "err", err, "submissions", n)
		case n > 0:
			log.Info("recovered", "submissions", n)
		}
	}()
	// The CLI beside the server finds it through the data dir and acts as
	// the host with a token of its own, revoked when the server stops.
	if _, err := httpapi.RevokeTokens(g.dataDir, serveTokenName); err != nil { // a crashed run's
		return err
	}
	cliToken, err := httpapi.NewToken(g.dataDir, serveTokenName)
	if err != nil {
		return err
	}
	removeServeFiles, err := writeServeFiles(g.dataDir, scheme+"://"+dialable(ln.Addr()), cliToken)
	if err != nil {
		return err
	}
	defer func() {
		removeServeFiles()
		_, _ = httpapi.RevokeTokens(g.dataDir, serveTokenName)
	}()
	fmt.Fprintf(g.stdout, "listening on %s://%s\n", scheme, ln.Addr())
	done := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			done <- srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
			return
		}
		done <- srv.Serve(ln)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", sc.grace.String(), "queue", e.Queue())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sc.grace)
	defer cancel()
	// Workers take no new job from now on; the ones running may finish.
	drained := make(chan error, 1)
	go func() { drained <- e.Drain(sctx) }()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := <-drained; err != nil {
		log.Warn("grace period over: running evaluations interrupted, left queued for the next start", "queue", e.Queue())
	}
	if err := e.Close(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, fmt.Errorf("close: %w", err))
	}
	<-recovered
	log.Info("stopped", "left_queued", requeued.Load())
	return errors.Join(errs...)
}

// dialable is addr with an unspecified IP (":8080", "[::]:8080") made the
// loopback address, for a client on this machine.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	// ":8080" listens on both stacks, and a machine may lack ::1.
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
