package credential

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/verdictlab/verdict/engine/credential/bbs"
)

// Multicodec prefixes of BLS12-381 G2 Multikey values (as Digital
// Bazaar's bls12-381-multikey writes them).
var (
	bls12381G2PubPrefix  = []byte{0xeb, 0x01} // bls12_381-g2-pub, 0xeb
	bls12381G2PrivPrefix = []byte{0x8a, 0x26} // bls12_381-g2-priv, 0x130a
)

// bbsPublicKeySize and bbsSecretKeySize are the encoded BLS12-381 G2
// public key (compressed) and BBS secret key (big-endian scalar).
const (
	bbsPublicKeySize = 96
	bbsSecretKeySize = 32
	// maxBBSDIDLen bounds the DIDs ParseBBSDIDKey looks at; a BLS12-381
	// G2 did:key with its fragment is 281 bytes.
	maxBBSDIDLen = 320
)

// BBSKey is a BLS12-381 key for BBS signatures: the host's key for
// bbs-2023 selective-disclosure proofs, beside its Ed25519 KeyPair. The
// zero BBSKey is invalid. Its String and GoString print the DID only.
type BBSKey struct {
	sk  bbs.SecretKey
	pk  bbs.PublicKey
	set bool
}

// GenerateBBSKey makes a new BBS key from 32 bytes of rand
// (crypto/rand.Reader in production, a fixed reader in tests), by the BBS
// draft's KeyGen.
func GenerateBBSKey(rand io.Reader) (BBSKey, error) {
	var material [32]byte
	if _, err := io.ReadFull(rand, material[:]); err != nil {
		return BBSKey{}, fmt.Errorf("generate BBS key: %w", err)
	}
	sk, err := bbs.KeyGen(material[:], nil, nil)
	if err != nil {
		return BBSKey{}, fmt.Errorf("generate BBS key: %w", err)
	}
	return newBBSKey(sk), nil
}

func newBBSKey(sk bbs.SecretKey) BBSKey {
	return BBSKey{sk: sk, pk: sk.PublicKey(), set: true}
}

func (k BBSKey) valid() error {
	if !k.set {
		return fmt.Errorf("zero BBS key: %w", ErrInvalidKey)
	}
	return nil
}

// PublicKey returns the BBS public key (the zero value for the zero key).
func (k BBSKey) PublicKey() bbs.PublicKey { return k.pk }

// DID returns the key's did:key ("did:key:zUC7…").
func (k BBSKey) DID() string {
	if k.valid() != nil {
		return ""
	}
	return didKeyPrefix + BBSPublicKeyMultibase(k.pk)
}

// VerificationMethod returns "did:key:zUC7…#zUC7…".
func (k BBSKey) VerificationMethod() string {
	if k.valid() != nil {
		return ""
	}
	mb := BBSPublicKeyMultibase(k.pk)
	return didKeyPrefix + mb + "#" + mb
}

// String returns the DID; it never prints private material.
func (k BBSKey) String() string { return "BBSKey(" + k.DID() + ")" }

// GoString is String, so %#v never prints private material either.
func (k BBSKey) GoString() string { return k.String() }

// BBSPublicKeyMultibase returns a BLS12-381 G2 public key as a Multikey
// publicKeyMultibase: 'z' and the base58btc of 0xeb 0x01 and the 96-byte
// compressed point ("zUC7…").
func BBSPublicKeyMultibase(pk bbs.PublicKey) string {
	return "z" + encodeBase58(append(bytes.Clone(bls12381G2PubPrefix), pk.Bytes()...))
}

// ParseBBSDIDKey returns the BLS12-381 G2 public key of a did:key, given
// as a DID ("did:key:zUC7…") or as its verification method
// ("did:key:zUC7…#zUC7…"). Errors wrap ErrInvalidDID.
func ParseBBSDIDKey(did string) (bbs.PublicKey, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%.110q: %s: %w", did, fmt.Sprintf(format, args...), ErrInvalidDID)
	}
	if len(did) > maxBBSDIDLen {
		return bbs.PublicKey{}, bad("%d bytes, want at most %d", len(did), maxBBSDIDLen)
	}
	rest, ok := strings.CutPrefix(did, didKeyPrefix)
	if !ok {
		return bbs.PublicKey{}, bad("not a did:key (want prefix %q)", didKeyPrefix)
	}
	mb, fragment, hasFragment := strings.Cut(rest, "#")
	if hasFragment && fragment != mb {
		return bbs.PublicKey{}, bad("fragment %q is not the key %q", fragment, mb)
	}
	b, err := decodeMultikey(mb, bls12381G2PubPrefix, bbsPublicKeySize)
	if err != nil {
		return bbs.PublicKey{}, bad("%v (want a bls12_381-g2-pub key, multicodec eb01)", err)
	}
	pk, err := bbs.ParsePublicKey(b)
	if err != nil {
		return bbs.PublicKey{}, bad("%v", err)
	}
	return pk, nil
}

// WriteBBSKeyFile writes k to path as a Multikey JSON document, like
// WriteKeyFile: mode 0600, atomic, never replacing an existing file.
func WriteBBSKeyFile(path string, k BBSKey) error {
	if err := k.valid(); err != nil {
		return err
	}
	return writeMultikeyFile(path, keyFile{
		ID:                 k.VerificationMethod(),
		Type:               "Multikey",
		Controller:         k.DID(),
		PublicKeyMultibase: BBSPublicKeyMultibase(k.pk),
		SecretKeyMultibase: "z" + encodeBase58(append(bytes.Clone(bls12381G2PrivPrefix), k.sk.Bytes()...)),
	})
}

// ReadBBSKeyFile reads a key file written by WriteBBSKeyFile, with
// ReadKeyFile's checks (mode 0600, public key, id and controller agree
// with the secret key). Its errors never quote the secret key.
func ReadBBSKeyFile(path string) (BBSKey, error) {
	kf, err := readMultikeyFile(path)
	if err != nil {
		return BBSKey{}, err
	}
	b, err := decodeMultikey(kf.SecretKeyMultibase, bls12381G2PrivPrefix, bbsSecretKeySize)
	if err != nil {
		return BBSKey{}, fmt.Errorf("read key file %q: secretKeyMultibase: %v: %w", path, err, ErrInvalidKey)
	}
	sk, err := bbs.ParseSecretKey(b)
	if err != nil {
		return BBSKey{}, fmt.Errorf("read key file %q: secretKeyMultibase: %v: %w", path, err, ErrInvalidKey)
	}
	k := newBBSKey(sk)
	for _, c := range []struct{ field, got, want string }{
		{"publicKeyMultibase", kf.PublicKeyMultibase, BBSPublicKeyMultibase(k.pk)},
		{"controller", kf.Controller, k.DID()},
		{"id", kf.ID, k.VerificationMethod()},
	} {
		if c.got != c.want {
			return BBSKey{}, fmt.Errorf("read key file %q: %s %q does not match the secret key (want %q): %w",
				path, c.field, c.got, c.want, ErrInvalidKey)
		}
	}
	return k, nil
}
