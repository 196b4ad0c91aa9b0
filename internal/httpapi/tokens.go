package httpapi

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verdictlab/verdict/internal/durable"
)

// TokenInfo is a host token as the token file records it: never the token.
type TokenInfo struct {
	Name    string    `json:"name"`
	Hash    string    `json:"sha256"` // hex SHA-256 of the token
	Created time.Time `json:"created"`
}

// ListTokens lists the data dir's host tokens, oldest first.
func ListTokens(dataDir string) ([]TokenInfo, error) { return listTokens(dataDir, TokenFile) }

func listTokens(dataDir, file string) ([]TokenInfo, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, file))
	if errors.Is(err, fs.ErrNotExist) {
		return []TokenInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := []TokenInfo{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[0], "sha256:") {
			continue
		}
		ti := TokenInfo{Hash: strings.TrimPrefix(f[0], "sha256:"), Name: f[1]}
		if len(f) > 2 {
			ti.Created, _ = time.Parse(time.RFC3339, f[2])
		}
		out = append(out, ti)
	}
	return out, sc.Err()
}

// RevokeTokens removes every host token named name from the data dir and
// returns how many it removed; a running server refuses them at once.
func RevokeTokens(dataDir, name string) (int, error) { return revokeTokens(dataDir, TokenFile, name) }

func revokeTokens(dataDir, file, name string) (int, error) {
	path := filepath.Join(dataDir, file)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	var keep bytes.Buffer
	n := 0
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] == name {
			n++
			continue
		}
		keep.WriteString(line)
	}
	if n == 0 {
		return 0, nil
	}
	if err := durable.WriteFile(path, keep.Bytes(), 0o600); err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	return n, nil
}

// TokenFile is the file, in a data dir, holding the host tokens: one line
// per token, "sha256:HEX NAME CREATED". Only hashes are kept; the file is
// made 0600.
const TokenFile = "tokens"

// tokenPrefix marks a verdict host token.
const tokenPrefix = "vdt_"

// CreateToken makes a new host token named name (a note for the host: who
// or what holds it), appends its hash to DATA_DIR/tokens and returns the
// token, which is shown once and never stored.
func CreateToken(dataDir, name string, rand io.Reader) (string, error) {
	if strings.ContainsAny(name, " \t\r\n") || name == "" {
		return "", fmt.Errorf("token name %q: want a non-empty word", name)
	}
	return createToken(dataDir, TokenFile, tokenPrefix, name, rand)
}

// createToken makes a token with prefix, appends its hash and name to
// the data dir's file and returns it.
func createToken(dataDir, file, prefix, name string, rand io.Reader) (string, error) {
	var raw [32]byte
	if _, err := io.ReadFull(rand, raw[:]); err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	token := prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(token))
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	path := filepath.Join(dataDir, file)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	if err := checkPrivate(f); err != nil {
		f.Close()
		return "", err
	}
	line := fmt.Sprintf("sha256:%s %s %s\n", hex.EncodeToString(sum[:]), name, time.Now().UTC().Format(time.RFC3339))
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return "", fmt.Errorf("create token: %w", err)
	}
	// The token is shown once: its hash must outlive a power cut, and so
	// must the file's name when this append created it.
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	if err := durable.SyncDir(dataDir); err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	return token, nil
}

// HasTokens reports whether the data dir has a host token.
func HasTokens(dataDir string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, TokenFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(bytes.TrimSpace(b)) > 0, nil
}

func checkPrivate(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return checkMode(fi, f.Name())
}

func checkMode(fi os.FileInfo, name string) error {
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("token file %s: mode %v: others may read it (chmod 600)", name, fi.Mode().Perm())
	}
	return nil
}

// NewToken is CreateToken with crypto/rand.
func NewToken(dataDir, name string) (string, error) { return CreateToken(dataDir, name, rand.Reader) }
