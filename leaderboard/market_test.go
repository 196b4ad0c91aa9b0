package leaderboard

import (
	"errors"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func marketEntry(id string, score float64) MarketEntry {
	return MarketEntry{
		ID: id, Task: "iris", TaskType: "multiclass", Metric: "accuracy", HigherIsBetter: true,
		Score: score, Features: []string{"sepal_length", "petal_width"},
		Author: "did:key:z6MkAuthor", Issuer: "did:key:z6MkHost",
		ModuleSHA256: "ab12", Created: t0,
		Credential: []byte(`{"id":"urn:uuid:` + id + `"}`), Card: []byte(`{"v":1}`),
	}
}

func TestMarketEntries(t *testing.T) {
	s, dir := openStore(t)
	a, b := marketEntry("aa01", 0.9), marketEntry("ab02", 0.8)
	b.Ingested = true
	for _, m := range []MarketEntry{b, a} {
		if err := s.PutMarketEntry(m); err != nil {
			t.Fatalf("PutMarketEntry(%s): %v", m.ID, err)
		}
	}
	errs := []struct {
		name string
		m    MarketEntry
		want error
	}{
		{"ErrExists", marketEntry("aa01", 0.1), ErrExists},
		{"ErrInvalidKey/empty", marketEntry("", 0.1), ErrInvalidKey},
		{"ErrInvalidKey/NUL", marketEntry("a\x00b", 0.1), ErrInvalidKey},
		{"ErrInvalidSubmission/NaN", marketEntry("nan", math.NaN()), ErrInvalidSubmission},
		{"ErrInvalidSubmission/Inf", marketEntry("inf", math.Inf(-1)), ErrInvalidSubmission},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.PutMarketEntry(tc.m); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}

	got, err := s.MarketEntry("aa01")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("MarketEntry(aa01): got %+v, %v; want %+v", got, err, a)
	}
	if _, err := s.MarketEntry("zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarketEntry(zz): got %v, want ErrNotFound", err)
	}
	prefixes := []struct {
		prefix string
		want   []string
	}{{"", []string{"aa01", "ab02"}}, {"a", []string{"aa01", "ab02"}}, {"ab", []string{"ab02"}}, {"b", nil}}
	for _, tc := range prefixes {
		list, err := s.MarketEntries(tc.prefix)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range list {
			ids = append(ids, m.ID)
		}
		if !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("MarketEntries(%q): got %v, want %v", tc.prefix, ids, tc.want)
		}
	}

	at := t0.Add(time.Hour)
	r, err := s.RevokeMarketEntry("aa01", at, "leaked labels")
	if err != nil || !r.Revoked.Equal(at) || r.RevokedReason != "leaked labels" {
		t.Fatalf("RevokeMarketEntry: got %+v, %v", r, err)
	}
	if r, err = s.RevokeMarketEntry("aa01", at.Add(time.Hour), "again"); err != nil || !r.Revoked.Equal(at) || r.RevokedReason != "leaked labels" {
		t.Errorf("second RevokeMarketEntry: got %v %q, %v; want the first revocation kept", r.Revoked, r.RevokedReason, err)
	}
	if _, err := s.RevokeMarketEntry("zz", at, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeMarketEntry(zz): got %v, want ErrNotFound", err)
	}

	// Durable: the entries and the revocation survive a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err = s2.MarketEntry("aa01")
	if err != nil || !got.Revoked.Equal(at) || !reflect.DeepEqual(got.Features, a.Features) {
		t.Errorf("after reopen: got %+v, %v", got, err)
	}
}

// TestPutMarketEntryHammer: of many concurrent puts of one id exactly one
// wins.
func TestPutMarketEntryHammer(t *testing.T) {
	s, _ := openStore(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.PutMarketEntry(marketEntry("same", float64(i)))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrExists):
				t.Errorf("put %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("got %d winners, want 1", wins.Load())
	}
}
