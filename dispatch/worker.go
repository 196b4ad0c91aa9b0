package dispatch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/onnx"
	"github.com/verdictlab/verdict/sandbox"
)

// FaultPoint names a place in a job where a test may make a worker die.
type FaultPoint string

// The fault points, in the order a job reaches them.
const (
	// FaultBeforeRun: the job was taken, nothing was run.
	FaultBeforeRun FaultPoint = "before_run"
	// FaultBeforeAck: the result was published, the job not acked.
	FaultBeforeAck FaultPoint = "before_ack"
)

// WorkerConfig configures a Worker. The zero value is valid but for
// CacheDir.
type WorkerConfig struct {
	// Name identifies the worker in results and logs; default the host
	// name and process id.
	Name string
	// Slots is the jobs run at once, each taken one at a time
	// (Fetch(1)); default 1.
	Slots int
	// CacheDir holds the worker's disk cache of inputs (CacheDir/objects)
	// and wazero's compilation cache (CacheDir/wazero). Required.
	CacheDir string
	// CacheMaxBytes bounds the inputs cache; zero means
	// DefaultCacheMaxBytes, negative no bound.
	CacheMaxBytes int64
	// Isolation and ChildCommand configure the sandbox (sandbox.Config);
	// Isolation "" means sandbox.Preferred().
	Isolation    sandbox.Isolation
	ChildCommand []string
	// SandboxWorkers is sandbox.Config.Workers (instances per Run).
	SandboxWorkers int
	// Log receives one line per job, with its submission and rows;
	// default slog.Default().
	Log *slog.Logger
	// Metrics, if set, counts the jobs (see NewMetrics).
	Metrics *Metrics
	// Fault, if set, is asked at each FaultPoint of each try of a job;
	// true makes the slot drop the job as a killed process would (no
	// ack, no nak, no more heartbeats) and take the next. For tests.
	Fault func(at FaultPoint, job Job, delivery uint64) bool
}

// Worker takes jobs from WorkersConsumer, runs them in the sandbox with
// their task's limits and publishes their results. It holds no store and
// never sees a label.
type Worker struct {
	cfg     WorkerConfig
	js      jetstream.JetStream
	cons    jetstream.Consumer
	inputs  jetstream.ObjectStore
	outputs jetstream.ObjectStore
	cache   *diskCache
	hb      time.Duration

	mu       sync.Mutex
	runtimes map[sandbox.Limits]*sandbox.Runtime
	closed   bool
}

// NewWorker binds to the consumer and buckets Setup made.
func NewWorker(ctx context.Context, js jetstream.JetStream, cfg WorkerConfig) (*Worker, error) {
	if cfg.CacheDir == "" {
		return nil, fmt.Errorf("worker: CacheDir is empty: %w", ErrConfig)
	}
	if cfg.Slots < 0 || cfg.SandboxWorkers < 0 {
		return nil, fmt.Errorf("worker: Slots %d and SandboxWorkers %d must not be negative: %w", cfg.Slots, cfg.SandboxWorkers, ErrConfig)
	}
	if cfg.Slots == 0 {
		cfg.Slots = 1
	}
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Isolation == sandbox.InProcess {
		cfg.Isolation = sandbox.Preferred()
	}
	dir, err := filepath.Abs(cfg.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("worker: resolve cache dir: %w", err)
	}
	cfg.CacheDir = dir
	cons, err := js.Consumer(ctx, JobsStream, WorkersConsumer)
	if err != nil {
		return nil, fmt.Errorf("worker: bind consumer %s/%s: %w", JobsStream, WorkersConsumer, err)
	}
	inputs, err := js.ObjectStore(ctx, InputsBucket)
	if err != nil {
		return nil, fmt.Errorf("worker: bind bucket %s: %w", InputsBucket, err)
	}
	outputs, err := js.ObjectStore(ctx, OutputsBucket)
	if err != nil {
		return nil, fmt.Errorf("worker: bind bucket %s: %w", OutputsBucket, err)
	}
	cache, err := newDiskCache(filepath.Join(dir, "objects"), cfg.CacheMaxBytes)
	if err != nil {
		return nil, err
	}
	// Heartbeat at a third of AckWait, as the coordinator set it.
	hb := cons.CachedInfo().Config.AckWait / 3
	if hb <= 0 {
		hb = DefaultHeartbeat
	}
	return &Worker{cfg: cfg, js: js, cons: cons, inputs: inputs, outputs: outputs, cache: cache, hb: hb,
		runtimes: map[sandbox.Limits]*sandbox.Runtime{}}, nil
}

// Run runs the slots until ctx is done, then closes the sandboxes. A job
// running when ctx ends is given back (nak) for another worker.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for slot := range w.cfg.Slots {
		wg.Go(func() { w.slot(ctx, slot) })
	}
	wg.Wait()
	return w.close()
}

func (w *Worker) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	var errs []error
	for _, rt := range w.runtimes {
		errs = append(errs, rt.Close(context.Background()))
	}
	w.runtimes = nil
	return errors.Join(errs...)
}

// slot takes one job at a time until ctx is done.
func (w *Worker) slot(ctx context.Context, slot int) {
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		msg, err := w.cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				w.cfg.Log.Warn("fetch job", "worker", w.cfg.Name, "slot", slot, "err", err)
				select { // a broken connection: do not spin
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		w.handle(ctx, slot, msg)
	}
}

// handle runs one delivery of a job.
func (w *Worker) handle(ctx context.Context, slot int, msg jetstream.Msg) {
	var delivery uint64
	if md, err := msg.Metadata(); err == nil {
		delivery = md.NumDelivered
	}
	job, err := decodeJob(msg.Data())
	if err != nil {
		// Not a job any worker could run: drop it; the coordinator's
		// advisory path does not see it, so say why loudly.
		w.cfg.Log.Error("malformed job: terminated", "worker", w.cfg.Name, "subject", msg.Subject(), "err", err)
		_ = msg.TermWithReason("malformed job")
		return
	}
	log := w.cfg.Log.With("worker", w.cfg.Name, "slot", slot, "submission", job.Submission,
		"rows", jobToken(job.Start, job.End), "delivery", delivery)
	log.Info("job taken")
	start := time.Now()
	w.cfg.Metrics.jobStarted(delivery)
	outcome := outcomeGiveBack
	defer func() { w.cfg.Metrics.jobEnded(outcome, time.Since(start)) }()
	if w.fault(FaultBeforeRun, job, delivery) {
		outcome = outcomeDropped
		log.Warn("fault injected: dropped the job", "at", FaultBeforeRun)
		return
	}
	// Heartbeats while the job runs, so that AckWait covers only a
	// worker that stopped.
	hbCtx, stopHB := context.WithCancel(ctx)
	var hbDone sync.WaitGroup
	hbDone.Go(func() {
		t := time.NewTicker(w.hb)
		defer t.Stop()
		for {
			select {
			case <-hbCtx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	})
	res, err := w.run(ctx, job)
	stopHB()
	hbDone.Wait()
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopping: job given back", "err", err)
			_ = msg.Nak()
			return
		}
		log.Warn("job failed on the host: given back", "err", err)
		_ = msg.NakWithDelay(w.hb)
		return
	}
	res.Worker, res.Deliveries = w.cfg.Name, delivery
	data, err := jsonMarshal(res)
	if err == nil {
		_, err = w.js.Publish(ctx, job.resultSubject(), data, jetstream.WithMsgID(job.ID()))
	}
	if err != nil {
		log.Warn("publish result: job given back", "err", err)
		_ = msg.NakWithDelay(w.hb)
		return
	}
	if w.fault(FaultBeforeAck, job, delivery) {
		outcome = outcomeDropped
		log.Warn("fault injected: dropped the job", "at", FaultBeforeAck)
		return
	}
	outcome = outcomeDone
	if err := msg.DoubleAck(ctx); err != nil {
		// The result is out (deduplicated by job id): a redelivery only
		// repeats the work.
		log.Warn("ack job", "err", err)
	}
	failure := ""
	if res.Failure != nil {
		failure, outcome = res.Failure.Kind, outcomeFailed
	}
	log.Info("job done", "elapsed", time.Since(start).String(), "failure", failure)
}

func (w *Worker) fault(at FaultPoint, job Job, delivery uint64) bool {
	return w.cfg.Fault != nil && w.cfg.Fault(at, job, delivery)
}

// run fetches a job's inputs, runs the sandbox and stores the
// predictions. An error is the host's (the job is tried again); a model's
// failure is a Result with Failure set.
func (w *Worker) run(ctx context.Context, job Job) (*Result, error) {
	res := &Result{Job: job.ID(), Submission: job.Submission, Start: job.Start, End: job.End}
	lim := job.Limits.WithDefaults()
	rt, err := w.runtime(ctx, job.Limits)
	if err != nil {
		return nil, err
	}
	mf, err := w.cache.open(ctx, w.inputs, job.Module, lim.MaxModuleBytes)
	if err != nil {
		return nil, fmt.Errorf("fetch module: %w", err)
	}
	module, err := io.ReadAll(mf)
	mf.Close()
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	ff, err := w.cache.open(ctx, w.inputs, job.Features, shardHeader+8*MaxShardCells)
	if err != nil {
		return nil, fmt.Errorf("fetch features: %w", err)
	}
	cols, err := DecodeShard(ff, job.End-job.Start, -1)
	ff.Close()
	if err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	// The deadline covers compiling and running, as on the direct path.
	rctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	out, err := runModule(rctx, rt, module, cols, job.Outputs)
	if err != nil {
		if f, ok := failureOf(err); ok && ctx.Err() == nil {
			res.Failure = f
			return res, nil
		}
		return nil, err
	}
	res.ElapsedNS, res.PredictNS = out.Elapsed.Nanoseconds(), out.PredictTime.Nanoseconds()
	res.MemoryBytes, res.BatchRows = out.MemoryBytes, out.BatchRows
	var buf bytes.Buffer
	if err := EncodeShard(&buf, out.Outputs, 0, job.End-job.Start); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	name := hex.EncodeToString(sum[:])
	if err := putObject(ctx, w.outputs, name, func(wr io.Writer) error {
		_, err := wr.Write(buf.Bytes())
		return err
	}); err != nil {
		return nil, fmt.Errorf("store predictions: %w", err)
	}
	res.Predictions = name
	return res, nil
}

// runModule compiles and runs module on cols.
func runModule(ctx context.Context, rt *sandbox.Runtime, module []byte, cols [][]float64, outs int) (*sandbox.Result, error) {
	m, err := rt.Compile(ctx, module)
	if err != nil {
		return nil, err
	}
	defer m.Close(ctx)
	return m.Run(ctx, sandbox.Input{Columns: cols, Outputs: outs})
}

// runtime returns the sandbox runtime for lim, starting it on first use.
func (w *Worker) runtime(ctx context.Context, lim sandbox.Limits) (*sandbox.Runtime, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	if rt, ok := w.runtimes[lim]; ok {
		return rt, nil
	}
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: filepath.Join(w.cfg.CacheDir, "wazero"),
		Limits: lim, Isolation: w.cfg.Isolation, ChildCommand: w.cfg.ChildCommand, Workers: w.cfg.SandboxWorkers,
		TrustedCode: []string{onnx.RuntimeSHA256()}})
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	w.runtimes[lim] = rt
	return rt, nil
}
