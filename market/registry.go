package market

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

// RegistryType and RegistryVersion identify a published registry of
// trusted issuers.
const (
	RegistryType    = "VerdictTrustedIssuers"
	RegistryVersion = 1
	// MaxRegistrySize bounds a published registry ParseRegistry reads.
	MaxRegistrySize = 8 << 20
)

// Registry is a marketplace's registry of trusted issuers as it
// publishes it: the host that keeps it (and signs it, eddsa-jcs-2022,
// like its credentials and status list), when, and the issuers, so that a
// buyer can check for themselves whom a marketplace vouches for.
type Registry struct {
	Type    string          `json:"type"`    // RegistryType
	Version int             `json:"version"` // RegistryVersion
	Issuer  string          `json:"issuer"`  // the host's did:key, which signs it
	Issued  time.Time       `json:"issued"`
	Issuers []TrustedIssuer `json:"issuers"`
}

// Registry returns the registry of trusted issuers as of now, unsigned.
func (mk *Market) Registry() (*Registry, error) {
	list, err := mk.Issuers()
	if err != nil {
		return nil, err
	}
	return &Registry{Type: RegistryType, Version: RegistryVersion, Issuer: mk.e.HostDID(),
		Issued: mk.e.Now().UTC().Truncate(time.Second), Issuers: list}, nil
}

// SignedRegistry returns Registry signed by the host.
func (mk *Market) SignedRegistry() ([]byte, error) {
	r, err := mk.Registry()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode trusted issuers: %w", err)
	}
	signed, err := mk.e.SignAsHost(b, r.Issued)
	if err != nil {
		return nil, fmt.Errorf("sign trusted issuers: %w", err)
	}
	return signed, nil
}

// ParseRegistry verifies a published registry (its proof, and that its
// issuer is the did:key that signed it; if host is not "", that it is
// host) and decodes it strictly: unknown members, a wrong type or
// version, or an invalid entry are errors.
func ParseRegistry(signed []byte, host string) (*Registry, error) {
	if len(signed) > MaxRegistrySize {
		return nil, fmt.Errorf("trusted issuers: %d bytes, more than %d", len(signed), MaxRegistrySize)
	}
	res, err := credential.Verify(signed, nil)
	if err != nil {
		return nil, fmt.Errorf("trusted issuers: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(res.Document))
	dec.DisallowUnknownFields()
	var r Registry
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("trusted issuers: %w", err)
	}
	switch {
	case r.Type != RegistryType || r.Version != RegistryVersion:
		return nil, fmt.Errorf("trusted issuers: type %.40q version %d, want %s %d", r.Type, r.Version, RegistryType, RegistryVersion)
	case r.Issuer != res.Issuer:
		return nil, fmt.Errorf("trusted issuers: issuer %.80q, signed by %.80q: %w", r.Issuer, res.Issuer, credential.ErrIssuerMismatch)
	case host != "" && r.Issuer != host:
		return nil, fmt.Errorf("trusted issuers: published by %.80q, want %.80q: %w", r.Issuer, host, credential.ErrIssuerMismatch)
	}
	for _, ti := range r.Issuers {
		if err := ti.Validate(); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// TrustRequest is a change of the registry over the API: the issuer to
// trust (or replace) and why, for the trust log.
type TrustRequest struct {
	Issuer TrustedIssuer `json:"issuer"`
	Reason string        `json:"reason,omitempty"`
}
