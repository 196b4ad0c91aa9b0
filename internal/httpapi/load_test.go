package httpapi_test

import (
	"flag"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
)

var (
	loadClients = flag.Int("load.clients", 20, "TestLoad: concurrent clients")
	loadUploads = flag.Int("load.uploads", 0, "TestLoad: uploads per client (default 50; 5 under -race or -short)")
)

// TestLoad is the bounded loopback load test: clients participants upload
// uploads distinct small modules each, reading the leaderboard after every
// upload, over a real engine and store. It logs requests/s and the p50/p99
// latency of uploads and reads, and checks every accepted upload is scored.
// The acceptance size, 20 × 50, is the default; under -race (make test)
// or -short it is 20 × 5 unless -load.uploads says otherwise.
func TestLoad(t *testing.T) {
	clients, uploads := *loadClients, *loadUploads
	if uploads == 0 {
		uploads = 50
		if raceEnabled || testing.Short() {
			uploads = 5
		}
	}
	v := newEnv(t, engine.Config{QueueSize: clients * uploads},
		httpapi.Config{UploadRate: 1e6, UploadBurst: 1e6, IPUploadRate: 1e6, IPUploadBurst: 1e6})
	v.createTask("load", "")
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}

	type sample struct {
		upload bool
		d      time.Duration
	}
	var (
		mu       sync.Mutex
		samples  []sample
		accepted []string
		refused  = map[int]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := v.as(participantKey(t, fmt.Sprintf("p%02d", i)))
			c.hc = hc
			for j := range uploads {
				t0 := time.Now()
				r := c.submit("load", module(fmt.Sprintf("%d-%d", i, j)), "")
				d := time.Since(t0)
				var id string
				if r.status == http.StatusAccepted {
					id, _ = r.json(t)["id"].(string)
				}
				t1 := time.Now()
				lb := c.get("/v1/tasks/load/leaderboard")
				d2 := time.Since(t1)
				mu.Lock()
				samples = append(samples, sample{true, d}, sample{false, d2})
				if id != "" {
					accepted = append(accepted, id)
				} else {
					refused[r.status]++
				}
				if lb.status != http.StatusOK {
					refused[lb.status]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	scored := waitScored(t, v.e, accepted)
	total := time.Since(start)

	pct := func(upload bool) (p50, p99 time.Duration) {
		var ds []time.Duration
		for _, s := range samples {
			if s.upload == upload {
				ds = append(ds, s.d)
			}
		}
		slices.Sort(ds)
		return ds[len(ds)*50/100], ds[min(len(ds)-1, len(ds)*99/100)]
	}
	u50, u99 := pct(true)
	r50, r99 := pct(false)
	t.Logf("load: %d clients × %d uploads + a leaderboard read after each: %d requests in %s = %.0f req/s",
		clients, uploads, len(samples), wall.Round(time.Millisecond), float64(len(samples))/wall.Seconds())
	t.Logf("load: upload p50 %s p99 %s; leaderboard p50 %s p99 %s",
		u50.Round(time.Microsecond), u99.Round(time.Microsecond), r50.Round(time.Microsecond), r99.Round(time.Microsecond))
	t.Logf("load: %d uploads accepted, %d scored, all scored %s after the first upload; refused by status: %v",
		len(accepted), scored, total.Round(time.Millisecond), refused)
	if len(accepted) != clients*uploads {
		t.Errorf("accepted %d of %d uploads (refused by status: %v)", len(accepted), clients*uploads, refused)
	}
	if scored != len(accepted) {
		t.Errorf("scored %d of %d accepted uploads", scored, len(accepted))
	}
	entries := v.anonymous().get("/v1/tasks/load/leaderboard").json(t)["entries"].([]any)
	if len(entries) != clients {
		t.Errorf("leaderboard has %d entries, want %d", len(entries), clients)
	}
}
