package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// to dir, and returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "verdict test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLSIssuerAPI serves HTTPS with a self-signed certificate and
// the VC-API issuer on: the host issues a credential with a status entry
// whose list is at the https --base-url, fetches that list over https, and
// anyone verifies the credential there; plain HTTP is refused.
func TestServeTLSIssuerAPI(t *testing.T) {
	_, data := workspace(t)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	code, token, stderrTok := cli(t, "--data-dir", data, "token", "create", "--name", "ci")
	token = strings.TrimSpace(token)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, stderrTok)
	}
	if code, _, stderr := cli(t, "--data-dir", data, "serve", "--tls-cert", certFile); code == 0 || !strings.Contains(stderr, "--tls-key") {
		t.Fatalf("--tls-cert alone: got %d %q, want a refusal naming --tls-key", code, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stdout, stderr, exit := serveIssuerTLS(t, ctx, data, certFile, keyFile)
	base := "https://" + addr
	did := regexp.MustCompile(`VC-API issuer: (did:key:\S+)`).FindStringSubmatch(stdout.String())
	if did == nil {
		t.Fatalf("serve did not print the issuer's DID: %s", stdout.String())
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	post := func(path, token string, body any) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	cred := map[string]any{
		"@context":          []string{"https://www.w3.org/ns/credentials/v2"},
		"id":                "urn:uuid:6a1f5e0c-2b7d-4c1e-8f3a-9d0b4e2c7a15",
		"type":              []string{"VerifiableCredential"},
		"issuer":            did[1],
		"credentialSubject": map[string]any{"id": "did:example:alice", "memberOf": "verdict"},
	}
	status, body := post("/credentials/issue", token, map[string]any{"credential": cred,
		"options": map[string]any{"credentialStatus": map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}})
	if status != 201 {
		t.Fatalf("issue: got %d %s, want 201", status, body)
	}
	var issued struct {
		VC struct {
			Status struct {
				List string `json:"statusListCredential"`
			} `json:"credentialStatus"`
		} `json:"verifiableCredential"`
	}
	if err := json.Unmarshal(body, &issued); err != nil || !strings.HasPrefix(issued.VC.Status.List, base+"/") {
		t.Fatalf("status list URL: got %q (%v), want one under %s", issued.VC.Status.List, err, base)
	}
	resp, err := hc.Get(issued.VC.Status.List)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s over https: got %d", issued.VC.Status.List, resp.StatusCode)
	}
	var vc struct {
		VC json.RawMessage `json:"verifiableCredential"`
	}
	_ = json.Unmarshal(body, &vc)
	if status, out := post("/credentials/verify", "", map[string]any{"verifiableCredential": vc.VC}); status != 200 {
		t.Fatalf("verify over https: got %d %s, want 200", status, out)
	}
	// A TLS server answers plain HTTP with 400, never with the API.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain http: got 200 from the TLS server, want a refusal")
		}
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("serve exited %d; stderr: %s", code, stderr.String())
	}
}

// serveIssuerTLS starts verdict serve --issuer-api over HTTPS on a free
// port of 127.0.0.1, with --base-url naming it (the status lists it
// issues point there), and waits until it listens. The port is found by
// listening and closing, so another process may take it before serve
// binds it: a start refused with "address already in use" is retried on
// a new port.
func serveIssuerTLS(t *testing.T, ctx context.Context, data, certFile, keyFile string) (addr string, stdout, stderr *syncBuffer, exit <-chan int) {
	t.Helper()
	listening := regexp.MustCompile(`listening on (https://\S+)`)
attempts:
	for attempt := 1; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
		stdout, stderr = new(syncBuffer), new(syncBuffer)
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"--data-dir", data, "serve", "--addr", addr, "--base-url", "https://" + addr,
				"--tls-cert", certFile, "--tls-key", keyFile, "--issuer-api"}, stdout, stderr)
		}()
		for deadline := time.Now().Add(30 * time.Second); listening.FindStringSubmatch(stdout.String()) == nil; {
			select {
			case code := <-done:
				if attempt < 5 && strings.Contains(stderr.String(), "address already in use") {
					t.Logf("port %s taken before serve bound it; attempt %d", addr, attempt+1)
					continue attempts
				}
				t.Fatalf("serve exited %d before listening; stdout: %s stderr: %s", code, stdout.String(), stderr.String())
			case <-time.After(10 * time.Millisecond): // poll stdout
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve never listened; stdout: %s stderr: %s", stdout.String(), stderr.String())
			}
		}
		return addr, stdout, stderr, done
	}
}
