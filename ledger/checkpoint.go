package ledger

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpointSize bounds a signed checkpoint a parser accepts.
const MaxCheckpointSize = 16 << 10

// algEd25519 is the signed-note signature type of Ed25519 keys.
const algEd25519 = 1

// Checkpoint is a C2SP tlog-checkpoint: the log's origin, its size and
// the root hash of its first Size entries.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Body is the checkpoint's note text: "<origin>\n<size>\n<base64 root>\n".
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// parseBody decodes a checkpoint's note text. Extension lines after the
// root are allowed (C2SP) and ignored.
func parseBody(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, fmt.Errorf("checkpoint: %d lines, want at least 3: %w", len(lines)-1, ErrCheckpoint)
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return c, fmt.Errorf("checkpoint: empty origin: %w", ErrCheckpoint)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return c, fmt.Errorf("checkpoint: size %.40q is not a non-negative decimal: %w", lines[1], ErrCheckpoint)
	}
	c.Size = n
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return c, fmt.Errorf("checkpoint: root %.60q is not a base64 SHA-256: %w", lines[2], ErrCheckpoint)
	}
	copy(c.Hash[:], h)
	return c, nil
}

// ParseCheckpoint verifies a signed checkpoint with the verifier key vkey
// (a signed-note verifier key, VerifierKey) and decodes it; the note must
// be signed by that key and its origin must be the key's name.
func ParseCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	if len(signed) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("checkpoint: %d bytes, more than %d: %w", len(signed), MaxCheckpointSize, ErrCheckpoint)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: verifier key: %v: %w", err, ErrCheckpoint)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %v: %w", err, ErrCheckpoint)
	}
	c, err := parseBody(n.Text)
	if err != nil {
		return c, err
	}
	if c.Origin != v.Name() {
		return c, fmt.Errorf("checkpoint: origin %q is not the key's name %q: %w", c.Origin, v.Name(), ErrCheckpoint)
	}
	return c, nil
}

// signer is a signed-note signer over an Ed25519 crypto.Signer.
type signer struct {
	name string
	hash uint32
	s    crypto.Signer
}

var _ note.Signer = (*signer)(nil)

func (s *signer) Name() string    { return s.name }
func (s *signer) KeyHash() uint32 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) {
	return s.s.Sign(nil, msg, crypto.Hash(0))
}

// newSigner wraps an Ed25519 signer as a signed-note signer named name.
func newSigner(name string, s crypto.Signer) (*signer, string, error) {
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok {
		return nil, "", fmt.Errorf("ledger: signer's key is %T, want ed25519.PublicKey", s.Public())
	}
	if !validName(name) {
		return nil, "", fmt.Errorf("ledger: origin %q is not a valid note key name", name)
	}
	key := append([]byte{algEd25519}, pub...)
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	hash := binary.BigEndian.Uint32(h.Sum(nil))
	vkey := fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(key))
	return &signer{name: name, hash: hash, s: s}, vkey, nil
}

// validName reports whether name may name a signed-note key: not empty,
// valid UTF-8, no spaces and no '+'.
func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsSpace) && !strings.Contains(name, "+")
}

// VerifierKey returns the signed-note verifier key of a log named origin
// whose checkpoints pub signs: what ParseCheckpoint takes, computed from
// the host's public key alone (its did:key), so a verifier need not take
// a server's word for it.
func VerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("verifier key: public key of %d bytes, want %d: %w", len(pub), ed25519.PublicKeySize, ErrCheckpoint)
	}
	_, vkey, err := newSigner(origin, publicOnly{pub})
	return vkey, err
}

// publicOnly is a crypto.Signer that only has a public key.
type publicOnly struct{ pub ed25519.PublicKey }

func (p publicOnly) Public() crypto.PublicKey { return p.pub }
func (publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("ledger: a public key cannot sign")
}

// sign returns c as a signed note.
func (s *signer) sign(c Checkpoint) ([]byte, error) {
	b, err := note.Sign(&note.Note{Text: c.Body()}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return b, nil
}
