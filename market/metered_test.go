package market_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// listed opens a contest, promotes ada's linear model and returns its id.
func listed(t testing.TB) (*engine.Engine, *market.Market, *clock, string) {
	t.Helper()
	e, m, clk := contest(t, "", engine.Config{})
	mustSubmit(t, e, "ada", linear)
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	proms, err := e.Promote(context.Background(), "contest")
	if err != nil || len(proms) == 0 || proms[0].Credential == nil {
		t.Fatalf("Promote: %+v, %v", proms, err)
	}
	t.Cleanup(func() { m.Close() })
	return e, m, clk, strings.TrimPrefix(proms[0].Credential.ID, "urn:uuid:")
}

func rowsCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("id,a,b\n")
	for i := range n {
		fmt.Fprintf(&b, "r%d,%d.5,%d.25\n", i, i%7, i%5)
	}
	return []byte(b.String())
}

func TestPredictMetered(t *testing.T) {
	ctx := context.Background()
	e, m, _, id := listed(t)
	if err := m.SetPrice(id, 250); err != nil {
		t.Fatal(err)
	}
	if me, err := m.Entry(id); err != nil || me.PricePer1000 != 250 {
		t.Fatalf("entry price: got %+v, %v; want 250", me, err)
	}
	if ls, err := m.List(market.Query{}); err != nil || len(ls) != 1 || ls[0].PricePer1000 != 250 {
		t.Fatalf("listed price: got %+v, %v; want 250", ls, err)
	}
	in := rowsCSV(4)
	got, err := m.PredictMetered(ctx, "did:key:z6MkCaller", id, in, "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := m.Predict(ctx, id, strings.NewReader(string(in)), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Predictions.Values) != fmt.Sprint(plain.Values) {
		t.Errorf("metered predictions %v, want Predict's %v", got.Predictions.Values, plain.Values)
	}
	r := got.Receipt
	if r.Rows != 4 || r.PricePer1000 != 250 || r.MilliUnits != 1000 || r.Caller != "did:key:z6MkCaller" || r.Model != id || r.Author != "ada" {
		t.Errorf("receipt %+v", r)
	}
	if r.Request != ledger.RequestDigest(got.Salt, in) {
		t.Errorf("request digest does not open with the salt")
	}
	if strings.Contains(string(got.Entry), "r0") || strings.Contains(string(got.Entry), "0.5") {
		t.Errorf("receipt holds input: %s", got.Entry)
	}
	l, err := m.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := market.LedgerVerifierKey(e.HostDID()) // from the DID alone: the host key signs
	if err != nil || vkey != l.VerifierKey() {
		t.Fatalf("verifier key of the host DID: got %q, %v; want %q", vkey, err, l.VerifierKey())
	}
	cp, err := ledger.ParseCheckpoint(got.Checkpoint, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Origin != market.LedgerOrigin(e.HostDID()) {
		t.Errorf("origin %q, want the host's", cp.Origin)
	}
	p, err := l.ProveInclusion(got.Index, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.VerifyInclusion(p, got.Index, cp, got.Entry); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrBadRequest", func(t *testing.T) {
		before := l.Size()
		for _, in := range []string{"id,a\nn1,1\n", "id,a,b\n"} {
			if _, err := m.PredictMetered(ctx, "did:key:z6MkCaller", id, []byte(in), "in.csv"); !errors.Is(err, engine.ErrBadRequest) {
				t.Errorf("input %q: got %v, want ErrBadRequest", in, err)
			}
		}
		if l.Size() != before {
			t.Errorf("a refused call left a receipt")
		}
	})
}

// TestQuotaHammer: concurrent callers get exactly the quota, no more, and
// a receipt for each call served; the count survives a reopen.
func TestQuotaHammer(t *testing.T) {
	ctx := context.Background()
	_, m, _, id := listed(t)
	m.SetQuota(market.Quota{CallsPerDay: 7, RowsPerDay: -1})
	in := rowsCSV(3)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				_, err := m.PredictMetered(ctx, fmt.Sprintf("did:key:z6Mk%d", w%2), id, in, "in.csv")
				var qe *market.QuotaError
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &qe) && errors.Is(err, engine.ErrQuotaExceeded) && qe.Rule == "calls per day":
					refused.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 14 || refused.Load() != 6 {
		t.Fatalf("got %d served and %d refused, want 14 and 6 (7 a day for each of 2 callers)", ok.Load(), refused.Load())
	}
	l, _ := m.Ledger()
	if l.Size() != 14 {
		t.Fatalf("ledger holds %d receipts, want 14", l.Size())
	}
	// Reopened, the day's use is recounted from the ledger.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := m.PredictMetered(ctx, "did:key:z6Mk0", id, in, "in.csv")
	var qe *market.QuotaError
	if !errors.As(err, &qe) || qe.Used != 7 {
		t.Fatalf("after reopen: got %v, want the calls rule with 7 used", err)
	}
	if msg := engine.Message(err); !strings.Contains(msg, `"calls per day"`) {
		t.Errorf("message %q does not name the rule", msg)
	}
	m.SetQuota(market.Quota{RowsPerDay: 5})
	_, err = m.PredictMetered(ctx, "did:key:z6MkOther", id, rowsCSV(6), "in.csv")
	if !errors.As(err, &qe) || qe.Rule != "rows per day" {
		t.Fatalf("6 rows over 5: got %v, want the rows rule", err)
	}
}

// TestQuotaGivenBackWhenNotRecorded: a call whose receipt could not be
// appended (the ledger closed under it) was not served, and its quota is
// given back.
func TestQuotaGivenBackWhenNotRecorded(t *testing.T) {
	ctx := context.Background()
	_, m, _, id := listed(t)
	m.SetQuota(market.Quota{CallsPerDay: 1, RowsPerDay: -1})
	l, err := m.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		_, err := m.PredictMetered(ctx, "did:key:z6MkCaller", id, rowsCSV(2), "in.csv")
		if err == nil || errors.Is(err, market.ErrQuota) {
			t.Fatalf("call %d on a closed ledger: got %v, want the append's error (the first call's quota given back)", i, err)
		}
	}
	if l.Size() != 0 {
		t.Errorf("got %d receipts, want none", l.Size())
	}
}

// BenchmarkPredictMetered measures a metered call (input parsed, quota,
// sandbox run, receipt fsynced in the ledger); BenchmarkPredict is the
// same run unmetered.
func BenchmarkPredictMetered(b *testing.B) {
	ctx := context.Background()
	_, m, _, id := listed(b)
	m.SetQuota(market.Quota{CallsPerDay: -1, RowsPerDay: -1})
	for _, rows := range []int{100, 10000} {
		in := rowsCSV(rows)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.PredictMetered(ctx, "did:key:z6MkBench", id, in, "in.csv"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
