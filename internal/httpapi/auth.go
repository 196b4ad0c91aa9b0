package httpapi

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// Roles. The host holds a bearer token (CreateToken); a participant signs
// each request with their did:key (credential.SignRequest, RFC 9421) and is
// that DID; anyone else is a visitor, who sees what the rules make public.

// caller is who sent a request.
type caller struct {
	host        bool
	participant string                    // the signer's did:key, or a buyer token's
	buyer       bool                      // a buyer token's holder: metered use only (identifyBuyer)
	sig         *credential.SignedRequest // a participant's verified signature: its body is checked against it
	addr        string                    // the client address
}

func (c caller) viewer() engine.Viewer {
	return engine.Viewer{Host: c.host, Participant: c.participant}
}

func (c caller) String() string {
	switch {
	case c.host:
		return "host"
	case c.participant != "":
		return c.participant
	}
	return "anonymous"
}

// client is the key of the caller's bytes in flight: who they are, or for
// an anonymous caller their address.
func (c caller) client() string {
	if c.host || c.participant != "" {
		return c.String()
	}
	return "address " + c.addr
}

// identify authenticates the caller from the headers alone, before any of
// the body is read: a bearer token makes the host, a valid signature (over
// the method, path, query and Content-Digest) a participant, neither a
// visitor. A token or signature that does not hold is refused (401), never
// downgraded to a visitor. A handler that wants the body reads it with
// readBody once it knows the caller may send one.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (caller, error) {
	c, err := s.identifyBuyer(w, r)
	if err == nil && c.buyer {
		return caller{addr: c.addr}, refuse(http.StatusForbidden, "forbidden",
			"%s %s: a buyer token (for %s) may only use models as a metered service: POST /v1/market/{id}/predict, or /mcp", r.Method, r.URL.Path, c.participant)
	}
	return c, err
}

// identifyBuyer is identify for the routes of metered use, which also
// accept a buyer token (buyertokens.go): its holder is the buyer's DID,
// with c.buyer set.
func (s *Server) identifyBuyer(w http.ResponseWriter, r *http.Request) (caller, error) {
	c := caller{addr: clientIP(r)}
	auth := r.Header.Get("Authorization")
	signed := credential.IsSignedRequest(r.Header)
	switch {
	case auth != "" && signed:
		return c, refuse(http.StatusBadRequest, "bad_request", "a request is either the host's (Authorization) or a participant's (Signature), not both")
	case strings.HasPrefix(auth, "Bearer "+buyerTokenPrefix):
		did, ok := s.buyer(strings.TrimPrefix(auth, "Bearer "))
		if !ok {
			return c, refuse(http.StatusUnauthorized, "unauthorized", "Authorization: not a valid buyer token")
		}
		c.participant, c.buyer = did, true
	case auth != "":
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !s.isHost(token) {
			return c, refuse(http.StatusUnauthorized, "unauthorized", "Authorization: not a valid host token")
		}
		c.host = true
	case signed:
		now := s.cfg.Now()
		sr, err := credential.VerifyRequestHeaders(r, now, s.cfg.SignatureWindow)
		if err != nil {
			return c, refuse(http.StatusUnauthorized, "unauthorized", "request signature: %v", err)
		}
		if err := s.replays.check(sr.Signer, sr.Nonce, sr.Created, now); err != nil {
			if wait, full := isReplayCacheFull(err); full {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return c, refuse(http.StatusServiceUnavailable, "busy", "request signature: the server remembers as many recent nonces as it may; retry in %s", wait.Round(time.Second))
			}
			return c, refuse(http.StatusUnauthorized, "replayed", "request signature: nonce %q was already used by %s; sign each request with a new nonce", sr.Nonce, sr.Signer)
		}
		c.participant, c.sig = sr.Signer, sr
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.who = c.String()
	}
	return c, nil
}

// readBody reads the body of an identified caller, at most limit bytes.
// Its bytes are reserved before a byte is read (Config.MaxInflightBytes,
// Config.ClientInflightBytes) and held until the request ends: the
// Content-Length when sent (one above limit is refused unread), else the
// most the caller may send, and reading stops at that bound. A
// participant's body is checked against the signed Content-Digest as it
// streams.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, c caller, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "request body of %d bytes: more than the %d bytes allowed", r.ContentLength, limit)
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		if c.sig != nil {
			if err := c.sig.CheckBody(nil); err != nil {
				return nil, refuse(http.StatusUnauthorized, "unauthorized", "request signature: %v", err)
			}
		}
		return nil, nil
	}
	n, bound := r.ContentLength, limit
	if n < 0 {
		// No length: reserve what the caller may send, within what one
		// client may hold.
		n = min(limit, s.inflight.perClient, s.inflight.max)
		bound = n
	}
	release, err := s.inflight.reserve(w, c.client(), n)
	if err != nil {
		return nil, err
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.release = append(rec.release, release)
	} else {
		defer release()
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, n)
	if c.sig != nil {
		body = c.sig.Body(body)
	}
	var b []byte
	if r.ContentLength > 0 {
		// Room for the body and ReadFrom's look for its end: one
		// allocation, never doubled.
		b = make([]byte, 0, r.ContentLength+bytes.MinRead)
	}
	buf := bytes.NewBuffer(b)
	if _, err = buf.ReadFrom(body); err != nil {
		var mbe *http.MaxBytesError
		var fe *credential.FieldError
		switch {
		case errors.As(err, &mbe) && bound < limit:
			return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "request body: more than the %d bytes one client may send at once without a Content-Length", bound)
		case errors.As(err, &mbe):
			return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "request body: more than the %d bytes allowed", limit)
		case errors.As(err, &fe):
			return nil, refuse(http.StatusUnauthorized, "unauthorized", "request signature: %v", err)
		}
		return nil, refuse(http.StatusBadRequest, "bad_request", "read request body: %v", err)
	}
	return buf.Bytes(), nil
}

// needHost refuses anyone but the host: 401 for a visitor (who could log
// in), 403 for a participant (who cannot).
func needHost(c caller, what string) error {
	switch {
	case c.host:
		return nil
	case c.participant != "":
		return refuse(http.StatusForbidden, "forbidden", "%s: only the host may", what)
	}
	return refuse(http.StatusUnauthorized, "unauthorized", "%s: only the host may (Authorization: Bearer TOKEN)", what)
}

// needCaller refuses a visitor.
func needCaller(c caller, what string) error {
	if c.host || c.participant != "" {
		return nil
	}
	return refuse(http.StatusUnauthorized, "unauthorized", "%s: sign the request with your did:key (or use the host token)", what)
}

// actingAs returns the participant a request acts for: a participant acts
// only as themself (403 if the query names another); the host names one
// with ?participant= (required when need is set).
func actingAs(c caller, r *http.Request, need bool) (string, error) {
	named := r.URL.Query().Get("participant")
	switch {
	case c.host:
		if named == "" && need {
			return "", refuse(http.StatusBadRequest, "bad_request", "the host acts for a participant named by ?participant=")
		}
		return named, nil
	case c.participant != "":
		if named != "" && named != c.participant {
			return "", refuse(http.StatusForbidden, "forbidden", "participant %s may not act as %q", c.participant, named)
		}
		return c.participant, nil
	}
	return "", needCaller(c, r.Method+" "+r.URL.Path)
}

// replays remembers the (signer, nonce) pairs of accepted signed requests
// until their signature's created time plus the window, by the server's
// clock: after that the request is refused as stale anyway, so the pair is
// never needed for longer. Full (maxLen pairs still within their window),
// it refuses new pairs rather than forget one that could be replayed. It
// forgets on restart, which a window-bounded replay can exploit only within
// the window; uploads are protected across restarts by the engine, which
// records each signed submission's signature.
type replays struct {
	mu      sync.Mutex
	window  time.Duration
	maxLen  int
	seen    map[string]time.Time // signer+"\x00"+nonce → forget after
	expires expiries             // the keys of seen, soonest first
}

// DefaultReplayCacheSize bounds the nonces remembered at once.
const DefaultReplayCacheSize = 1 << 20

func newReplays(window time.Duration) *replays {
	return &replays{window: window, seen: map[string]time.Time{}, maxLen: DefaultReplayCacheSize}
}

// replayCacheFull is check's refusal when the cache is full: the first
// pair is forgotten after wait.
type replayCacheFull struct{ wait time.Duration }

func (e replayCacheFull) Error() string { return "replay cache full" }

var errReplayed = errors.New("nonce already used")

func isReplayCacheFull(err error) (time.Duration, bool) {
	var f replayCacheFull
	ok := errors.As(err, &f)
	return f.wait, ok
}

// check records (signer, nonce), signed at created and seen at now: it
// returns errReplayed for a pair it holds, replayCacheFull when it holds
// maxLen pairs whose window has not ended.
func (p *replays) check(signer, nonce string, created, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.expires) > 0 && now.After(p.expires[0].at) {
		e := heap.Pop(&p.expires).(expiry)
		delete(p.seen, e.key)
	}
	key := signer + "\x00" + nonce
	if _, ok := p.seen[key]; ok {
		return errReplayed
	}
	if len(p.seen) >= p.maxLen {
		return replayCacheFull{wait: max(p.expires[0].at.Sub(now), time.Second)}
	}
	at := created.Add(p.window)
	p.seen[key] = at
	heap.Push(&p.expires, expiry{at: at, key: key})
	return nil
}

// expiries is a min-heap of when each remembered pair may be forgotten.
type expiries []expiry

type expiry struct {
	at  time.Time
	key string
}

func (h expiries) Len() int           { return len(h) }
func (h expiries) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiries) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiries) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiries) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// tokens checks bearer tokens against a token file of the data dir (host
// tokens: TokenFile; buyer tokens: BuyerTokenFile), read again whenever it
// changes (a token created while the server runs is accepted at once).
type tokens struct {
	dir    string
	file   string // "" is TokenFile
	prefix string // "" is tokenPrefix

	mu     sync.Mutex
	mod    time.Time
	size   int64
	hashes [][sha256.Size]byte
	names  []string // the second field of each hash's line
}

// check reports whether token is a host token.
func (t *tokens) check(token string) (bool, error) {
	_, ok, err := t.lookup(token)
	return ok, err
}

// lookup reports whether token is in the file, and the name its line
// gives (a buyer token's DID). It compares the token's hash with every
// stored hash in constant time. An unreadable or unsafe token file
// accepts no token, and says why.
func (t *tokens) lookup(token string) (string, bool, error) {
	prefix := cmp.Or(t.prefix, tokenPrefix)
	if t.dir == "" || !strings.HasPrefix(token, prefix) {
		return "", false, nil
	}
	hashes, names, err := t.load()
	if err != nil {
		return "", false, err
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare(sum[:], h[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false, nil
	}
	return names[found], true, nil
}

// isHost checks a bearer token, logging a token file it cannot trust.
func (s *Server) isHost(token string) bool {
	ok, err := s.tokens.check(token)
	if err != nil {
		s.log.Error("host tokens refused", "err", err)
	}
	return ok
}

func (t *tokens) load() ([][sha256.Size]byte, []string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := os.Open(filepath.Join(t.dir, cmp.Or(t.file, TokenFile)))
	if errors.Is(err, fs.ErrNotExist) {
		t.hashes, t.names = nil, nil
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	// The mode is checked on every read: a chmod does not change the
	// modification time.
	if err := checkMode(fi, f.Name()); err != nil {
		return nil, nil, err
	}
	if fi.ModTime().Equal(t.mod) && fi.Size() == t.size {
		return t.hashes, t.names, nil
	}
	var hashes [][sha256.Size]byte
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		hx, ok := strings.CutPrefix(fields[0], "sha256:")
		var h [sha256.Size]byte
		if n, err := hex.Decode(h[:], []byte(hx)); !ok || err != nil || n != sha256.Size {
			continue
		}
		name := ""
		if len(fields) > 1 {
			name = fields[1]
		}
		hashes, names = append(hashes, h), append(names, name)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	t.hashes, t.names, t.mod, t.size = hashes, names, fi.ModTime(), fi.Size()
	return hashes, names, nil
}

// clientIP is the address the connection came from (X-Forwarded-For is
// not trusted: a proxy in front should do its own limiting).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Viewer returns who a page request comes from, for pages served beside
// the API (internal/web's Config.Viewer): the host for a valid bearer
// token, a participant for a valid signature over an empty body, anyone
// else (an invalid credential included) a visitor. It never reads a body.
func (s *Server) Viewer(r *http.Request) engine.Viewer {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if token, ok := strings.CutPrefix(auth, "Bearer "); ok && s.isHost(token) {
			return engine.Host
		}
		return engine.Viewer{}
	}
	if credential.IsSignedRequest(r.Header) {
		now := s.cfg.Now()
		sr, err := credential.VerifyRequest(r, nil, now, s.cfg.SignatureWindow)
		if err == nil && s.replays.check(sr.Signer, sr.Nonce, sr.Created, now) == nil {
			return engine.Viewer{Participant: sr.Signer}
		}
	}
	return engine.Viewer{}
}
