package dispatch_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestEvaluateQueueDown: an evaluation waiting for results when its NATS
// connection closes fails with a host error (no sandbox kind: the engine
// does not charge it) instead of waiting, or spinning, forever.
func TestEvaluateQueueDown(t *testing.T) {
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
	co, err := dispatch.NewCoordinator(context.Background(), js, dispatch.CoordinatorConfig{Topology: testTopology, Log: testLog(t)})
	if err != nil {
		t.Fatalf("NewCoordinator: %v", err)
	}
	t.Cleanup(func() { co.Close() })
	// A second connection sees Evaluate look its results up (after it
	// published the jobs): it is waiting.
	watch, err := srv.ConnectCoordinator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(watch.Close)
	waiting, err := watch.SubscribeSync("$JS.API.STREAM.MSG.GET." + dispatch.ResultsStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Flush(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := co.Evaluate(context.Background(), dispatch.Evaluation{Submission: "down", Module: sandboxtest.Wasm(sandboxtest.Linear),
			Columns: features(10, 2, 1), Outputs: 1, Limits: limits})
		done <- err
	}()
	if _, err := waiting.NextMsg(time.Minute); err != nil {
		t.Fatalf("Evaluate never asked for results: %v", err)
	}
	nc.Close()
	select {
	case err := <-done:
		var se *sandbox.Error
		if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "wait for results") {
			t.Fatalf("Evaluate: got %v, want the queue's error while waiting for results", err)
		}
		t.Logf("Evaluate: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Evaluate still waiting a minute after its connection closed")
	}
}

// TestEngineQueueTimeoutUncharged: when NATS stops answering, the
// queue's own timeouts (which wrap context.DeadlineExceeded) fail the
// submission as the host's fault, never as the model's time limit: with
// a total limit of one, the participant may still submit.
func TestEngineQueueTimeoutUncharged(t *testing.T) {
	srv, err := dispatch.StartServer(dispatch.ServerConfig{Dir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	nc, err := srv.ConnectCoordinator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// Retries of what times out end after QueueDownAfter.
	co, err := dispatch.NewCoordinator(context.Background(), js, dispatch.CoordinatorConfig{Topology: testTopology, Log: testLog(t),
		QueueDownAfter: time.Second})
	if err != nil {
		t.Fatalf("NewCoordinator: %v", err)
	}
	t.Cleanup(func() { co.Close() })
	e := openEngineLimits(t, co, "{memory_mb: 64, timeout_s: 60, total_limit: 1}")
	srv.Close() // the queue is down; the connection keeps trying
	module, err := fs.ReadFile(examples.FS, examples.Demo()[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 2 {
		got, err := e.Submit(ctx, engine.SubmitRequest{Task: "bc-queue", Participant: "dana", Module: module})
		var qe *engine.QuotaError
		if errors.As(err, &qe) {
			t.Fatalf("Submit %d: %v: a queue that timed out was charged", i, err)
		}
		if got == nil {
			t.Fatalf("Submit %d: %v", i, err)
		}
		if got.Status != engine.StatusFailed || got.Error == nil || got.Error.Kind == sandbox.KindTimeout {
			t.Fatalf("Submit %d: got %s %+v, want failed by the host, not a time limit", i, got.Status, got.Error)
		}
	}
}
