package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/sandbox"
)

// DefaultShardRows is the rows of one job when CoordinatorConfig.ShardRows
// is zero: 2^20.
const DefaultShardRows = 1 << 20

// QueueDownAfter is how long Evaluate waits for results while NATS does
// not answer before it fails the evaluation (a host fault); a closed
// connection (or Coordinator) fails it at once. It is also how long
// Evaluate retries a store, a publish or a fetch that failed for a reason
// that passes (a timeout, no responders, a cluster electing a leader; see
// transient).
const QueueDownAfter = 2 * time.Minute

// CoordinatorConfig configures a Coordinator.
type CoordinatorConfig struct {
	// Topology is the streams' settings, applied by NewCoordinator.
	Topology Topology
	// ShardRows is the rows of one job; default DefaultShardRows.
	ShardRows int
	// Log receives the dead letters; default slog.Default().
	Log *slog.Logger
	// Metrics, if set, counts dead letters and times evaluations (see
	// NewMetrics).
	Metrics *Metrics
	// QueueDownAfter is how long NATS may fail to answer before Evaluate
	// gives up (a host fault); default QueueDownAfter.
	QueueDownAfter time.Duration
}

// Validate reports fields out of range.
func (c CoordinatorConfig) Validate() error {
	if c.ShardRows < 0 {
		return fmt.Errorf("coordinator: negative ShardRows %d: %w", c.ShardRows, ErrConfig)
	}
	if c.QueueDownAfter < 0 {
		return fmt.Errorf("coordinator: negative QueueDownAfter %v: %w", c.QueueDownAfter, ErrConfig)
	}
	return c.Topology.Validate()
}

// Coordinator splits an evaluation into jobs, publishes them, and
// assembles their results in row order. It turns a job no worker finished
// after MaxDeliver tries into a dead letter and a failure of kind crash.
// It never sees labels: it is given features only.
type Coordinator struct {
	cfg     CoordinatorConfig
	js      jetstream.JetStream
	inputs  jetstream.ObjectStore
	outputs jetstream.ObjectStore
	results jetstream.Stream
	jobs    jetstream.Stream

	stop func()
	done sync.WaitGroup
	// gone is cancelled when the NATS connection closes, or Close is
	// called: Evaluate stops waiting for results then.
	gone     context.Context
	markGone context.CancelFunc

	hashMu sync.Mutex
	hashes map[shardKey]string // feature shards' SHA-256, see shardHash

	waitMu  sync.Mutex
	waiters map[string][]*waiter // the evaluations waiting, by submission
}

// waiter is one Evaluate waiting for its jobs' results; the coordinator's
// one results consumer (route) and Evaluate's own look-ups offer it
// results, and it keeps the first per job id.
type waiter struct {
	mu    sync.Mutex
	want  map[string]bool    // the job ids
	got   map[string]*Result // the first result of each
	ready chan struct{}      // a result arrived (capacity 1)
}

func newWaiter(jobs []Job) *waiter {
	w := &waiter{want: make(map[string]bool, len(jobs)), got: make(map[string]*Result, len(jobs)), ready: make(chan struct{}, 1)}
	for _, j := range jobs {
		w.want[j.ID()] = true
	}
	return w
}

// offer keeps data's result if it is the first of one of w's jobs:
// idempotent by job id.
func (w *waiter) offer(data []byte) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return // not a result
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.want[r.Job] || w.got[r.Job] != nil {
		return // another shard layout's, or a duplicate
	}
	w.got[r.Job] = &r
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// has reports whether job's result arrived; missing counts those that
// did not.
func (w *waiter) has(job string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got[job] != nil
}

func (w *waiter) missing() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.want) - len(w.got)
}

// shardKey names a shard of a set of columns by where they live: the
// engine hands the same (immutable) columns to every evaluation of a task.
type shardKey struct {
	first      *float64
	rows, cols int
	start, end int
}

// maxHashes bounds the cache of feature shards' hashes.
const maxHashes = 4096

// shardHash returns the SHA-256 of a feature shard, hashing it once per
// set of columns.
func (c *Coordinator) shardHash(cols [][]float64, start, end int) string {
	k := shardKey{first: &cols[0][0], rows: len(cols[0]), cols: len(cols), start: start, end: end}
	c.hashMu.Lock()
	h, ok := c.hashes[k]
	c.hashMu.Unlock()
	if ok {
		return h
	}
	h = hashShard(cols, start, end)
	c.hashMu.Lock()
	if len(c.hashes) >= maxHashes {
		clear(c.hashes)
	}
	c.hashes[k] = h
	c.hashMu.Unlock()
	return h
}

// NewCoordinator sets up the streams (Setup) and starts following the
// max-deliveries advisories. Close stops it.
func NewCoordinator(ctx context.Context, js jetstream.JetStream, cfg CoordinatorConfig) (*Coordinator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Topology = cfg.Topology.withDefaults()
	if cfg.ShardRows == 0 {
		cfg.ShardRows = DefaultShardRows
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.QueueDownAfter == 0 {
		cfg.QueueDownAfter = QueueDownAfter
	}
	if err := Setup(ctx, js, cfg.Topology); err != nil {
		return nil, err
	}
	c := &Coordinator{cfg: cfg, js: js, hashes: map[shardKey]string{}, waiters: map[string][]*waiter{}}
	c.gone, c.markGone = context.WithCancel(context.Background())
	if nc := js.Conn(); nc != nil {
		closed := nc.StatusChanged(nats.CLOSED)
		if nc.IsClosed() {
			c.markGone()
		}
		c.done.Go(func() {
			select {
			case <-closed:
				c.markGone()
			case <-c.gone.Done():
			}
		})
	}
	var err error
	if c.inputs, err = js.ObjectStore(ctx, InputsBucket); err != nil {
		return nil, fmt.Errorf("coordinator: bind %s: %w", InputsBucket, err)
	}
	if c.outputs, err = js.ObjectStore(ctx, OutputsBucket); err != nil {
		return nil, fmt.Errorf("coordinator: bind %s: %w", OutputsBucket, err)
	}
	if c.results, err = js.Stream(ctx, ResultsStream); err != nil {
		return nil, fmt.Errorf("coordinator: bind %s: %w", ResultsStream, err)
	}
	if c.jobs, err = js.Stream(ctx, JobsStream); err != nil {
		return nil, fmt.Errorf("coordinator: bind %s: %w", JobsStream, err)
	}
	// Two durable loops, each step idempotent: an advisory becomes a dead
	// letter (and its job leaves the queue), a dead letter becomes a
	// crash result.
	follow := []struct {
		stream, consumer string
		handle           func(context.Context, []byte) error
	}{
		{AdvisoriesStream, AdvisoriesConsumer, c.deadLetter},
		{DeadStream, DeadConsumer, c.crashResult},
	}
	var stops []func()
	// One results consumer for the coordinator, from the stream's end
	// (by sequence: a reset before the first result resumes there, and
	// misses none); the results published before it started are found
	// by each Evaluate's look-ups.
	info, err := c.results.Info(ctx)
	if err == nil {
		var cons jetstream.Consumer
		cons, err = c.results.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{resultsPrefix + ">"},
			DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:    info.State.LastSeq + 1,
		})
		if err == nil {
			var it jetstream.MessagesContext
			if it, err = cons.Messages(); err == nil {
				stops = append(stops, it.Stop)
				c.done.Go(func() { c.route(it) })
			}
		}
	}
	if err != nil {
		c.markGone()
		c.done.Wait()
		return nil, fmt.Errorf("coordinator: follow %s: %w", ResultsStream, err)
	}
	for _, f := range follow {
		cons, err := js.Consumer(ctx, f.stream, f.consumer)
		if err == nil {
			var it jetstream.MessagesContext
			if it, err = cons.Messages(); err == nil {
				stops = append(stops, it.Stop)
				c.done.Go(func() { c.follow(it, f.handle) })
				continue
			}
		}
		for _, stop := range stops {
			stop()
		}
		c.markGone()
		c.done.Wait()
		return nil, fmt.Errorf("coordinator: follow %s/%s: %w", f.stream, f.consumer, err)
	}
	c.stop = func() {
		for _, stop := range stops {
			stop()
		}
	}
	return c, nil
}

// Close stops following advisories.
func (c *Coordinator) Close() error {
	c.stop()
	c.markGone()
	c.done.Wait()
	return nil
}

// Evaluation is one submission to run: its module, the task's features
// (never its labels) and limits.
type Evaluation struct {
	// Submission is the submission's id: a subject token, unique per
	// submission (results are deduplicated by it and the shard's rows).
	Submission string
	Module     []byte
	// Columns are the task's feature columns, all of one length. They
	// must not change while the Coordinator is open: their shards' hashes
	// are kept by the columns' address.
	Columns [][]float64
	// Outputs is the outputs per row.
	Outputs int
	// Limits are the task's sandbox limits.
	Limits sandbox.Limits
}

// Evaluate runs ev through the queue and returns the predictions in row
// order, as the sandbox would on one machine. A model's failure is the
// *sandbox.Error the direct path would return (the first shard's, in row
// order); a job no worker finished is one of kind crash.
func (c *Coordinator) Evaluate(ctx context.Context, ev Evaluation) (*sandbox.Result, error) {
	if err := checkToken(ev.Submission); err != nil {
		return nil, err
	}
	if len(ev.Columns) == 0 || len(ev.Columns[0]) == 0 {
		return nil, fmt.Errorf("evaluate %s: no rows: %w", ev.Submission, sandbox.ErrInvalidInput)
	}
	lim := ev.Limits.WithDefaults()
	if tries := time.Duration(c.cfg.Topology.MaxDeliver) * (lim.Timeout + c.cfg.Topology.AckWait()); tries >= c.cfg.Topology.DedupeWindow {
		return nil, fmt.Errorf("evaluate %s: %d tries of a %v job exceed the dedupe window %v: %w",
			ev.Submission, c.cfg.Topology.MaxDeliver, lim.Timeout, c.cfg.Topology.DedupeWindow, ErrConfig)
	}
	rows := len(ev.Columns[0])
	modSHA := sha256Hex(ev.Module)
	if err := c.retry(ctx, func() error {
		return putObject(ctx, c.inputs, modSHA, func(w io.Writer) error {
			_, err := w.Write(ev.Module)
			return err
		})
	}); err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", ev.Submission, err)
	}
	var jobs []Job
	for start := 0; start < rows; start += c.cfg.ShardRows {
		end := min(start+c.cfg.ShardRows, rows)
		sha := c.shardHash(ev.Columns, start, end)
		if err := c.retry(ctx, func() error {
			return putObject(ctx, c.inputs, sha, func(w io.Writer) error {
				return EncodeShard(w, ev.Columns, start, end)
			})
		}); err != nil {
			return nil, fmt.Errorf("evaluate %s: features [%d, %d): %w", ev.Submission, start, end, err)
		}
		jobs = append(jobs, Job{Submission: ev.Submission, Start: start, End: end, Module: modSHA,
			Features: sha, Outputs: ev.Outputs, Limits: ev.Limits})
	}
	// Waiting before the jobs are out: route hands this waiter every
	// result from now on.
	w := newWaiter(jobs)
	c.waitMu.Lock()
	c.waiters[ev.Submission] = append(c.waiters[ev.Submission], w)
	c.waitMu.Unlock()
	defer func() {
		c.waitMu.Lock()
		defer c.waitMu.Unlock()
		ws := slices.DeleteFunc(c.waiters[ev.Submission], func(o *waiter) bool { return o == w })
		if len(ws) == 0 {
			delete(c.waiters, ev.Submission)
		} else {
			c.waiters[ev.Submission] = ws
		}
	}()
	published := time.Now()
	for _, j := range jobs {
		data, err := jsonMarshal(j)
		if err != nil {
			return nil, err
		}
		// Published again after a timeout: the job id dedupes it.
		if err := c.retry(ctx, func() error {
			_, err := c.js.Publish(ctx, j.Subject(), data, jetstream.WithMsgID(j.ID()))
			return err
		}); err != nil {
			return nil, fmt.Errorf("evaluate %s: publish job %s: %w", ev.Submission, j.ID(), err)
		}
	}
	// Waiting ends with ctx, or when the connection closes.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.gone, cancel)()
	// lookUp reads the results of the jobs still missing from the
	// stream, one direct read per job subject: the results published
	// before route started (a coordinator that restarted), and any a
	// consumer reset might have skipped.
	lookUp := func() error {
		for _, j := range jobs {
			if w.has(j.ID()) {
				continue
			}
			raw, err := c.results.GetLastMsgForSubject(wctx, j.resultSubject())
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("look up result %s: %w", j.ID(), err)
			}
			w.offer(raw.Data)
		}
		return nil
	}
	tick := time.NewTicker(resultsLookUp)
	defer tick.Stop()
	var downSince time.Time // when the queue stopped answering
	for lookNow := true; w.missing() > 0; {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if c.gone.Err() != nil {
			return nil, fmt.Errorf("evaluate %s: wait for results: the coordinator or its nats connection closed: %w", ev.Submission, ErrClosed)
		}
		if lookNow {
			lookNow = false
			if err := lookUp(); err != nil {
				if ctx.Err() != nil || c.gone.Err() != nil {
					continue // said above
				}
				// The queue is down: fail (a host fault, never
				// charged) rather than wait forever.
				if downSince.IsZero() {
					downSince = time.Now()
				}
				if time.Since(downSince) > c.cfg.QueueDownAfter {
					return nil, fmt.Errorf("evaluate %s: wait for results: queue unreachable since %s: %w",
						ev.Submission, downSince.UTC().Format(time.RFC3339), err)
				}
			} else {
				downSince = time.Time{}
			}
		}
		select {
		case <-wctx.Done():
		case <-w.ready:
		case <-tick.C:
			lookNow = true
		}
	}
	got := w.got // w is complete: nothing writes it any more
	c.cfg.Metrics.evaluated(time.Since(published))
	return c.assemble(ctx, ev, jobs, got)
}

// assemble puts the shards' predictions in row order.
func (c *Coordinator) assemble(ctx context.Context, ev Evaluation, jobs []Job, got map[string]*Result) (*sandbox.Result, error) {
	for _, j := range jobs {
		if f := got[j.ID()].Failure; f != nil {
			return nil, f.Err()
		}
	}
	rows := len(ev.Columns[0])
	res := &sandbox.Result{Outputs: make([][]float64, ev.Outputs)}
	for k := range res.Outputs {
		res.Outputs[k] = make([]float64, rows)
	}
	for _, j := range jobs {
		r := got[j.ID()]
		var shard [][]float64
		err := c.retry(ctx, func() error {
			pr, pw := io.Pipe()
			var derr error
			var wg sync.WaitGroup
			wg.Go(func() {
				shard, derr = DecodeShard(pr, j.End-j.Start, ev.Outputs)
				pr.CloseWithError(io.ErrClosedPipe)
			})
			err := getObject(ctx, c.outputs, r.Predictions, shardSize(j.End-j.Start, ev.Outputs), pw)
			pw.CloseWithError(err)
			wg.Wait()
			if err == nil {
				err = derr
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: predictions of rows [%d, %d) from %s: %w", ev.Submission, j.Start, j.End, r.Worker, err)
		}
		for k := range shard {
			copy(res.Outputs[k][j.Start:j.End], shard[k])
		}
		res.Elapsed = max(res.Elapsed, time.Duration(r.ElapsedNS))
		res.PredictTime += time.Duration(r.PredictNS)
		res.MemoryBytes = max(res.MemoryBytes, r.MemoryBytes)
		res.BatchRows = max(res.BatchRows, r.BatchRows)
	}
	return res, nil
}

// resultsLookUp is how often a waiting Evaluate reads the results of its
// missing jobs itself, besides route: a safety net, and how it notices a
// queue that is down.
const resultsLookUp = 2 * time.Second

// route hands each result to the evaluations waiting for its submission
// until it is stopped.
func (c *Coordinator) route(it jetstream.MessagesContext) {
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			select { // never spin on a broken iterator
			case <-c.gone.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		sub, _, ok := strings.Cut(strings.TrimPrefix(msg.Subject(), resultsPrefix), ".")
		if !ok {
			continue
		}
		c.waitMu.Lock()
		ws := slices.Clone(c.waiters[sub])
		c.waitMu.Unlock()
		for _, w := range ws {
			w.offer(msg.Data())
		}
	}
}

// retry runs op until it succeeds, fails for a reason that does not
// pass (see transient), or NATS has failed for QueueDownAfter; it stops
// at once when ctx ends or the coordinator closes. op must be idempotent:
// a store of content-addressed objects, a publish with a job id, a read.
func (c *Coordinator) retry(ctx context.Context, op func() error) error {
	var since time.Time
	wait := 100 * time.Millisecond
	for {
		err := op()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if c.gone.Err() != nil {
			return fmt.Errorf("%w (the coordinator or its nats connection closed: %w)", err, ErrClosed)
		}
		if since.IsZero() {
			since = time.Now()
		}
		if time.Since(since) > c.cfg.QueueDownAfter {
			return fmt.Errorf("%w (nats failing since %s)", err, since.UTC().Format(time.RFC3339))
		}
		c.cfg.Log.Warn("nats: will retry", "err", err, "in", wait.String())
		select {
		case <-ctx.Done():
			return err
		case <-c.gone.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// transient reports whether err is NATS failing for a while rather than
// refusing: a request that timed out (JetStream's own timeouts wrap
// context.DeadlineExceeded), no responders (a stream between leaders), a
// connection reconnecting to another node, or JetStream answering 503
// (a cluster without quorum yet).
func transient(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, jetstream.ErrNoHeartbeat),
		errors.Is(err, jetstream.ErrServerShutdown):
		return true
	case errors.As(err, &apiErr):
		return apiErr.Code == 503
	}
	return false
}

// advisory is the part of JetStream's max-deliveries advisory read here.
type advisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// follow hands each message of it to handle until it is stopped; a
// message handle fails on comes back later.
func (c *Coordinator) follow(it jetstream.MessagesContext, handle func(context.Context, []byte) error) {
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			continue
		}
		if err := handle(context.Background(), msg.Data()); err != nil {
			c.cfg.Log.Error("dead letter: will retry", "subject", msg.Subject(), "err", err)
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		_ = msg.Ack()
	}
}

// deadLetter moves the job of a max-deliveries advisory to DeadStream
// (deduplicated by job id) and deletes it from JobsStream. An advisory
// handled twice finds no job and changes nothing.
func (c *Coordinator) deadLetter(ctx context.Context, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var a advisory
	if err := json.Unmarshal(data, &a); err != nil || a.Stream != JobsStream {
		return nil // not ours: nothing to do
	}
	raw, err := c.jobs.GetMsg(ctx, a.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // handled already
	}
	if err != nil {
		return fmt.Errorf("get job %d: %w", a.StreamSeq, err)
	}
	job, err := decodeJob(raw.Data)
	if err != nil {
		c.cfg.Log.Error("dead letter: malformed job deleted", "seq", a.StreamSeq, "err", err)
		return c.jobs.DeleteMsg(ctx, a.StreamSeq)
	}
	msg := &nats.Msg{Subject: deadPrefix + job.Submission + "." + jobToken(job.Start, job.End), Data: raw.Data,
		Header: nats.Header{deliveriesHeader: []string{strconv.FormatUint(a.Deliveries, 10)}}}
	if _, err := c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(job.ID())); err != nil {
		return fmt.Errorf("dead letter %s: %w", job.ID(), err)
	}
	c.cfg.Log.Warn("dead letter", "submission", job.Submission, "rows", jobToken(job.Start, job.End), "deliveries", a.Deliveries)
	if err := c.jobs.DeleteMsg(ctx, a.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete dead job %s: %w", job.ID(), err)
	}
	return nil
}

// deliveriesHeader carries a dead letter's tries.
const deliveriesHeader = "Verdict-Deliveries"

// crashResult publishes the result of a dead letter: a failure of kind
// crash, deduplicated by job id, so that a worker's own result published
// before its last try died wins.
func (c *Coordinator) crashResult(ctx context.Context, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	job, err := decodeJob(data)
	if err != nil {
		return nil // deadLetter keeps only jobs that decode
	}
	c.cfg.Metrics.deadLetter() // counted here: before the result a waiter sees
	res := Result{Job: job.ID(), Submission: job.Submission, Start: job.Start, End: job.End,
		Failure: &Failure{Kind: sandbox.KindCrash, Msg: CrashMessage}}
	rdata, err := jsonMarshal(res)
	if err != nil {
		return err
	}
	if _, err := c.js.Publish(ctx, job.resultSubject(), rdata, jetstream.WithMsgID(job.ID())); err != nil {
		return fmt.Errorf("crash result %s: %w", job.ID(), err)
	}
	return nil
}

// CrashMessage is the participant's message of a job no worker finished.
const CrashMessage = "sandbox process crashed: the host stopped while running this model, every time it was tried (not the model's fault; this submission is not charged)"

// Dispatch is Evaluate with its fields as arguments: it makes a
// Coordinator an engine.Dispatcher.
func (c *Coordinator) Dispatch(ctx context.Context, submission string, module []byte, columns [][]float64, outputs int, limits sandbox.Limits) (*sandbox.Result, error) {
	return c.Evaluate(ctx, Evaluation{Submission: submission, Module: module, Columns: columns, Outputs: outputs, Limits: limits})
}
