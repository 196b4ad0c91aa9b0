package credential

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"strings"
)

// Multicodec prefixes (unsigned varints) of Multikey values.
var (
	ed25519PubPrefix  = []byte{0xed, 0x01} // ed25519-pub, 0xed
	ed25519PrivPrefix = []byte{0x80, 0x26} // ed25519-priv, 0x1300
)

const didKeyPrefix = "did:key:"

// maxDIDLen bounds the DIDs ParseDIDKey looks at; an Ed25519 did:key with
// its fragment is 105 bytes.
const maxDIDLen = 256

// KeyPair is an Ed25519 signing key. The zero KeyPair is invalid: Sign and
// the Issue functions refuse it. Its String and GoString print the DID, so
// logging a KeyPair never prints the private key.
type KeyPair struct {
	priv ed25519.PrivateKey
}

// GenerateKey makes a new key pair from rand (crypto/rand.Reader in
// production, a fixed reader in tests).
func GenerateKey(rand io.Reader) (KeyPair, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return KeyPair{priv: priv}, nil
}

// NewKeyPair returns the key pair of a 32-byte Ed25519 seed (RFC 8032's
// private key).
func NewKeyPair(seed []byte) (KeyPair, error) {
	if len(seed) != ed25519.SeedSize {
		return KeyPair{}, fmt.Errorf("seed of %d bytes, want %d: %w", len(seed), ed25519.SeedSize, ErrInvalidKey)
	}
	return KeyPair{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

func (k KeyPair) valid() error {
	if len(k.priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("zero key pair: %w", ErrInvalidKey)
	}
	return nil
}

// PublicKey returns the public half (nil for the zero KeyPair).
func (k KeyPair) PublicKey() ed25519.PublicKey {
	if k.valid() != nil {
		return nil
	}
	return bytes.Clone(k.priv[ed25519.SeedSize:])
}

// Seed returns the 32-byte private seed. Handle it like the key file.
func (k KeyPair) Seed() []byte {
	if k.valid() != nil {
		return nil
	}
	return k.priv.Seed()
}

// DID returns the key's did:key ("did:key:z6Mk…").
func (k KeyPair) DID() string {
	if k.valid() != nil {
		return ""
	}
	return DIDKey(k.PublicKey())
}

// VerificationMethod returns the key's verification method id,
// "did:key:z6Mk…#z6Mk…".
func (k KeyPair) VerificationMethod() string {
	if k.valid() != nil {
		return ""
	}
	return VerificationMethod(k.PublicKey())
}

// String returns the DID; it never prints private material.
func (k KeyPair) String() string { return "KeyPair(" + k.DID() + ")" }

// GoString is String, so %#v never prints private material either.
func (k KeyPair) GoString() string { return k.String() }

func (k KeyPair) sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// PublicKeyMultibase returns pub as a Multikey publicKeyMultibase: 'z' and
// the base58btc of 0xed 0x01 followed by the 32 key bytes ("z6Mk…").
func PublicKeyMultibase(pub ed25519.PublicKey) string {
	return "z" + encodeBase58(append(bytes.Clone(ed25519PubPrefix), pub...))
}

// ParsePublicKeyMultibase is the inverse of PublicKeyMultibase.
func ParsePublicKeyMultibase(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultikey(s, ed25519PubPrefix, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("public key %.64q: %w: %w", s, err, ErrInvalidKey)
	}
	return ed25519.PublicKey(b), nil
}

// SecretKeyMultibase returns the key's Multikey secretKeyMultibase: 'z' and
// the base58btc of 0x80 0x26 followed by the 32-byte seed ("z3u2…").
func SecretKeyMultibase(k KeyPair) string {
	if k.valid() != nil {
		return ""
	}
	return "z" + encodeBase58(append(bytes.Clone(ed25519PrivPrefix), k.Seed()...))
}

// ParseSecretKeyMultibase is the inverse of SecretKeyMultibase. Its errors
// never quote s.
func ParseSecretKeyMultibase(s string) (KeyPair, error) {
	b, err := decodeMultikey(s, ed25519PrivPrefix, ed25519.SeedSize)
	if err != nil {
		return KeyPair{}, fmt.Errorf("secret key: %w: %w", err, ErrInvalidKey)
	}
	return NewKeyPair(b)
}

// decodeMultikey decodes a base58btc multibase value and checks its
// multicodec prefix and length.
func decodeMultikey(s string, prefix []byte, size int) ([]byte, error) {
	if !strings.HasPrefix(s, "z") {
		return nil, fmt.Errorf("not base58btc (multibase prefix 'z')")
	}
	b, err := decodeBase58(s[1:])
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, prefix) {
		return nil, fmt.Errorf("multicodec prefix %x, want %x", b[:min(len(b), len(prefix))], prefix)
	}
	if n := len(b) - len(prefix); n != size {
		return nil, fmt.Errorf("%d key bytes, want %d", n, size)
	}
	return b[len(prefix):], nil
}

// DIDKey returns the did:key of an Ed25519 public key:
// "did:key:" + PublicKeyMultibase(pub).
func DIDKey(pub ed25519.PublicKey) string {
	return didKeyPrefix + PublicKeyMultibase(pub)
}

// VerificationMethod returns the id of the verification method of an
// Ed25519 did:key: the DID, '#', and the multibase key again.
func VerificationMethod(pub ed25519.PublicKey) string {
	mb := PublicKeyMultibase(pub)
	return didKeyPrefix + mb + "#" + mb
}

// ParseDIDKey returns the Ed25519 public key of a did:key, given as a DID
// ("did:key:z6Mk…") or as its verification method ("did:key:z6Mk…#z6Mk…",
// where the fragment must repeat the key). Errors wrap ErrInvalidDID and
// say what is wrong: the method, the multibase encoding, the multicodec or
// the length.
func ParseDIDKey(did string) (ed25519.PublicKey, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%.110q: %s: %w", did, fmt.Sprintf(format, args...), ErrInvalidDID)
	}
	if len(did) > maxDIDLen {
		return nil, bad("%d bytes, want at most %d", len(did), maxDIDLen)
	}
	if !strings.HasPrefix(did, didKeyPrefix) {
		return nil, bad("not a did:key (want prefix %q)", didKeyPrefix)
	}
	mb, fragment, hasFragment := strings.Cut(did[len(didKeyPrefix):], "#")
	if hasFragment && fragment != mb {
		return nil, bad("fragment %q is not the key %q", fragment, mb)
	}
	if !strings.HasPrefix(mb, "z") {
		return nil, bad("not base58btc (multibase prefix 'z')")
	}
	b, err := decodeBase58(mb[1:])
	if err != nil {
		return nil, bad("%v", err)
	}
	if !bytes.HasPrefix(b, ed25519PubPrefix) {
		return nil, bad("multicodec %x is not ed25519-pub (ed01)", b[:min(len(b), 2)])
	}
	if n := len(b) - len(ed25519PubPrefix); n != ed25519.PublicKeySize {
		return nil, bad("%d key bytes, want %d", n, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b[len(ed25519PubPrefix):]), nil
}

// controllerOf returns the DID part of a verification method id.
func controllerOf(vm string) string {
	did, _, _ := strings.Cut(vm, "#")
	return did
}
