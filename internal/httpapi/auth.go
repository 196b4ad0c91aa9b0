package httpapi

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	participant string // the signer's did:key
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

// identify reads the request body (at most limit bytes) and authenticates
// the caller: a bearer token makes the host, a valid signature a
// participant, neither a visitor. A token or signature that does not hold
// is refused (401), never downgraded to a visitor.
func (s *Server) identify(w http.ResponseWriter, r *http.Request, limit int64) (caller, []byte, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return caller{}, nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "request body: more than the %d bytes allowed", limit)
			}
			return caller{}, nil, refuse(http.StatusBadRequest, "bad_request", "read request body: %v", err)
		}
		body = b
	}
	var c caller
	auth := r.Header.Get("Authorization")
	signed := credential.IsSignedRequest(r.Header)
	switch {
	case auth != "" && signed:
		return c, nil, refuse(http.StatusBadRequest, "bad_request", "a request is either the host's (Authorization) or a participant's (Signature), not both")
	case auth != "":
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !s.isHost(token) {
			return c, nil, refuse(http.StatusUnauthorized, "unauthorized", "Authorization: not a valid host token")
		}
		c.host = true
	case signed:
		sr, err := credential.VerifyRequest(r, body, s.cfg.Now(), s.cfg.SignatureWindow)
		if err != nil {
			return c, nil, refuse(http.StatusUnauthorized, "unauthorized", "request signature: %v", err)
		}
		if !s.replays.fresh(sr.Signer, sr.Nonce, sr.Created) {
			return c, nil, refuse(http.StatusUnauthorized, "replayed", "request signature: nonce %q was already used by %s; sign each request with a new nonce", sr.Nonce, sr.Signer)
		}
		c.participant = sr.Signer
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.who = c.String()
	}
	return c, body, nil
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
// for twice the signature window: a request outside the window is refused
// as stale anyway, so a pair is never needed for longer. It forgets on
// restart, which a window-bounded replay can exploit only within the
// window; uploads are protected across restarts by the engine, which
// records each signed submission's signature.
type replays struct {
	mu     sync.Mutex
	keep   time.Duration
	seen   map[string]time.Time // signer+"\x00"+nonce → forget after
	swept  time.Time
	maxLen int
}

func newReplays(window time.Duration) *replays {
	return &replays{keep: 2 * window, seen: map[string]time.Time{}, maxLen: 1 << 20}
}

// fresh records (signer, nonce) and reports whether it was new.
func (p *replays) fresh(signer, nonce string, created time.Time) bool {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.swept) > p.keep/4 || len(p.seen) >= p.maxLen {
		for k, until := range p.seen {
			if now.After(until) {
				delete(p.seen, k)
			}
		}
		p.swept = now
	}
	key := signer + "\x00" + nonce
	if _, ok := p.seen[key]; ok {
		return false
	}
	if len(p.seen) >= p.maxLen {
		return false // under a flood, refuse rather than forget
	}
	p.seen[key] = now.Add(p.keep)
	return true
}

// tokens checks host tokens against the data dir's token file, read again
// whenever it changes (a token created while the server runs is accepted
// at once).
type tokens struct {
	dir string

	mu     sync.Mutex
	mod    time.Time
	size   int64
	hashes [][sha256.Size]byte
}

// check reports whether token is a host token. It compares the token's
// hash with every stored hash in constant time. An unreadable or unsafe
// token file accepts no token, and says why.
func (t *tokens) check(token string) (bool, error) {
	if t.dir == "" || !strings.HasPrefix(token, tokenPrefix) {
		return false, nil
	}
	hashes, err := t.load()
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for _, h := range hashes {
		ok |= subtle.ConstantTimeCompare(sum[:], h[:])
	}
	return ok == 1, nil
}

// isHost checks a bearer token, logging a token file it cannot trust.
func (s *Server) isHost(token string) bool {
	ok, err := s.tokens.check(token)
	if err != nil {
		s.log.Error("host tokens refused", "err", err)
	}
	return ok
}

func (t *tokens) load() ([][sha256.Size]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := os.Open(filepath.Join(t.dir, TokenFile))
	if errors.Is(err, fs.ErrNotExist) {
		t.hashes = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// The mode is checked on every read: a chmod does not change the
	// modification time.
	if err := checkMode(fi, f.Name()); err != nil {
		return nil, err
	}
	if fi.ModTime().Equal(t.mod) && fi.Size() == t.size {
		return t.hashes, nil
	}
	var hashes [][sha256.Size]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		field, _, _ := strings.Cut(sc.Text(), " ")
		hx, ok := strings.CutPrefix(field, "sha256:")
		var h [sha256.Size]byte
		if n, err := hex.Decode(h[:], []byte(hx)); !ok || err != nil || n != sha256.Size {
			continue
		}
		hashes = append(hashes, h)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	t.hashes, t.mod, t.size = hashes, fi.ModTime(), fi.Size()
	return hashes, nil
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
		sr, err := credential.VerifyRequest(r, nil, s.cfg.Now(), s.cfg.SignatureWindow)
		if err == nil && s.replays.fresh(sr.Signer, sr.Nonce, sr.Created) {
			return engine.Viewer{Participant: sr.Signer}
		}
	}
	return engine.Viewer{}
}
