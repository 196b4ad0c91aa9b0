package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBase58(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{0}, "1"},
		{[]byte{0, 0, 1}, "112"},
		{[]byte("Hello World!"), "2NEpo7TZRRrLZSi2U"},
		{[]byte{0xff, 0xff}, "LUv"},
		{[]byte("The quick brown fox jumps over the lazy dog."), "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%x", tc.in), func(t *testing.T) {
			if got := encodeBase58(tc.in); got != tc.want {
				t.Errorf("encode: got %s, want %s", got, tc.want)
			}
			got, err := decodeBase58(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.in) && len(got)+len(tc.in) > 0 {
				t.Errorf("decode: got %x, want %x", got, tc.in)
			}
		})
	}
	for _, bad := range []string{"0", "O", "I", "l", "abc+", strings.Repeat("2", maxBase58Len+1)} {
		if _, err := decodeBase58(bad); err == nil {
			t.Errorf("decode %.20q: got nil error", bad)
		}
	}
}

func TestDIDKey(t *testing.T) {
	k := vectorKey(t)
	const did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	if got := k.DID(); got != did {
		t.Errorf("DID: got %s, want %s", got, did)
	}
	if got, want := k.VerificationMethod(), did+"#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"; got != want {
		t.Errorf("VerificationMethod: got %s, want %s", got, want)
	}
	for _, in := range []string{did, k.VerificationMethod()} {
		pub, err := ParseDIDKey(in)
		if err != nil {
			t.Fatal(err)
		}
		if !pub.Equal(k.PublicKey()) {
			t.Errorf("ParseDIDKey(%s): got %x, want %x", in, pub, k.PublicKey())
		}
	}
	// The secret key never shows in formatted output.
	secret := SecretKeyMultibase(k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, secret) || strings.Contains(s, fmt.Sprintf("%x", k.Seed())) || !strings.Contains(s, did) {
			t.Errorf("formatted key pair: got %s, want the DID and no secret", s)
		}
	}
}

func TestParseDIDKeyErrors(t *testing.T) {
	k := vectorKey(t)
	mb := PublicKeyMultibase(k.PublicKey())
	x25519 := "z" + encodeBase58(append([]byte{0xec, 0x01}, k.PublicKey()...))
	short := "z" + encodeBase58(append([]byte{0xed, 0x01}, k.PublicKey()[:31]...))
	tests := []struct {
		name, did, detail string
	}{
		{"ErrInvalidDID/method", "did:web:example.com", "not a did:key"},
		{"ErrInvalidDID/not a DID", mb, "not a did:key"},
		{"ErrInvalidDID/multibase", "did:key:u" + mb[1:], "not base58btc"},
		{"ErrInvalidDID/alphabet", "did:key:z6Mk0OIl", "invalid base58btc"},
		{"ErrInvalidDID/multicodec", "did:key:" + x25519, "not ed25519-pub"},
		{"ErrInvalidDID/length", "did:key:" + short, "31 key bytes"},
		{"ErrInvalidDID/fragment", "did:key:" + mb + "#key-1", "fragment"},
		{"ErrInvalidDID/too long", "did:key:z" + strings.Repeat("2", 300), "bytes, want at most"},
		{"ErrInvalidDID/empty", "", "not a did:key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDIDKey(tc.did)
			if !errors.Is(err, ErrInvalidDID) {
				t.Fatalf("got %v, want %v", err, ErrInvalidDID)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("got %q, want it to mention %q", err, tc.detail)
			}
		})
	}
}

func TestMultikey(t *testing.T) {
	k, err := GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyMultibase(PublicKeyMultibase(k.PublicKey()))
	if err != nil || !pub.Equal(k.PublicKey()) {
		t.Errorf("public round trip: got %x, %v", pub, err)
	}
	k2, err := ParseSecretKeyMultibase(SecretKeyMultibase(k))
	if err != nil || k2.DID() != k.DID() {
		t.Errorf("secret round trip: got %v, %v", k2, err)
	}
	if !strings.HasPrefix(SecretKeyMultibase(k), "z3u2") {
		t.Errorf("secretKeyMultibase: got %s, want prefix z3u2", SecretKeyMultibase(k))
	}
	tests := []struct{ name, s string }{
		{"ErrInvalidKey/public as secret", PublicKeyMultibase(k.PublicKey())},
		{"ErrInvalidKey/empty", ""},
		{"ErrInvalidKey/short", "z" + encodeBase58([]byte{0x80, 0x26, 1, 2, 3})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseSecretKeyMultibase(tc.s); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("got %v, want %v", err, ErrInvalidKey)
			}
		})
	}
	if _, err := ParsePublicKeyMultibase(SecretKeyMultibase(k)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("secret as public: got %v, want %v", err, ErrInvalidKey)
	}
	if _, err := NewKeyPair(make([]byte, 31)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("NewKeyPair(31 bytes): got %v, want %v", err, ErrInvalidKey)
	}
	var zero KeyPair
	if zero.DID() != "" || zero.PublicKey() != nil || zero.Seed() != nil || SecretKeyMultibase(zero) != "" {
		t.Error("zero KeyPair: got key material, want none")
	}
	if _, err := GenerateKey(bytes.NewReader(nil)); err == nil {
		t.Error("GenerateKey(empty reader): got nil error")
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	k := vectorKey(t)
	path := filepath.Join(dir, "issuer.key")
	if err := WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode: got %v, want 0600", fi.Mode().Perm())
	}
	got, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Seed(), k.Seed()) {
		t.Error("ReadKeyFile: got a different key")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory: got %d entries, want 1 (no temporary files left)", len(entries))
	}
	var kf map[string]string
	if err := json.Unmarshal(readFile(t, path), &kf); err != nil {
		t.Fatal(err)
	}
	if kf["type"] != "Multikey" || kf["controller"] != k.DID() || kf["publicKeyMultibase"] != "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" {
		t.Errorf("key file: got %v", kf)
	}

	t.Run("ErrExist", func(t *testing.T) {
		other, _ := GenerateKey(bytes.NewReader(make([]byte, 64)))
		if err := WriteKeyFile(path, other); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("got %v, want %v", err, fs.ErrExist)
		}
		if again, _ := ReadKeyFile(path); again.DID() != k.DID() {
			t.Error("existing key file was replaced")
		}
	})
	t.Run("ErrInvalidKey/zero", func(t *testing.T) {
		if err := WriteKeyFile(filepath.Join(dir, "zero.key"), KeyPair{}); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("got %v, want %v", err, ErrInvalidKey)
		}
	})
	t.Run("ErrKeyFilePermissions", func(t *testing.T) {
		p := filepath.Join(dir, "open.key")
		if err := os.WriteFile(p, readFile(t, path), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o644)
		_, err := ReadKeyFile(p)
		if !errors.Is(err, ErrKeyFilePermissions) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("got %v, want %v with a chmod hint", err, ErrKeyFilePermissions)
		}
	})
	bad := []struct{ name, content string }{
		{"ErrInvalidKey/not JSON", "{" + SecretKeyMultibase(k)},
		{"ErrInvalidKey/public mismatch", strings.Replace(string(readFile(t, path)), `"publicKeyMultibase": "z6Mkr`, `"publicKeyMultibase": "z6Mks`, 1)},
		{"ErrInvalidKey/controller mismatch", strings.Replace(string(readFile(t, path)), `"controller": "did:key:z6Mkr`, `"controller": "did:key:z6Mks`, 1)},
		{"ErrInvalidKey/type", strings.Replace(string(readFile(t, path)), `"Multikey"`, `"Ed25519VerificationKey2020"`, 1)},
		{"ErrInvalidKey/unknown field", strings.Replace(string(readFile(t, path)), `{`, `{"privateKeyJwk": {},`, 1)},
		{"ErrInvalidKey/too large", strings.Repeat(" ", maxKeyFileSize+1)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, "/", "_"))
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadKeyFile(p)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("got %v, want %v", err, ErrInvalidKey)
			}
			if strings.Contains(err.Error(), SecretKeyMultibase(k)) {
				t.Errorf("error leaks the secret key: %v", err)
			}
		})
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "missing.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v, want %v", err, fs.ErrNotExist)
	}
}

func FuzzParseDIDKey(f *testing.F) {
	f.Add("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
	f.Add("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
	f.Add("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc")
	f.Add("did:key:z")
	f.Fuzz(func(t *testing.T, did string) {
		pub, err := ParseDIDKey(did)
		if err != nil {
			if !errors.Is(err, ErrInvalidDID) {
				t.Fatalf("got %v, want an error wrapping ErrInvalidDID", err)
			}
			return
		}
		if len(pub) != ed25519.PublicKeySize {
			t.Fatalf("got a %d-byte key", len(pub))
		}
		// Accepted DIDs are canonical: re-encoding gives the input back.
		if want := DIDKey(pub); did != want && did != VerificationMethod(pub) {
			t.Fatalf("accepted %q, which encodes as %q", did, want)
		}
	})
}
