package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/verdictlab/verdict/internal/durable"
)

// maxKeyFileSize bounds what ReadKeyFile reads.
const maxKeyFileSize = 4 << 10

// keyFile is the on-disk form of a KeyPair: a Multikey verification method
// (W3C Controlled Identifiers §2.2.2) with its secretKeyMultibase.
type keyFile struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
	SecretKeyMultibase string `json:"secretKeyMultibase"`
}

// WriteKeyFile writes k to path as a Multikey JSON document
//
//	{"id": "did:key:z6Mk…#z6Mk…", "type": "Multikey", "controller": "did:key:z6Mk…",
//	 "publicKeyMultibase": "z6Mk…", "secretKeyMultibase": "z3u2…"}
//
// with mode 0600. The write is atomic and durable (durable.Create: a
// temporary file in the same directory, synced, hard-linked into place,
// then the directory synced) and never replaces an existing file: if path
// exists the error satisfies errors.Is(err, fs.ErrExist).
func WriteKeyFile(path string, k KeyPair) error {
	if err := k.valid(); err != nil {
		return err
	}
	// durable.Create links a synced temporary file into place, which
	// fails if path exists, so an existing key is never replaced; then it
	// syncs the directory.
	return writeMultikeyFile(path, keyFile{
		ID:                 k.VerificationMethod(),
		Type:               "Multikey",
		Controller:         k.DID(),
		PublicKeyMultibase: PublicKeyMultibase(k.PublicKey()),
		SecretKeyMultibase: SecretKeyMultibase(k),
	})
}

// ReadKeyFile reads a key file written by WriteKeyFile. On Unix it refuses,
// with ErrKeyFilePermissions, a file whose mode lets group or others read
// or write it (fix with chmod 600). It checks that the public key, id and
// controller agree with the secret key (ErrInvalidKey otherwise). Its
// errors never quote the secret key.
func ReadKeyFile(path string) (KeyPair, error) {
	kf, err := readMultikeyFile(path)
	if err != nil {
		return KeyPair{}, err
	}
	k, err := ParseSecretKeyMultibase(kf.SecretKeyMultibase)
	if err != nil {
		return KeyPair{}, fmt.Errorf("read key file %q: secretKeyMultibase: %w", path, err)
	}
	for _, c := range []struct{ field, got, want string }{
		{"publicKeyMultibase", kf.PublicKeyMultibase, PublicKeyMultibase(k.PublicKey())},
		{"controller", kf.Controller, k.DID()},
		{"id", kf.ID, k.VerificationMethod()},
	} {
		if c.got != c.want {
			return KeyPair{}, fmt.Errorf("read key file %q: %s %q does not match the secret key (want %q): %w",
				path, c.field, c.got, c.want, ErrInvalidKey)
		}
	}
	return k, nil
}

// writeMultikeyFile writes kf to path (mode 0600), atomically and never
// replacing an existing file (see WriteKeyFile).
func writeMultikeyFile(path string, kf keyFile) error {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode key file: %w", err)
	}
	b = append(b, '\n')
	if err := durable.Create(path, b, 0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

// readMultikeyFile reads a Multikey key file: mode 0600 on Unix, at most
// maxKeyFileSize bytes, known members only, type Multikey. Its errors
// never quote the file.
func readMultikeyFile(path string) (keyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return keyFile{}, fmt.Errorf("read key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return keyFile{}, fmt.Errorf("read key file: %w", err)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return keyFile{}, fmt.Errorf("read key file %q: mode %v, want 0600 (run chmod 600 %q): %w",
			path, perm, path, ErrKeyFilePermissions)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return keyFile{}, fmt.Errorf("read key file %q: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return keyFile{}, fmt.Errorf("read key file %q: larger than %d bytes: %w", path, maxKeyFileSize, ErrInvalidKey)
	}
	var kf keyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) { // never echo the file's bytes
			err = fmt.Errorf("invalid JSON at offset %d", syntax.Offset)
		}
		return keyFile{}, fmt.Errorf("read key file %q: %v: %w", path, err, ErrInvalidKey)
	}
	if kf.Type != "Multikey" {
		return keyFile{}, fmt.Errorf("read key file %q: type %q, want Multikey: %w", path, kf.Type, ErrInvalidKey)
	}
	return kf, nil
}
