package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (a client address, a participant),
// forgetting keys idle long enough for their bucket to be full again.
type limiter struct {
	r     rate.Limit
	burst int

	mu    sync.Mutex
	keys  map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{r: rate.Limit(perSecond), burst: burst, keys: map[string]*bucket{}}
}

// allow takes a token from key's bucket, or says how long until one is
// free.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	full := time.Duration(float64(l.burst) / float64(l.r) * float64(time.Second))
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.keys {
			if now.Sub(b.last) > full {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.r, l.burst)}
		l.keys[key] = b
	}
	b.last = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// rateLimited refuses with 429 and Retry-After.
func rateLimited(w http.ResponseWriter, who string, wait time.Duration) error {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return refuse(http.StatusTooManyRequests, "rate_limited", "too many uploads from %s: retry in %s", who, wait.Round(time.Millisecond))
}

// inflight bounds the request bytes the server holds at once, in total
// and per client (a participant, the host, or an anonymous address): a
// body's bytes are reserved before it is read and released when its
// request ends, so a flood is refused instead of held.
type inflight struct {
	max, perClient int64

	mu      sync.Mutex
	total   int64
	clients map[string]int64
}

func newInflight(max, perClient int64) *inflight {
	return &inflight{max: max, perClient: perClient, clients: map[string]int64{}}
}

// reserve takes n bytes for client, or refuses: 413 for a body above a
// bound, 429 for a client holding too much already, 503 for a server that
// does.
func (f *inflight) reserve(w http.ResponseWriter, client string, n int64) (release func(), err error) {
	if n > f.perClient || n > f.max {
		return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "request body of %d bytes: more than the %d bytes one client may have in flight",
			n, min(f.perClient, f.max))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.clients[client]+n > f.perClient {
		w.Header().Set("Retry-After", "1")
		return nil, refuse(http.StatusTooManyRequests, "rate_limited", "too many bytes in flight from %s: %d held, at most %d; retry when a request ends",
			client, f.clients[client], f.perClient)
	}
	if f.total+n > f.max {
		w.Header().Set("Retry-After", "1")
		return nil, refuse(http.StatusServiceUnavailable, "busy", "the server holds as many request bytes as it may (%d); retry in a moment", f.max)
	}
	f.total += n
	f.clients[client] += n
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.total -= n
			if f.clients[client] -= n; f.clients[client] <= 0 {
				delete(f.clients, client)
			}
		})
	}, nil
}

// chargeUpload charges an upload (or a bundle ingest) to its caller's
// budget, once the caller is known: a participant to their own bucket,
// then to their address's bucket of signed uploads; an anonymous caller to
// their address's anonymous bucket, which no signed request shares. The
// host's uploads are not limited; with host set (an ingest) the host has
// a bucket too.
func (s *Server) chargeUpload(w http.ResponseWriter, c caller, host bool) error {
	switch {
	case c.host && !host:
		return nil
	case c.host:
		if ok, wait := s.whoRate.allow("host"); !ok {
			return rateLimited(w, "the host", wait)
		}
	case c.participant != "":
		if ok, wait := s.whoRate.allow(c.participant); !ok {
			return rateLimited(w, c.participant, wait)
		}
		if ok, wait := s.ipRate.allow(c.addr); !ok {
			return rateLimited(w, "participants at "+c.addr, wait)
		}
	default:
		if ok, wait := s.anonRate.allow(c.addr); !ok {
			return rateLimited(w, "anonymous callers at "+c.addr, wait)
		}
	}
	return nil
}
