package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HTTP Message Signatures (RFC 9421) with the ed25519 algorithm, the subset
// a participant uses to act as their did:key on verdict's HTTP API. A
// signed request carries three headers:
//
//	Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
//	Signature-Input: verdict=("@method" "@path" "@query" "content-digest");created=1764064200;keyid="did:key:z6Mk…";alg="ed25519";nonce="…"
//	Signature: verdict=:base64 of the 64-byte Ed25519 signature:
//
// The signature base is RFC 9421's (section 2.5) over exactly those four
// components, so the signature binds the method, the path, the query and
// the body (RFC 9530's Content-Digest) to the key and the time. The host
// and scheme are not covered: a server behind a proxy sees the same path
// and query the client signed, but not always the same authority.
// Content-Digest is RFC 9530's dictionary: it may name other algorithms
// too (sha-512=:…:, sha-256=:…:), which are ignored; its sha-256 member
// must be present, once, and is the one checked against the body.

// Errors of VerifyRequest, besides ErrMalformed, ErrInvalidDID and
// ErrBadSignature.
var (
	// ErrStaleRequest reports a signed request whose created time is
	// outside the verifier's window.
	ErrStaleRequest = errors.New("credential: request signed outside the time window")
	// ErrDigestMismatch reports a request whose body does not match its
	// Content-Digest.
	ErrDigestMismatch = errors.New("credential: body does not match Content-Digest")
)

// RequestSignatureLabel labels the signature in Signature-Input and
// Signature.
const RequestSignatureLabel = "verdict"

// DefaultRequestWindow is how far a signed request's created time may be
// from the verifier's clock, either way, when the window passed is zero.
const DefaultRequestWindow = 5 * time.Minute

// MaxNonceLen bounds a signed request's nonce.
const MaxNonceLen = 128

// maxSignatureHeader bounds Signature-Input and Signature.
const maxSignatureHeader = 1 << 10

// requestComponents are the components every signed request covers, in the
// order SignRequest lists them.
var requestComponents = []string{"@method", "@path", "@query", "content-digest"}

// SignedRequest is a verified signed request.
type SignedRequest struct {
	Signer  string    // the keyid: the signer's did:key
	Created time.Time // when it was signed, by the signer's clock
	Nonce   string    // unique per request: a verifier refuses a (Signer, Nonce) seen before

	digest []byte // the signed Content-Digest's SHA-256
}

// ContentDigest returns the RFC 9530 Content-Digest field value of body
// (SHA-256).
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// SignRequest signs r, whose body is body, as k at created, with nonce
// (1 to MaxNonceLen letters, digits, '-' or '_'; unique per request): it
// sets Content-Digest, Signature-Input and Signature. r.Body is left alone.
func SignRequest(r *http.Request, body []byte, k KeyPair, created time.Time, nonce string) error {
	if err := k.valid(); err != nil {
		return err
	}
	if !validNonce(nonce) {
		return fieldErr(ErrMalformed, "nonce", "want 1 to %d letters, digits, '-' or '_'", MaxNonceLen)
	}
	r.Header.Set("Content-Digest", ContentDigest(body))
	params := signatureParams(requestComponents, created.Unix(), k.DID(), nonce)
	base := signatureBase(r, requestComponents, params)
	r.Header.Set("Signature-Input", RequestSignatureLabel+"="+params)
	r.Header.Set("Signature", RequestSignatureLabel+"=:"+base64.StdEncoding.EncodeToString(k.sign([]byte(base)))+":")
	return nil
}

func validNonce(s string) bool {
	if s == "" || len(s) > MaxNonceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// signatureParams is the @signature-params value.
func signatureParams(components []string, created int64, keyid, nonce string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range components {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Quote(c))
	}
	b.WriteString(");created=")
	b.WriteString(strconv.FormatInt(created, 10))
	b.WriteString(`;keyid="` + keyid + `";alg="ed25519";nonce="` + nonce + `"`)
	return b.String()
}

// signatureBase is RFC 9421's signature base of r over components.
func signatureBase(r *http.Request, components []string, params string) string {
	var b strings.Builder
	for _, c := range components {
		b.WriteString(strconv.Quote(c))
		b.WriteString(": ")
		switch c {
		case "@method":
			b.WriteString(r.Method)
		case "@path":
			p := r.URL.EscapedPath()
			if p == "" {
				p = "/"
			}
			b.WriteString(p)
		case "@query":
			b.WriteString("?" + r.URL.RawQuery)
		default:
			b.WriteString(strings.TrimSpace(strings.Join(r.Header.Values(c), ", ")))
		}
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return b.String()
}

// IsSignedRequest reports whether r claims a signature (it has a
// Signature-Input or Signature header); VerifyRequest says whether it
// holds.
func IsSignedRequest(h http.Header) bool {
	return h.Get("Signature-Input") != "" || h.Get("Signature") != ""
}

// VerifyRequest checks a signed request read from an untrusted client,
// whose body (already read, within the caller's size limit) is body: it is
// VerifyRequestHeaders, then SignedRequest.CheckBody.
func VerifyRequest(r *http.Request, body []byte, now time.Time, window time.Duration) (*SignedRequest, error) {
	sr, err := VerifyRequestHeaders(r, now, window)
	if err != nil {
		return nil, err
	}
	if err := sr.CheckBody(body); err != nil {
		return nil, err
	}
	return sr, nil
}

// VerifyRequestHeaders checks a signed request from an untrusted client
// before its body is read: the headers are well formed and cover the
// method, path, query and Content-Digest (ErrMalformed), keyid is an
// Ed25519 did:key written as the DID itself, not a key reference
// (ErrInvalidDID), whose key signed the signature base (ErrBadSignature),
// and created is within window of now (ErrStaleRequest; window 0:
// DefaultRequestWindow). Each failure is a *FieldError. The body is not
// checked: the caller reads it through SignedRequest.Body (or checks it
// with CheckBody) and must not act on it before the digest holds. It does
// not detect a replay: the caller records each (Signer, Nonce) until
// Created plus the window and refuses one it has seen.
func VerifyRequestHeaders(r *http.Request, now time.Time, window time.Duration) (*SignedRequest, error) {
	inputs, sigs := r.Header.Values("Signature-Input"), r.Header.Values("Signature")
	if len(inputs) != 1 || len(sigs) != 1 {
		return nil, fieldErr(ErrMalformed, "Signature-Input", "want one Signature-Input and one Signature header, got %d and %d", len(inputs), len(sigs))
	}
	if len(inputs[0]) > maxSignatureHeader || len(sigs[0]) > maxSignatureHeader {
		return nil, fieldErr(ErrMalformed, "Signature-Input", "header longer than %d bytes", maxSignatureHeader)
	}
	label, params, ok := strings.Cut(inputs[0], "=")
	if !ok || label != RequestSignatureLabel {
		return nil, fieldErr(ErrMalformed, "Signature-Input", "want one signature labelled %q", RequestSignatureLabel)
	}
	in, err := parseSignatureInput(params)
	if err != nil {
		return nil, err
	}
	slabel, sval, ok := strings.Cut(sigs[0], "=")
	if !ok || slabel != label || len(sval) < 2 || sval[0] != ':' || sval[len(sval)-1] != ':' {
		return nil, fieldErr(ErrMalformed, "Signature", "want %s=:base64:", label)
	}
	sig, err := base64.StdEncoding.DecodeString(sval[1 : len(sval)-1])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fieldErr(ErrMalformed, "Signature", "not a base64 %d-byte signature", ed25519.SignatureSize)
	}
	digest, err := contentDigestSHA256(r.Header.Values("Content-Digest"))
	if err != nil {
		return nil, err
	}
	pub, err := ParseDIDKey(in.keyid)
	if err != nil || DIDKey(pub) != in.keyid {
		return nil, fieldErr(ErrInvalidDID, "keyid", "%.120q", in.keyid)
	}
	base := signatureBase(r, in.components, params)
	if !ed25519.Verify(pub, []byte(base), sig) {
		return nil, fieldErr(ErrBadSignature, "Signature", "not a signature of this request by %s", in.keyid)
	}
	if window <= 0 {
		window = DefaultRequestWindow
	}
	created := time.Unix(in.created, 0).UTC()
	if d := created.Sub(now); d > window || d < -window {
		return nil, fieldErr(ErrStaleRequest, "created", "signed at %s, %s from now (%s); the window is ±%s",
			created.Format(time.RFC3339), d.Round(time.Second), now.UTC().Format(time.RFC3339), window)
	}
	return &SignedRequest{Signer: in.keyid, Created: created, Nonce: in.nonce, digest: digest}, nil
}

// CheckBody reports whether body is the one the request's signed
// Content-Digest names (a *FieldError wrapping ErrDigestMismatch if not).
func (sr *SignedRequest) CheckBody(body []byte) error {
	sum := sha256.Sum256(body)
	return sr.checkSum(sum[:])
}

func (sr *SignedRequest) checkSum(sum []byte) error {
	if subtle.ConstantTimeCompare(sum, sr.digest) != 1 {
		return fieldErr(ErrDigestMismatch, "Content-Digest", "the body's SHA-256 is not sha-256=:%s:", base64.StdEncoding.EncodeToString(sr.digest))
	}
	return nil
}

// Body returns a reader of body that hashes what it reads and, at body's
// end, returns a *FieldError wrapping ErrDigestMismatch instead of io.EOF
// when the bytes read are not those the signed Content-Digest names. A
// caller reads it to its end before acting on what it read.
func (sr *SignedRequest) Body(body io.Reader) io.Reader {
	return &digestReader{r: body, h: sha256.New(), sr: sr}
}

type digestReader struct {
	r   io.Reader
	h   hash.Hash
	sr  *SignedRequest
	err error // the digest's verdict, once body ended
}

func (d *digestReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		d.err = io.EOF
		if cerr := d.sr.checkSum(d.h.Sum(nil)); cerr != nil {
			d.err = cerr
		}
		if n > 0 {
			return n, nil
		}
		return 0, d.err
	}
	return n, err
}

type signatureInput struct {
	components []string
	created    int64
	keyid      string
	nonce      string
}

// parseSignatureInput parses the inner list and parameters of a
// Signature-Input member: the structured-field subset RFC 9421 signatures
// use (RFC 8941 inner list of strings, integer and string parameters).
func parseSignatureInput(s string) (*signatureInput, error) {
	bad := func(format string, args ...any) error {
		return fieldErr(ErrMalformed, "Signature-Input", format, args...)
	}
	if !strings.HasPrefix(s, "(") {
		return nil, bad("want an inner list of components")
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, bad("unterminated inner list")
	}
	var in signatureInput
	for _, item := range strings.Fields(s[1:end]) {
		c, err := strconv.Unquote(item)
		if err != nil || !strings.HasPrefix(item, `"`) {
			return nil, bad("component %.40s is not a string", item)
		}
		if slices.Contains(in.components, c) {
			return nil, bad("component %q listed twice", c)
		}
		in.components = append(in.components, c)
	}
	for _, want := range requestComponents {
		if !slices.Contains(in.components, want) {
			return nil, bad("does not cover %q", want)
		}
	}
	if len(in.components) != len(requestComponents) {
		return nil, bad("covers %d components, want exactly %q", len(in.components), requestComponents)
	}
	seen := map[string]bool{}
	for _, p := range strings.Split(s[end+1:], ";")[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || seen[k] {
			return nil, bad("parameter %.40q", p)
		}
		seen[k] = true
		str := func() (string, error) {
			u, err := strconv.Unquote(v)
			if err != nil || !strings.HasPrefix(v, `"`) {
				return "", bad("parameter %s: %.40s is not a string", k, v)
			}
			return u, nil
		}
		var err error
		switch k {
		case "created":
			if in.created, err = strconv.ParseInt(v, 10, 64); err != nil || in.created < 0 {
				return nil, bad("created %.40q is not a time", v)
			}
		case "keyid":
			if in.keyid, err = str(); err != nil {
				return nil, err
			}
		case "alg":
			alg, err := str()
			if err != nil {
				return nil, err
			}
			if alg != "ed25519" {
				return nil, bad("alg %.40q, want ed25519", alg)
			}
		case "nonce":
			if in.nonce, err = str(); err != nil {
				return nil, err
			}
			if !validNonce(in.nonce) {
				return nil, bad("nonce: want 1 to %d letters, digits, '-' or '_'", MaxNonceLen)
			}
		default:
			return nil, bad("unknown parameter %.40q", k)
		}
	}
	if strings.TrimSpace(s[end+1:]) != "" && !strings.HasPrefix(s[end+1:], ";") {
		return nil, bad("trailing %.40q", s[end+1:])
	}
	for _, k := range []string{"created", "keyid", "nonce"} {
		if !seen[k] {
			return nil, bad("missing parameter %s", k)
		}
	}
	return &in, nil
}

// contentDigestSHA256 returns the sha-256 digest of a Content-Digest
// field (its lines joined): an RFC 8941 dictionary of algorithm keys and
// byte sequences (RFC 9530). Other algorithms (sha-512 …) are allowed and
// ignored, their values checked only for syntax; sha-256 must be present
// once, as a 32-byte byte sequence.
func contentDigestSHA256(lines []string) ([]byte, error) {
	bad := func(format string, args ...any) error {
		return fieldErr(ErrMalformed, "Content-Digest", format+" (want sha-256=:base64:, other algorithms optional)", args...)
	}
	members, err := parseSFDictionary(strings.Join(lines, ","))
	if err != nil {
		return nil, bad("%v", err)
	}
	var digest []byte
	for _, m := range members {
		if m.key != "sha-256" {
			continue
		}
		if digest != nil {
			return nil, bad("sha-256 given twice")
		}
		b, ok := strings.CutPrefix(m.value, ":")
		if !ok {
			return nil, bad("sha-256 is not a byte sequence")
		}
		digest, err = base64.StdEncoding.Strict().DecodeString(strings.TrimSuffix(b, ":"))
		if err != nil || len(digest) != sha256.Size {
			return nil, bad("sha-256 is not a base64 %d-byte digest", sha256.Size)
		}
	}
	if digest == nil {
		return nil, bad("no sha-256 digest")
	}
	return digest, nil
}

// sfMember is one member of a structured-field dictionary: its key and
// its value as written (a bare item; "?1" for a key alone). Parameters
// are checked for syntax and dropped.
type sfMember struct{ key, value string }

// maxSFMembers bounds a parsed dictionary (RFC 8941 asks parsers to
// support 1024 members; a digest field needs a handful).
const maxSFMembers = 64

// parseSFDictionary parses an RFC 8941 dictionary whose values are bare
// items (inner lists are refused: no digest algorithm uses them).
func parseSFDictionary(s string) ([]sfMember, error) {
	p := sfParser{s: strings.TrimLeft(s, " \t")}
	var out []sfMember
	for {
		if len(out) == maxSFMembers {
			return nil, fmt.Errorf("more than %d members", maxSFMembers)
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		value := "?1"
		if p.eat('=') {
			if value, err = p.bareItem(); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
		for p.eat(';') {
			p.skip(" ")
			if _, err := p.key(); err != nil {
				return nil, fmt.Errorf("%s: parameter: %w", key, err)
			}
			if p.eat('=') {
				if _, err := p.bareItem(); err != nil {
					return nil, fmt.Errorf("%s: parameter: %w", key, err)
				}
			}
		}
		out = append(out, sfMember{key, value})
		p.skip(" \t")
		if p.i == len(p.s) {
			return out, nil
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("unexpected %.20q after %s", p.s[p.i:], key)
		}
		p.skip(" \t")
		if p.i == len(p.s) {
			return nil, errors.New("trailing comma")
		}
	}
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *sfParser) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// span advances over the bytes ok accepts and returns them.
func (p *sfParser) span(ok func(byte) bool) string {
	start := p.i
	for p.i < len(p.s) && ok(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isLCAlpha(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool   { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool   { return isLCAlpha(c) || 'A' <= c && c <= 'Z' }

// key reads an RFC 8941 key: lcalpha or '*', then lcalpha, digits, "_-.*".
func (p *sfParser) key() (string, error) {
	if p.i == len(p.s) || !isLCAlpha(p.s[p.i]) && p.s[p.i] != '*' {
		return "", fmt.Errorf("want a key at %.20q", p.s[p.i:])
	}
	return p.span(func(c byte) bool { return isLCAlpha(c) || isDigit(c) || strings.IndexByte("_-.*", c) >= 0 }), nil
}

// bareItem reads a byte sequence, string, token, number or boolean and
// returns it as written.
func (p *sfParser) bareItem() (string, error) {
	start := p.i
	switch {
	case p.i == len(p.s):
		return "", errors.New("missing value")
	case p.eat(':'):
		p.span(func(c byte) bool { return isAlpha(c) || isDigit(c) || strings.IndexByte("+/=", c) >= 0 })
		if !p.eat(':') {
			return "", errors.New("unterminated byte sequence")
		}
	case p.eat('"'):
		for {
			if p.i == len(p.s) {
				return "", errors.New("unterminated string")
			}
			c := p.s[p.i]
			p.i++
			if c == '"' {
				break
			}
			if c == '\\' {
				if p.i == len(p.s) || p.s[p.i] != '"' && p.s[p.i] != '\\' {
					return "", errors.New("bad escape in string")
				}
				p.i++
			} else if c < 0x20 || c > 0x7e {
				return "", errors.New("bad character in string")
			}
		}
	case p.eat('?'):
		if !p.eat('0') && !p.eat('1') {
			return "", errors.New("bad boolean")
		}
	case isDigit(p.s[p.i]) || p.s[p.i] == '-':
		p.eat('-')
		if p.span(isDigit) == "" {
			return "", errors.New("bad number")
		}
		if p.eat('.') && p.span(isDigit) == "" {
			return "", errors.New("bad decimal")
		}
	case isAlpha(p.s[p.i]) || p.s[p.i] == '*':
		p.span(func(c byte) bool { return c > ' ' && c < 0x7f && strings.IndexByte(`"(),;<=>?@[\]{}`, c) < 0 })
	default:
		return "", fmt.Errorf("want a bare item at %.20q", p.s[p.i:])
	}
	return p.s[start:p.i], nil
}
