package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

var httpsigNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func signedRequest(t testing.TB, k credential.KeyPair, method, url string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := credential.SignRequest(r, body, k, httpsigNow, "n-1"); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyRequest(t *testing.T) {
	k := testKey(t, 1)
	other := testKey(t, 2)
	body := []byte("module bytes")
	tests := []struct {
		name   string
		tamper func(r *http.Request) []byte // returns the body the server sees
		now    time.Time
		want   error
	}{
		{name: "Valid", tamper: func(*http.Request) []byte { return body }},
		{name: "ValidAtWindowEdge", tamper: func(*http.Request) []byte { return body }, now: httpsigNow.Add(credential.DefaultRequestWindow)},
		{name: "ErrDigestMismatch", tamper: func(*http.Request) []byte { return []byte("other bytes") }, want: credential.ErrDigestMismatch},
		{name: "ErrBadSignatureMethod", tamper: func(r *http.Request) []byte { r.Method = "PUT"; return body }, want: credential.ErrBadSignature},
		{name: "ErrBadSignaturePath", tamper: func(r *http.Request) []byte { r.URL.Path = "/v1/tasks/other/submissions"; return body }, want: credential.ErrBadSignature},
		{name: "ErrBadSignatureQuery", tamper: func(r *http.Request) []byte { r.URL.RawQuery = "participant=eve"; return body }, want: credential.ErrBadSignature},
		{name: "ErrBadSignatureBodyAndDigest", tamper: func(r *http.Request) []byte {
			b := []byte("evil")
			r.Header.Set("Content-Digest", credential.ContentDigest(b))
			return b
		}, want: credential.ErrBadSignature},
		{name: "ErrBadSignatureOtherKeyid", tamper: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), k.DID(), other.DID(), 1))
			return body
		}, want: credential.ErrBadSignature},
		{name: "ErrStaleRequest", tamper: func(*http.Request) []byte { return body }, now: httpsigNow.Add(credential.DefaultRequestWindow + time.Second), want: credential.ErrStaleRequest},
		{name: "ErrStaleRequestFuture", tamper: func(*http.Request) []byte { return body }, now: httpsigNow.Add(-time.Hour), want: credential.ErrStaleRequest},
		{name: "ErrInvalidDID", tamper: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), k.DID(), "did:web:example.com", 1))
			return body
		}, want: credential.ErrInvalidDID},
		{name: "ErrMalformedNoDigest", tamper: func(r *http.Request) []byte { r.Header.Del("Content-Digest"); return body }, want: credential.ErrMalformed},
		{name: "ErrMalformedTwoSignatures", tamper: func(r *http.Request) []byte { r.Header.Add("Signature", r.Header.Get("Signature")); return body }, want: credential.ErrMalformed},
		{name: "ErrMalformedLessCovered", tamper: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), ` "content-digest"`, "", 1))
			return body
		}, want: credential.ErrMalformed},
		{name: "ErrMalformedNoNonce", tamper: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `;nonce="n-1"`, "", 1))
			return body
		}, want: credential.ErrMalformed},
		{name: "ErrMalformedOtherAlg", tamper: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `alg="ed25519"`, `alg="hmac-sha256"`, 1))
			return body
		}, want: credential.ErrMalformed},
		{name: "ErrMalformedLabel", tamper: func(r *http.Request) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "verdict=", "sig1=", 1))
			return body
		}, want: credential.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, k, "POST", "http://h/v1/tasks/iris/submissions", body)
			got := tc.tamper(r)
			now := tc.now
			if now.IsZero() {
				now = httpsigNow
			}
			sr, err := credential.VerifyRequest(r, got, now, 0)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyRequest: %v", err)
				}
				if sr.Signer != k.DID() || sr.Nonce != "n-1" || !sr.Created.Equal(httpsigNow) {
					t.Errorf("got %+v, want signer %s, nonce n-1, created %s", sr, k.DID(), httpsigNow)
				}
				return
			}
			var fe *credential.FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) {
				t.Errorf("got %v, want a *FieldError wrapping %v", err, tc.want)
			}
		})
	}
}

// TestSignRequestBase pins the RFC 9421 signature base: the headers of a
// request signed on a fixed key, clock and nonce.
func TestSignRequestBase(t *testing.T) {
	k := testKey(t, 1)
	r := signedRequest(t, k, "GET", "http://h/v1/tasks/iris/leaderboard?private=1", nil)
	want := `verdict=("@method" "@path" "@query" "content-digest");created=1795600800;keyid="` + k.DID() + `";alg="ed25519";nonce="n-1"`
	if got := r.Header.Get("Signature-Input"); got != want {
		t.Errorf("Signature-Input: got %s, want %s", got, want)
	}
	if got, want := r.Header.Get("Content-Digest"), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"; got != want {
		t.Errorf("Content-Digest: got %s, want %s", got, want)
	}
	if err := credential.SignRequest(r, nil, k, httpsigNow, "bad nonce"); !errors.Is(err, credential.ErrMalformed) {
		t.Errorf("SignRequest with a bad nonce: got %v, want ErrMalformed", err)
	}
}

// FuzzVerifyRequest feeds untrusted Signature-Input, Signature and
// Content-Digest headers to VerifyRequest: it must never panic, and must
// accept only what the key signed.
func FuzzVerifyRequest(f *testing.F) {
	k := testKey(f, 1)
	r := signedRequest(f, k, "POST", "http://h/v1/x", []byte("b"))
	f.Add(r.Header.Get("Signature-Input"), r.Header.Get("Signature"), r.Header.Get("Content-Digest"), "b")
	f.Add(`verdict=("@method");created=1`, "verdict=:AA==:", "sha-256=::", "")
	f.Add(`verdict=(`, `verdict=`, ``, ``)
	f.Add(r.Header.Get("Signature-Input"), r.Header.Get("Signature"), `sha-512=:AAAA:;p="x,y", `+r.Header.Get("Content-Digest")+`, md5=?1`, "b")
	f.Fuzz(func(t *testing.T, input, sig, digest, body string) {
		if len(input)+len(sig)+len(digest)+len(body) > 4<<10 {
			return
		}
		req, _ := http.NewRequest("POST", "http://h/v1/x", nil)
		req.Header.Set("Signature-Input", input)
		req.Header.Set("Signature", sig)
		req.Header.Set("Content-Digest", digest)
		sr, err := credential.VerifyRequest(req, []byte(body), httpsigNow, 0)
		if err == nil && (sr.Signer != k.DID() || body != "b") {
			t.Errorf("accepted a request %s never signed: %+v", k.DID(), sr)
		}
	})
}

// testKey is a fixed key made from seed byte b.
func testKey(t testing.TB, b byte) credential.KeyPair {
	t.Helper()
	k, err := credential.NewKeyPair(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestVerifyRequestKeyReference refuses a keyid written as a key reference
// (did:key:X#X), even over a valid signature by that key: the signer is
// the DID itself, so one key never yields two identities.
func TestVerifyRequestKeyReference(t *testing.T) {
	k := testKey(t, 1)
	body := []byte("module bytes")
	r, err := http.NewRequest("POST", "http://h/v1/tasks/iris/submissions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	keyid := k.VerificationMethod()
	if want := k.DID() + "#" + strings.TrimPrefix(k.DID(), "did:key:"); keyid != want {
		t.Fatalf("verification method %s, want %s", keyid, want)
	}
	params := `("@method" "@path" "@query" "content-digest");created=` + strconv.FormatInt(httpsigNow.Unix(), 10) +
		`;keyid="` + keyid + `";alg="ed25519";nonce="n-1"`
	r.Header.Set("Content-Digest", credential.ContentDigest(body))
	base := "\"@method\": POST\n\"@path\": /v1/tasks/iris/submissions\n\"@query\": ?\n" +
		"\"content-digest\": " + credential.ContentDigest(body) + "\n\"@signature-params\": " + params
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(k.Seed()), []byte(base))
	r.Header.Set("Signature-Input", "verdict="+params)
	r.Header.Set("Signature", "verdict=:"+base64.StdEncoding.EncodeToString(sig)+":")

	// The same base with the DID as keyid verifies: the refusal below is
	// the keyid's form, not a wrong base.
	plain := strings.Replace(params, keyid, k.DID(), 1)
	r2 := r.Clone(r.Context())
	r2.Header = r.Header.Clone()
	r2.Header.Set("Signature-Input", "verdict="+plain)
	r2.Header.Set("Signature", "verdict=:"+base64.StdEncoding.EncodeToString(
		ed25519.Sign(ed25519.NewKeyFromSeed(k.Seed()), []byte(strings.Replace(base, keyid, k.DID(), 1))))+":")
	if sr, err := credential.VerifyRequest(r2, body, httpsigNow, 0); err != nil || sr.Signer != k.DID() {
		t.Fatalf("keyid %s: got %+v, %v; want signer %s", k.DID(), sr, err, k.DID())
	}

	sr, err := credential.VerifyRequest(r, body, httpsigNow, 0)
	var fe *credential.FieldError
	if !errors.Is(err, credential.ErrInvalidDID) || !errors.As(err, &fe) || fe.Field != "keyid" {
		t.Errorf("keyid %s: got %+v, %v; want a keyid *FieldError wrapping ErrInvalidDID", keyid, sr, err)
	}
}

// TestSignedRequestBody checks a body streamed after VerifyRequestHeaders:
// read to its end, it ends in io.EOF only if it is the signed one.
func TestSignedRequestBody(t *testing.T) {
	k := testKey(t, 1)
	body := []byte(strings.Repeat("module bytes ", 1000))
	tests := []struct {
		name string
		got  []byte
		want error
	}{
		{name: "Signed", got: body},
		{name: "ErrDigestMismatchOther", got: append([]byte("x"), body[1:]...), want: credential.ErrDigestMismatch},
		{name: "ErrDigestMismatchShort", got: body[:len(body)-1], want: credential.ErrDigestMismatch},
		{name: "ErrDigestMismatchEmpty", got: nil, want: credential.ErrDigestMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, k, "POST", "http://h/v1/tasks/iris/submissions", body)
			sr, err := credential.VerifyRequestHeaders(r, httpsigNow, 0)
			if err != nil {
				t.Fatalf("VerifyRequestHeaders: %v", err)
			}
			read, err := io.ReadAll(sr.Body(iotest.HalfReader(bytes.NewReader(tc.got))))
			if !errors.Is(err, tc.want) {
				t.Errorf("read: got %v, want %v", err, tc.want)
			}
			if !bytes.Equal(read, tc.got) {
				t.Errorf("read %d bytes, want %d", len(read), len(tc.got))
			}
			if err := sr.CheckBody(tc.got); !errors.Is(err, tc.want) {
				t.Errorf("CheckBody: got %v, want %v", err, tc.want)
			}
		})
	}
}

// signWithDigest signs a request to /v1/x with body and the Content-Digest
// field lines given (RFC 9421 joins them with ", " in the signature base).
func signWithDigest(t *testing.T, k credential.KeyPair, body []byte, lines ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", "http://h/v1/x", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		r.Header.Add("Content-Digest", l)
	}
	params := `("@method" "@path" "@query" "content-digest");created=` + strconv.FormatInt(httpsigNow.Unix(), 10) +
		`;keyid="` + k.DID() + `";alg="ed25519";nonce="n-1"`
	base := "\"@method\": POST\n\"@path\": /v1/x\n\"@query\": ?\n" +
		"\"content-digest\": " + strings.Join(lines, ", ") + "\n\"@signature-params\": " + params
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(k.Seed()), []byte(base))
	r.Header.Set("Signature-Input", "verdict="+params)
	r.Header.Set("Signature", "verdict=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return r
}

// TestContentDigestDictionary: Content-Digest is an RFC 8941 dictionary
// (RFC 9530) that may carry several algorithms; the sha-256 member must be
// there and match, the others are ignored.
func TestContentDigestDictionary(t *testing.T) {
	k := testKey(t, 1)
	body := []byte("module bytes")
	s256 := sha256.Sum256(body)
	s512 := sha512.Sum512(body)
	sha256Member := "sha-256=:" + base64.StdEncoding.EncodeToString(s256[:]) + ":"
	sha512Member := "sha-512=:" + base64.StdEncoding.EncodeToString(s512[:]) + ":"
	other := sha256.Sum256([]byte("other"))
	wrong256 := "sha-256=:" + base64.StdEncoding.EncodeToString(other[:]) + ":"
	tests := []struct {
		name  string
		lines []string
		want  error
	}{
		{"sha-256", []string{sha256Member}, nil},
		{"sha-512 and sha-256", []string{sha512Member + ", " + sha256Member}, nil},
		{"sha-256 and sha-512, no space", []string{sha256Member + "," + sha512Member}, nil},
		{"two field lines", []string{sha512Member, sha256Member}, nil},
		{"parameters and unknown algorithms", []string{`unixsum=30;x="a,b", ` + sha256Member + `;p=?1, id-sha-256=:AAAA:, md5=tok/en:x`}, nil},
		{"sha-512 matching, sha-256 not", []string{sha512Member + ", " + wrong256}, credential.ErrDigestMismatch},
		{"ErrMalformed/only sha-512", []string{sha512Member}, credential.ErrMalformed},
		{"ErrMalformed/sha-256 twice", []string{sha256Member + ", " + sha256Member}, credential.ErrMalformed},
		{"ErrMalformed/trailing comma", []string{sha256Member + ","}, credential.ErrMalformed},
		{"ErrMalformed/empty member", []string{sha512Member + ",," + sha256Member}, credential.ErrMalformed},
		{"ErrMalformed/uppercase key", []string{strings.ToUpper(sha256Member[:7]) + sha256Member[7:]}, credential.ErrMalformed},
		{"ErrMalformed/sha-256 a string", []string{`sha-256="` + base64.StdEncoding.EncodeToString(s256[:]) + `"`}, credential.ErrMalformed},
		{"ErrMalformed/sha-256 short", []string{"sha-256=:AAAA:"}, credential.ErrMalformed},
		{"ErrMalformed/sha-256 unterminated", []string{strings.TrimSuffix(sha256Member, ":")}, credential.ErrMalformed},
		{"ErrMalformed/inner list", []string{"md5=(1 2), " + sha256Member}, credential.ErrMalformed},
		{"ErrMalformed/unterminated string", []string{sha256Member + `, x="abc`}, credential.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signWithDigest(t, k, body, tc.lines...)
			sr, err := credential.VerifyRequest(r, body, httpsigNow, 0)
			if tc.want == nil {
				if err != nil || sr.Signer != k.DID() {
					t.Fatalf("VerifyRequest: got %+v, %v; want signer %s", sr, err, k.DID())
				}
				sr, err := credential.VerifyRequestHeaders(r, httpsigNow, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadAll(sr.Body(iotest.HalfReader(bytes.NewReader(body)))); err != nil {
					t.Errorf("streamed body: %v", err)
				}
				return
			}
			var fe *credential.FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != "Content-Digest" {
				t.Errorf("got %v, want a Content-Digest *FieldError wrapping %v", err, tc.want)
			}
		})
	}
}
