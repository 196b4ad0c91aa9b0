package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/verdictlab/verdict/market"
)

// Trusted reads the server's registry of trusted issuers (GET
// /v1/market/trust).
func (c *Client) Trusted(ctx context.Context) (*market.Registry, error) {
	var r market.Registry
	if err := c.get(ctx, "/v1/market/trust", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// SignedRegistry reads the registry as the server publishes it, signed by
// its host (GET /v1/market/issuers), and verifies it (market.ParseRegistry);
// host, if not "", is the did:key it must be signed by.
func (c *Client) SignedRegistry(ctx context.Context, host string) (*market.Registry, []byte, error) {
	req, err := c.NewRequest(ctx, "GET", "/v1/market/issuers", nil, "")
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("GET /v1/market/issuers: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, market.MaxRegistrySize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET /v1/market/issuers: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, readError(resp.StatusCode, b)
	}
	r, err := market.ParseRegistry(b, host)
	if err != nil {
		return nil, nil, err
	}
	return r, b, nil
}

// Trust trusts an issuer on the server, or replaces its entry; reason is
// for the trust log (POST /v1/market/trust, host only).
func (c *Client) Trust(ctx context.Context, ti market.TrustedIssuer, reason string) (*market.TrustedIssuer, error) {
	var out market.TrustedIssuer
	if err := c.postJSON(ctx, "POST", "/v1/market/trust", market.TrustRequest{Issuer: ti, Reason: reason}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Untrust stops trusting an issuer on the server (DELETE
// /v1/market/trust/{did}, host only).
func (c *Client) Untrust(ctx context.Context, did, reason string) error {
	return c.call(ctx, "DELETE", withQuery("/v1/market/trust/"+esc(did), url.Values{"reason": {reason}}), nil, "", http.StatusOK, nil)
}

// TrustLog reads the server's trust log (GET /v1/market/trust/log, host
// only).
func (c *Client) TrustLog(ctx context.Context) ([]market.TrustChange, error) {
	var out []market.TrustChange
	return out, c.get(ctx, "/v1/market/trust/log", &out)
}
