package dispatch_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// testTopology makes redeliveries fast: AckWait 300ms, three tries.
var testTopology = dispatch.Topology{Heartbeat: 100 * time.Millisecond, MaxDeliver: 3}

// cluster is an embedded server with a coordinator, for one test.
type cluster struct {
	srv *dispatch.Server
	js  jetstream.JetStream // the coordinator's
	co  *dispatch.Coordinator
}

func newCluster(t testing.TB, shardRows int) *cluster {
	t.Helper()
	srv, err := dispatch.StartServer(dispatch.ServerConfig{Dir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	t.Cleanup(srv.Close)
	nc, err := srv.ConnectCoordinator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	co, err := dispatch.NewCoordinator(context.Background(), js, dispatch.CoordinatorConfig{Topology: testTopology, ShardRows: shardRows, Log: testLog(t)})
	if err != nil {
		t.Fatalf("NewCoordinator: %v", err)
	}
	t.Cleanup(func() { co.Close() })
	return &cluster{srv: srv, js: js, co: co}
}

// startWorker runs a worker, connected as WorkerUser, until the test ends
// or stop is called; stop returns once the worker has.
func (c *cluster) startWorker(t testing.TB, cfg dispatch.WorkerConfig) (stop func()) {
	t.Helper()
	nc, err := c.srv.ConnectWorker()
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = t.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = testLog(t)
	}
	w, err := dispatch.NewWorker(context.Background(), js, cfg)
	if err != nil {
		t.Fatalf("NewWorker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker Run: %v", err)
			}
			nc.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

// testLog writes to the test's output, shown when it fails.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// features returns cols random columns of rows values.
func features(rows, cols int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]float64, cols)
	for j := range out {
		out[j] = make([]float64, rows)
		for i := range out[j] {
			out[j][i] = r.NormFloat64()
		}
	}
	return out
}

var limits = sandbox.Limits{MemoryMB: 64, Timeout: 30 * time.Second}

// direct runs module on cols in one sandbox Run, as the engine does
// without dispatch.
func direct(t *testing.T, module []byte, cols [][]float64, outs int) (*sandbox.Result, error) {
	t.Helper()
	ctx := context.Background()
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: limits, Isolation: sandbox.Preferred()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.Compile(ctx, module)
	if err != nil {
		return nil, err
	}
	defer m.Close(ctx)
	return m.Run(ctx, sandbox.Input{Columns: cols, Outputs: outs})
}

func sameBits(t *testing.T, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d outputs, want %d", len(got), len(want))
	}
	for k := range want {
		if len(got[k]) != len(want[k]) {
			t.Fatalf("output %d: got %d rows, want %d", k, len(got[k]), len(want[k]))
		}
		for i := range want[k] {
			if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
				t.Fatalf("output %d row %d: got %v, want %v", k, i, got[k][i], want[k][i])
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	c := newCluster(t, 0)
	c.startWorker(t, dispatch.WorkerConfig{})
	cols := features(500, 3, 1)
	res, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
		Submission: "sub-1", Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: cols, Outputs: 2, Limits: limits})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	sameBits(t, res.Outputs, sandboxtest.LinearPredict(cols, 2))
	if res.Elapsed <= 0 {
		t.Errorf("Elapsed: got %v, want > 0", res.Elapsed)
	}
}

// TestEvaluateAgainIsNotDeduped: one submission evaluated again on other
// features, with other outputs or other limits (a rescore) is new work:
// its jobs are not dropped as duplicates of the first evaluation's, and
// it is not handed the first evaluation's results.
func TestEvaluateAgainIsNotDeduped(t *testing.T) {
	c := newCluster(t, 300)
	var ran atomic.Int32 // jobs a worker took
	c.startWorker(t, dispatch.WorkerConfig{Slots: 2, Fault: func(at dispatch.FaultPoint, _ dispatch.Job, _ uint64) bool {
		if at == dispatch.FaultBeforeRun {
			ran.Add(1)
		}
		return false
	}})
	module := sandboxtest.Wasm(sandboxtest.Linear)
	longer := limits
	longer.Timeout *= 2
	tests := []struct {
		name    string
		cols    [][]float64
		outputs int
		limits  sandbox.Limits
	}{
		{"first", features(1000, 3, 7), 1, limits},
		{"other-features", features(1000, 3, 8), 1, limits},
		{"other-outputs", features(1000, 3, 8), 2, limits},
		{"other-limits", features(1000, 3, 7), 1, longer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := ran.Load()
			res, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
				Submission: "sub-again", Module: module, Columns: tc.cols, Outputs: tc.outputs, Limits: tc.limits})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			sameBits(t, res.Outputs, sandboxtest.LinearPredict(tc.cols, tc.outputs))
			if n := ran.Load() - before; n < 4 {
				t.Errorf("jobs run: got %d, want 4 (1000 rows in shards of 300), not deduplicated", n)
			}
		})
	}
}

// TestShardedMatchesDirect: whatever the shard size, the predictions are
// the bytes of one unsharded sandbox Run.
func TestShardedMatchesDirect(t *testing.T) {
	const rows = 2500
	cols := features(rows, 20, 2)
	tests := []struct {
		name      string
		module    string
		shardRows int
	}{
		{"linear/one-shard", sandboxtest.Linear, rows},
		{"linear/ragged", sandboxtest.Linear, 700},
		{"linear/one-row-shards-tail", sandboxtest.Linear, rows - 1},
		{"clinear/ragged", sandboxtest.CLinear, 999},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, tc.shardRows)
			c.startWorker(t, dispatch.WorkerConfig{Slots: 2})
			module := sandboxtest.Wasm(tc.module)
			want, err := direct(t, module, cols, 1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
				Submission: "sub-" + tc.module, Module: module, Columns: cols, Outputs: 1, Limits: limits})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			sameBits(t, got.Outputs, want.Outputs)
		})
	}
}

// TestModelFailure: a model's failure comes back as the direct path's
// *sandbox.Error, kind and message.
func TestModelFailure(t *testing.T) {
	cols := features(300, 2, 3)
	tests := []struct{ name, module, kind string }{
		{"trap", sandboxtest.Trap, sandbox.KindTrap},
		{"forbidden_import", sandboxtest.ForbiddenImport, sandbox.KindForbiddenImport},
		{"nan", sandboxtest.NaN, sandbox.KindBadOutput},
	}
	c := newCluster(t, 100)
	c.startWorker(t, dispatch.WorkerConfig{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			module := sandboxtest.Wasm(tc.module)
			_, want := direct(t, module, cols, 1)
			_, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
				Submission: "sub-" + tc.name, Module: module, Columns: cols, Outputs: 1, Limits: limits})
			if got := sandbox.KindOf(err); got != tc.kind {
				t.Fatalf("kind: got %q (%v), want %q", got, err, tc.kind)
			}
			if err.Error() != want.Error() {
				t.Errorf("message: got %q, want the direct path's %q", err, want)
			}
		})
	}
}

// resultCount returns the messages of ResultsStream on subjects of
// submission.
func resultCount(t *testing.T, js jetstream.JetStream, submission string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), dispatch.ResultsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter("verdict.results."+submission+".>"))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// TestRedelivery: a worker that stops mid-job (before running it, or
// after publishing its result but before the ack) loses nothing, and the
// job has one result.
func TestRedelivery(t *testing.T) {
	tests := []struct {
		name string
		at   dispatch.FaultPoint
	}{
		{"stopped-before-run", dispatch.FaultBeforeRun},
		{"stopped-before-ack", dispatch.FaultBeforeAck},
	}
	cols := features(1000, 3, 4)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 400)
			var dropped atomic.Int32
			redelivered := make(chan struct{})
			var mu sync.Mutex
			seen := map[int][]uint64{} // deliveries by shard start
			c.startWorker(t, dispatch.WorkerConfig{Slots: 2, Fault: func(at dispatch.FaultPoint, j dispatch.Job, delivery uint64) bool {
				if at == dispatch.FaultBeforeRun {
					mu.Lock()
					seen[j.Start] = append(seen[j.Start], delivery)
					mu.Unlock()
				}
				// The first try of the first shard dies at tc.at.
				if at == tc.at && j.Start == 0 && delivery == 1 {
					dropped.Add(1)
					return true
				}
				if at == dispatch.FaultBeforeAck && j.Start == 0 && delivery == 2 {
					close(redelivered) // its result is published (or deduplicated)
				}
				return false
			}})
			res, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
				Submission: "sub-redeliver", Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: cols, Outputs: 1, Limits: limits})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			sameBits(t, res.Outputs, sandboxtest.LinearPredict(cols, 1))
			<-redelivered // Evaluate may return before the retry of a job whose result was out
			if dropped.Load() != 1 {
				t.Fatalf("dropped %d jobs, want 1", dropped.Load())
			}
			mu.Lock()
			first := seen[0]
			mu.Unlock()
			if len(first) != 2 || first[1] != 2 {
				t.Errorf("deliveries of the dropped job: got %v, want [1 2]", first)
			}
			if n := resultCount(t, c.js, "sub-redeliver"); n != 3 {
				t.Errorf("results: got %d, want 3 (one per shard)", n)
			}
		})
	}
}

// TestMaxDeliverDeadLetter: a job whose worker dies on every try ends as
// a dead letter and a failure of kind crash; the other shards' results
// are unaffected and the queue is empty.
func TestMaxDeliverDeadLetter(t *testing.T) {
	c := newCluster(t, 300)
	var tries atomic.Int32
	c.startWorker(t, dispatch.WorkerConfig{Slots: 2, Fault: func(at dispatch.FaultPoint, j dispatch.Job, _ uint64) bool {
		if at == dispatch.FaultBeforeRun && j.Start == 300 {
			tries.Add(1)
			return true
		}
		return false
	}})
	cols := features(900, 2, 5)
	_, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
		Submission: "sub-dead", Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: cols, Outputs: 1, Limits: limits})
	if !errors.Is(err, sandbox.ErrCrash) || sandbox.KindOf(err) != sandbox.KindCrash {
		t.Fatalf("Evaluate: got %v (kind %q), want kind %q", err, sandbox.KindOf(err), sandbox.KindCrash)
	}
	if got := tries.Load(); got != int32(testTopology.MaxDeliver) {
		t.Errorf("tries: got %d, want MaxDeliver %d", got, testTopology.MaxDeliver)
	}
	ctx := context.Background()
	dead, err := c.js.Stream(ctx, dispatch.DeadStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := dead.GetLastMsgForSubject(ctx, "verdict.dead.sub-dead.300-600")
	if err != nil {
		t.Fatalf("dead letter: %v", err)
	}
	var j dispatch.Job
	if err := jsonUnmarshal(msg.Data, &j); err != nil || j.ID() != dispatch.JobID("sub-dead", 300, 600, j.Identity()) {
		t.Errorf("dead letter: got job %q (%v), want %q", j.ID(), err, dispatch.JobID("sub-dead", 300, 600, j.Identity()))
	}
	jobs, err := c.js.Stream(ctx, dispatch.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	// The coordinator deletes the dead job after it stored the dead
	// letter, whose crash result may end Evaluate first: the delete is
	// awaited (no event announces it), not assumed.
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := jobs.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs left in %s: got %d, want 0", dispatch.JobsStream, info.State.Msgs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := resultCount(t, c.js, "sub-dead"); n != 3 {
		t.Errorf("results: got %d, want 3 (two predictions, one crash)", n)
	}
}
