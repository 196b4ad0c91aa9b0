package dispatch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestWorkerPermissions: the worker's credentials run jobs (every other
// test's workers connect with them) and reach nothing else: each attempt
// below is refused by the server with a permissions violation naming its
// subject.
func TestWorkerPermissions(t *testing.T) {
	c := newCluster(t, 0)
	c.startWorker(t, dispatch.WorkerConfig{})
	ctx := context.Background()
	// Something to steal: a result, a predictions object, a dead letter's
	// stream.
	if _, err := c.co.Evaluate(ctx, dispatch.Evaluation{Submission: "sub-other", Module: sandboxtest.Wasm(sandboxtest.Linear),
		Columns: features(100, 2, 9), Outputs: 1, Limits: limits}); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	violations := make(chan error, 16)
	nc, err := c.srv.ConnectWorker(nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		violations <- err
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 300*time.Millisecond) }
	tests := []struct {
		name    string
		subject string // named (or begun) by the violation
		try     func() error
	}{
		{"subscribe-to-results", "verdict.results.>", func() error {
			_, err := nc.SubscribeSync("verdict.results.>")
			return err
		}},
		{"subscribe-to-everything", ">", func() error {
			_, err := nc.SubscribeSync(">")
			return err
		}},
		{"read-results-stream", "$JS.API.STREAM.INFO." + dispatch.ResultsStream, func() error {
			ctx, cancel := short()
			defer cancel()
			_, err := js.Stream(ctx, dispatch.ResultsStream)
			return err
		}},
		{"get-a-result", "$JS.API.STREAM.MSG.GET." + dispatch.ResultsStream, func() error {
			_, err := nc.Request("$JS.API.STREAM.MSG.GET."+dispatch.ResultsStream, []byte(`{"seq":1}`), 300*time.Millisecond)
			return err
		}},
		{"read-dead-letters", "$JS.API.CONSUMER.CREATE." + dispatch.DeadStream, func() error {
			ctx, cancel := short()
			defer cancel()
			_, err := js.OrderedConsumer(ctx, dispatch.DeadStream, jetstream.OrderedConsumerConfig{})
			return err
		}},
		{"read-predictions", "$JS.API.CONSUMER.CREATE.OBJ_" + dispatch.OutputsBucket, func() error {
			ctx, cancel := short()
			defer cancel()
			obs, err := js.ObjectStore(ctx, dispatch.OutputsBucket)
			if err != nil {
				return err
			}
			list, err := obs.List(ctx)
			if err != nil || len(list) == 0 {
				return err
			}
			r, err := obs.Get(ctx, list[0].Name)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = r.Read(make([]byte, 1))
			return err
		}},
		{"publish-a-job", "verdict.jobs.sub-x.0-1", func() error {
			ctx, cancel := short()
			defer cancel()
			_, err := js.Publish(ctx, "verdict.jobs.sub-x.0-1", []byte(`{}`))
			return err
		}},
		{"delete-the-queue", "$JS.API.STREAM.DELETE." + dispatch.JobsStream, func() error {
			ctx, cancel := short()
			defer cancel()
			return js.DeleteStream(ctx, dispatch.JobsStream)
		}},
		{"list-streams", "$JS.API.STREAM.NAMES", func() error {
			_, err := nc.Request("$JS.API.STREAM.NAMES", nil, 300*time.Millisecond)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_ = tc.try() // refused asynchronously; the call may time out or not
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			for {
				select {
				case err := <-violations:
					msg := strings.ToLower(err.Error())
					if strings.Contains(msg, "permissions violation") && strings.Contains(err.Error(), `"`+tc.subject) {
						return
					}
					t.Logf("other violation: %v", err)
				case <-time.After(5 * time.Second):
					t.Fatalf("no permissions violation for %q", tc.subject)
				}
			}
		})
	}
}
