package dispatch_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/sandbox"
)

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
	co, err := dispatch.NewCoordinator(context.Background(), js, dispatch.CoordinatorConfig{Topology: testTopology, Log: testLog(t)})
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
