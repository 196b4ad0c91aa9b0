package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// base58btc is the Bitcoin alphabet's base 58 (did:key's "z" multibase).
func base58btc(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	for mod := new(big.Int); n.Sign() > 0; {
		n.DivMod(n, big.NewInt(58), mod)
		out = append(out, alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// handSign signs req (body: body) by README.md's "Signing requests" alone,
// with the standard library: no verdict code.
func handSign(req *http.Request, body []byte, priv ed25519.PrivateKey, created time.Time, nonce, digestHeader string) {
	pub := priv.Public().(ed25519.PublicKey)
	did := "did:key:z" + base58btc(append([]byte{0xed, 0x01}, pub...)) // multicodec ed25519-pub
	if digestHeader == "" {
		sum := sha256.Sum256(body)
		digestHeader = "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	}
	req.Header.Set("Content-Digest", digestHeader)
	params := `("@method" "@path" "@query" "content-digest");created=` + strconv.FormatInt(created.Unix(), 10) +
		`;keyid="` + did + `";alg="ed25519";nonce="` + nonce + `"`
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	base := strings.Join([]string{
		`"@method": ` + req.Method,
		`"@path": ` + path,
		`"@query": ?` + req.URL.RawQuery,
		`"content-digest": ` + digestHeader,
		`"@signature-params": ` + params,
	}, "\n")
	req.Header.Set("Signature-Input", "verdict="+params)
	req.Header.Set("Signature", "verdict=:"+base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(base)))+":")
}

// TestHandSignedRequest proves the documented signing profile: requests
// signed from the recipe, not by credential.SignRequest, are accepted as
// the key's participant, and each documented rule is enforced.
func TestHandSignedRequest(t *testing.T) {
	url, token, _ := server(t)
	ctx := context.Background()
	if _, err := newClient(t, clientConfig(url, token)).CreateTask(ctx, []byte(spec), "contest.csv", strings.NewReader(contestCSV(t))); err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	did := "did:key:z" + base58btc(append([]byte{0xed, 0x01}, priv.Public().(ed25519.PublicKey)...))
	send := func(method, path string, body []byte, sign func(*http.Request)) (int, string) {
		req, err := http.NewRequestWithContext(ctx, method, url+path, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		sign(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	now := time.Now()
	selPath := "/v1/tasks/contest/selections"
	selBody := []byte(`{"submissions":[]}`)
	sha512Too := func(body []byte) string {
		sum := sha256.Sum256(body)
		return "sha-512=:" + base64.StdEncoding.EncodeToString(make([]byte, 64)) + ":, sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	}
	for _, tc := range []struct {
		name         string
		method, path string
		body         []byte
		sign         func(*http.Request, []byte)
		status       int
		want         string
	}{
		{"GetWithQuery", "GET", "/v1/tasks/contest/selections?participant=" + did, nil,
			func(r *http.Request, b []byte) { handSign(r, b, priv, now, "n-1", "") }, 200, did},
		{"PutWithBody", "PUT", selPath, selBody,
			func(r *http.Request, b []byte) { handSign(r, b, priv, now, "n_2", "") }, 200, did},
		{"SHA512Beside", "PUT", selPath, selBody,
			func(r *http.Request, b []byte) { handSign(r, b, priv, now, "n3", sha512Too(b)) }, 200, did},
		{"Replayed", "GET", selPath, nil,
			func(r *http.Request, b []byte) { handSign(r, b, priv, now, "n-1", "") }, 401, "replayed"},
		{"Stale", "GET", selPath, nil,
			func(r *http.Request, b []byte) { handSign(r, b, priv, now.Add(-6*time.Minute), "n4", "") }, 401, "outside the time window"},
		{"BadNonce", "GET", selPath, nil,
			func(r *http.Request, b []byte) { handSign(r, b, priv, now, "n.5", "") }, 401, "nonce"},
		{"BodyNotDigest", "PUT", selPath, selBody,
			func(r *http.Request, b []byte) { handSign(r, []byte(`{}`), priv, now, "n6", "") }, 401, "Content-Digest"},
		{"OtherLabel", "GET", selPath, nil,
			func(r *http.Request, b []byte) {
				handSign(r, b, priv, now, "n7", "")
				r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), "verdict=", "sig1=", 1))
			}, 401, `labelled \"verdict\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(tc.method, tc.path, tc.body, func(r *http.Request) { tc.sign(r, tc.body) })
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want %d with %q", status, body, tc.status, tc.want)
			}
			if status == 200 {
				var sel struct{ Participant string }
				if err := json.Unmarshal([]byte(body), &sel); err != nil || sel.Participant != did {
					t.Errorf("acted as %q, want the hand-made %s", sel.Participant, did)
				}
			}
		})
	}
}
