package dispatch_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// everything returns every message of every stream (objects are messages
// of their buckets' streams): subjects, headers and data.
func everything(t *testing.T, js jetstream.JetStream) [][]byte {
	t.Helper()
	ctx := context.Background()
	var all [][]byte
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		st := s.CachedInfo().State
		for seq := st.FirstSeq; seq <= st.LastSeq && st.Msgs > 0; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue // deleted (an acked job)
			}
			var b bytes.Buffer
			b.WriteString(m.Subject)
			for k, vs := range m.Header {
				b.WriteString(k)
				for _, v := range vs {
					b.WriteString(v)
				}
			}
			b.Write(m.Data)
			all = append(all, b.Bytes())
		}
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

// TestLabelsNeverEnterNATS evaluates a task whose labels are values that
// appear nowhere else, then looks for them, as float64 bytes (both byte
// orders) and as text, in every message that crossed the server (a
// subscription to ">": jobs, results, object chunks, API traffic) and in
// every message every stream holds afterwards.
func TestLabelsNeverEnterNATS(t *testing.T) {
	const rows = 600
	c := newCluster(t, 250)
	c.startWorker(t, dispatch.WorkerConfig{Slots: 2})
	cols := features(rows, 4, 7)
	labels := features(rows, 1, 8)[0] // the held-back column: never handed to dispatch
	for i := range labels {
		labels[i] = math.Abs(labels[i]) + 1e6 // apart from any feature or prediction
	}
	var mu sync.Mutex
	var seen bytes.Buffer
	sub, err := c.js.Conn().Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen.WriteString(m.Subject)
		seen.Write(m.Data)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if _, err := c.co.Evaluate(context.Background(), dispatch.Evaluation{
		Submission: "sub-labels", Module: sandboxtest.Wasm(sandboxtest.Linear), Columns: cols, Outputs: 1, Limits: limits}); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if err := c.js.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	msgs := everything(t, c.js)
	var blob bytes.Buffer
	for _, m := range msgs {
		blob.Write(m)
	}
	mu.Lock()
	blob.Write(seen.Bytes())
	mu.Unlock()
	// The scan sees what crossed: a feature value's bytes are there.
	var fb [8]byte
	binary.LittleEndian.PutUint64(fb[:], math.Float64bits(cols[2][123]))
	if !bytes.Contains(blob.Bytes(), fb[:]) || !bytes.Contains(blob.Bytes(), []byte("verdict.jobs.sub-labels.0-250")) {
		t.Fatalf("scan of %d messages (%d bytes) does not find a feature value and a job: it scans nothing", len(msgs), blob.Len())
	}
	for i, v := range labels {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		binary.BigEndian.PutUint64(fb[:], math.Float64bits(v))
		for _, needle := range [][]byte{b[:], fb[:], []byte(strconv.FormatFloat(v, 'g', -1, 64))} {
			if bytes.Contains(blob.Bytes(), needle) {
				t.Fatalf("label of row %d (%v) found in what crossed NATS", i, v)
			}
		}
	}
}
