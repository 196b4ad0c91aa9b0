package credential

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine/credential/bbs"
)

// w3cBBSDID is the did:key of the W3C vc-di-bbs test vectors' key
// (bbs2023/testdata/BBSKeyMaterial.json).
const w3cBBSDID = "did:key:zUC7DerdEmfZ8f4pFajXgGwJoMkV1ofMTmEG5UoNvnWiPiLuGKNeqgRpLH2TV4Xe5mJ2cXV76gRN7LFQwapF1VFu6x2yrr5ci1mXqC1WNUrnHnLgvfZfMH7h6xP6qsf9EKRQrPQ"

func w3cBBSKey(t testing.TB) BBSKey {
	t.Helper()
	b, _ := hex.DecodeString("66d36e118832af4c5e28b2dfe1b9577857e57b042a33e06bdea37b811ed09ee0")
	sk, err := bbs.ParseSecretKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return newBBSKey(sk)
}

// TestBBSDIDKey: the W3C vectors' key encodes as their did:key, and
// ParseBBSDIDKey inverts it, as a DID and as a verification method.
func TestBBSDIDKey(t *testing.T) {
	k := w3cBBSKey(t)
	if got := k.DID(); got != w3cBBSDID {
		t.Fatalf("DID: got %s, want %s", got, w3cBBSDID)
	}
	for _, in := range []string{w3cBBSDID, k.VerificationMethod()} {
		pk, err := ParseBBSDIDKey(in)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pk.Bytes(), k.PublicKey().Bytes()) {
			t.Errorf("ParseBBSDIDKey(%.30s…): got another key", in)
		}
	}
	ed := vectorKey(t)
	bad := []struct{ name, did string }{
		{"ErrInvalidDID/ed25519", ed.DID()},
		{"ErrInvalidDID/fragment", w3cBBSDID + "#zUC7x"},
		{"ErrInvalidDID/not did:key", strings.Replace(w3cBBSDID, "did:key", "did:web", 1)},
		{"ErrInvalidDID/truncated", w3cBBSDID[:60]},
		{"ErrInvalidDID/long", w3cBBSDID + strings.Repeat("1", maxBBSDIDLen)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseBBSDIDKey(tc.did); !errors.Is(err, ErrInvalidDID) {
				t.Errorf("got %v, want %v", err, ErrInvalidDID)
			}
		})
	}
	if s := k.String() + k.GoString(); strings.Contains(s, "66d36e") {
		t.Errorf("String leaks the secret key: %s", s)
	}
}

func TestBBSKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, err := GenerateBBSKey(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "host-bbs.key")
	if err := WriteBBSKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, %v; want mode 0600", fi, err)
	}
	got, err := ReadBBSKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.DID() != k.DID() || !strings.HasPrefix(got.DID(), "did:key:zUC7") {
		t.Errorf("ReadBBSKeyFile: got %s, want %s (did:key:zUC7…)", got.DID(), k.DID())
	}
	secret := hex.EncodeToString(k.sk.Bytes())
	t.Run("ErrExist", func(t *testing.T) {
		if err := WriteBBSKeyFile(path, w3cBBSKey(t)); !errors.Is(err, fs.ErrExist) {
			t.Errorf("got %v, want %v", err, fs.ErrExist)
		}
	})
	t.Run("ErrInvalidKey/zero", func(t *testing.T) {
		if err := WriteBBSKeyFile(filepath.Join(dir, "zero.key"), BBSKey{}); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("got %v, want %v", err, ErrInvalidKey)
		}
	})
	t.Run("ErrInvalidKey/ed25519 file", func(t *testing.T) {
		p := filepath.Join(dir, "ed.key")
		if err := WriteKeyFile(p, vectorKey(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadBBSKeyFile(p); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("got %v, want %v", err, ErrInvalidKey)
		}
	})
	t.Run("ErrInvalidKey/public mismatch", func(t *testing.T) {
		p := filepath.Join(dir, "mismatch.key")
		other := strings.Replace(string(readFile(t, path)), k.DID()+"\"", w3cBBSDID+"\"", 1)
		if err := os.WriteFile(p, []byte(other), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadBBSKeyFile(p)
		if !errors.Is(err, ErrInvalidKey) || strings.Contains(err.Error(), secret) {
			t.Errorf("got %v, want %v without the secret", err, ErrInvalidKey)
		}
	})
	t.Run("ErrKeyFilePermissions", func(t *testing.T) {
		p := filepath.Join(dir, "open.key")
		if err := os.WriteFile(p, readFile(t, path), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o644)
		if _, err := ReadBBSKeyFile(p); !errors.Is(err, ErrKeyFilePermissions) {
			t.Errorf("got %v, want %v", err, ErrKeyFilePermissions)
		}
	})
}

func FuzzParseBBSDIDKey(f *testing.F) {
	f.Add(w3cBBSDID)
	f.Add(w3cBBSDID + "#" + strings.TrimPrefix(w3cBBSDID, "did:key:"))
	f.Add("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
	f.Fuzz(func(t *testing.T, did string) {
		pk, err := ParseBBSDIDKey(did)
		if err != nil {
			if !errors.Is(err, ErrInvalidDID) {
				t.Fatalf("got %v, want an error wrapping ErrInvalidDID", err)
			}
			return
		}
		mb := BBSPublicKeyMultibase(pk)
		if did != "did:key:"+mb && did != "did:key:"+mb+"#"+mb {
			t.Fatalf("accepted %q, which encodes as %q", did, mb)
		}
	})
}
