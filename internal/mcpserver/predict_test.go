package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/market/markettest"
)

// newDID makes a fresh did:key.
func newDID(t testing.TB, seed byte) string {
	t.Helper()
	k, err := credential.NewKeyPair(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.DID()
}

// meteredSessions connects a Go SDK client whose predict calls are
// metered to caller: in memory through Config.Caller (verdict mcp --key),
// and over HTTP through WithCaller, as internal/httpapi does once it has
// authenticated a request.
func meteredSessions(t testing.TB, f *fixture, callers map[string]string) map[string]*mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	out := map[string]*mcp.ClientSession{}

	s := mcpserver.New(mcpserver.Config{Market: f.Market, Version: "test", Caller: callers["memory"]})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	out["memory"] = cs

	h := mcpserver.Handler(mcpserver.New(mcpserver.Config{Market: f.Market, Version: "test"}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(mcpserver.WithCaller(r.Context(), callers["http"])))
	}))
	t.Cleanup(srv.Close)
	hs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: srv.URL, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Close() })
	out["http"] = hs
	return out
}

// rows is the first n rows of the fixture's data, without the label: new
// rows for a model reading a, b.
func rows(n int) string {
	lines := strings.SplitAfter(string(markettest.Sample), "\n")
	var b strings.Builder
	for _, l := range lines[:n+1] {
		f := strings.Split(strings.TrimRight(l, "\r\n"), ",")
		b.WriteString(strings.Join(f[:3], ",") + "\n")
	}
	return b.String()
}

// checkReceipt checks that a predict answer's receipt is the ledger's
// entry at its index, that its inclusion proof verifies against its
// signed checkpoint, and that it is the HTTP route's receipt JSON.
func checkReceipt(t *testing.T, mk *market.Market, out *mcpserver.PredictOutput) *ledger.Receipt {
	t.Helper()
	b, err := json.Marshal(out.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	var ur api.UsageReceipt
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ur); err != nil {
		t.Fatalf("receipt %s is not an api.UsageReceipt: %v", b, err)
	}
	l, err := mk.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	logged, err := l.Entry(ur.Index)
	if err != nil || !bytes.Equal(logged, ur.Entry) {
		t.Fatalf("ledger entry %d: got %s, %v; want the receipt %s", ur.Index, logged, err, ur.Entry)
	}
	if ur.VerifierKey != l.VerifierKey() {
		t.Errorf("verifier key %q, want the ledger's %q", ur.VerifierKey, l.VerifierKey())
	}
	cp, err := ledger.ParseCheckpoint([]byte(ur.Checkpoint), l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(ur.Proof))
	for i, h := range ur.Proof {
		copy(proof[i][:], h)
	}
	if err := ledger.VerifyInclusion(proof, ur.Index, cp, ur.Entry); err != nil {
		t.Errorf("inclusion proof: %v", err)
	}
	tampered := bytes.Clone(ur.Entry)
	tampered[len(tampered)/2] ^= 1
	if ledger.VerifyInclusion(proof, ur.Index, cp, tampered) == nil {
		t.Error("inclusion proof of a changed entry: verified, want an error")
	}
	r, err := ledger.ParseReceipt(ur.Entry)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPredict: predict over each transport runs the model, meters the
// call to the caller and answers the outputs with a receipt that is in
// the ledger and verifies; the quota's refusal is a tool error naming the
// rule; rows beyond the bounds are refused before any work.
func TestPredict(t *testing.T) {
	f := newFixture(t)
	callers := map[string]string{"memory": newDID(t, 1), "http": newDID(t, 2)}
	id := f.IDs[markettest.Linear]
	for transport, cs := range meteredSessions(t, f, callers) {
		t.Run(transport, func(t *testing.T) {
			var got mcpserver.PredictOutput
			if msg := call(t, cs, "predict", map[string]any{"id": id[:8], "rows_csv": rows(5)}, &got); msg != "" {
				t.Fatal(msg)
			}
			if got.Model != id || len(got.IDs) != 5 || len(got.Values) != 1 || len(got.Values[0]) != 5 || got.IDColumn != "id" {
				t.Fatalf("got %+v, want model %s's one output for 5 rows", got, id)
			}
			r := checkReceipt(t, f.Market, &got)
			want := mcpserver.Usage{Model: id, Module: r.Module, Author: r.Author, Caller: callers[transport], Rows: 5,
				Time: got.Usage.Time, PricePer1000: market.DefaultPricePer1000, MilliUnits: 5 * market.DefaultPricePer1000,
				CertifiedBy: r.Issuer, Trusted: true}
			if me, err := f.Market.Entry(id); err != nil || r.Issuer != me.Card.Issuer || r.Issuer == "" {
				t.Errorf("receipt certified by %q, want the card's issuer", r.Issuer)
			}
			if got.Usage != want || r.Caller != callers[transport] || r.Rows != 5 || r.Model != id {
				t.Errorf("usage %+v, receipt %+v; want %+v", got.Usage, r, want)
			}

			for _, tc := range []struct{ name, id, rows, want string }{
				{"rows too large", id, strings.Repeat("x", mcpserver.MaxPredictCSV+1), fmt.Sprintf("rows_csv: %d bytes, more than %d", mcpserver.MaxPredictCSV+1, mcpserver.MaxPredictCSV)},
				{"too many rows", id, "id,a,b\n" + strings.Repeat("1,2,3\n", mcpserver.MaxPredictRows+1), fmt.Sprintf("rows_csv: %d rows, more than %d", mcpserver.MaxPredictRows+1, mcpserver.MaxPredictRows)},
				{"no rows", id, "", "rows_csv: required"},
				{"unknown model", "ffffffff", rows(1), "not found"},
				{"missing feature", id, "id,a\n1,2\n", `"b"`},
			} {
				t.Run("error/"+tc.name, func(t *testing.T) {
					var out any
					if msg := call(t, cs, "predict", map[string]any{"id": tc.id, "rows_csv": tc.rows}, &out); !strings.Contains(msg, tc.want) {
						t.Errorf("got %q, want an error containing %q", msg, tc.want)
					}
				})
			}
		})
	}

	// The quota: each caller may make 2 calls a day; the transports'
	// callers made one each, so the next passes and the one after is
	// refused, naming the rule.
	f.Market.SetQuota(market.Quota{CallsPerDay: 2})
	for transport, cs := range meteredSessions(t, f, callers) {
		t.Run(transport+"/quota", func(t *testing.T) {
			var out mcpserver.PredictOutput
			if msg := call(t, cs, "predict", map[string]any{"id": id, "rows_csv": rows(1)}, &out); msg != "" {
				t.Fatalf("second call: %s", msg)
			}
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "predict", Arguments: map[string]any{"id": id, "rows_csv": rows(1)}})
			if err != nil || !res.IsError || len(res.Content) != 1 {
				t.Fatalf("third call: %+v, %v; want a tool error", res, err)
			}
			msg := res.Content[0].(*mcp.TextContent).Text
			if want := `quota: ` + callers[transport] + ` reached the quota rule "calls per day" (2 used of 2 today; this call needs 1); retry at 2026-`; !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, " s") {
				t.Errorf("third call: got %q, want it to start %q and say when to retry", msg, want)
			}
			b, _ := json.Marshal(res.Meta[mcpserver.RefusalMeta])
			var r mcpserver.Refusal
			if err := json.Unmarshal(b, &r); err != nil || r.Kind != "quota" || r.Rule != "calls per day" || r.Limit != 2 || r.Used != 2 ||
				r.Caller != callers[transport] || r.RetryAfterSeconds < 1 || r.RetryAfterSeconds > 86400 || !strings.HasSuffix(r.RetryAt, "T00:00:00Z") {
				t.Errorf("third call: _meta %s, %v; want kind quota, the rule, and when to retry", b, err)
			}
		})
	}
	l, err := f.Market.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Size(); got != 4 {
		t.Errorf("ledger: %d receipts, want 4 (2 callers × 2 calls; refusals leave none)", got)
	}
}
