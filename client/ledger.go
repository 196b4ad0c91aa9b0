package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/market"
)

// PredictMetered runs marketplace model id on input (a CSV, Parquet or
// Arrow IPC table; contentType its media type, e.g. "text/csv") as a
// metered call, signed with the client's key (or as the host): the
// predictions and the usage receipt, with its inclusion proof. A call
// over the caller's quota is an *Error of kind "quota" (429) naming the
// rule, which unwraps to engine.ErrQuotaExceeded.
func (c *Client) PredictMetered(ctx context.Context, id string, input []byte, contentType string) (*api.MeteredPrediction, error) {
	req, err := c.NewRequest(ctx, "POST", "/v1/market/"+esc(id)+"/predict", input, contentType)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	var out api.MeteredPrediction
	if err := c.Do(req, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LedgerCheckpoint returns the server's usage ledger's latest signed
// checkpoint and the verifier key the server names for it (check it
// against the host's DID: market.LedgerVerifierKey).
func (c *Client) LedgerCheckpoint(ctx context.Context) (signed []byte, vkey string, err error) {
	b, h, err := c.raw(ctx, "/ledger/checkpoint")
	return b, h.Get("Verdict-Ledger-Key"), err
}

// LedgerTile returns a tile of the server's usage ledger at a C2SP
// tlog-tiles path ("tile/0/000.p/5"): a ledger.FetchFunc.
func (c *Client) LedgerTile(ctx context.Context, path string) ([]byte, error) {
	b, _, err := c.raw(ctx, "/ledger/"+path)
	return b, err
}

// raw GETs path and returns the answer's bytes as they are.
func (c *Client) raw(ctx context.Context, path string) ([]byte, http.Header, error) {
	req, err := c.NewRequest(ctx, "GET", path, nil, "")
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: read answer: %w", req.URL.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, readError(resp.StatusCode, b)
	}
	return b, resp.Header, nil
}

// LedgerStatement returns the host-signed revenue statement of period
// ("YYYY-MM"), for author or (empty) all; check it with
// market.VerifyStatement.
func (c *Client) LedgerStatement(ctx context.Context, period, author string) ([]byte, error) {
	b, _, err := c.raw(ctx, withQuery("/v1/ledger/statement", url.Values{"period": {period}, "author": {author}}))
	return b, err
}

// SetPrice sets a listing's price per 1,000 rows of metered use (POST
// /v1/market/{id}/price): as its author (a signed request) or the host.
func (c *Client) SetPrice(ctx context.Context, id string, per1000 int64) (*api.Price, error) {
	var out api.Price
	if err := c.postJSON(ctx, "POST", "/v1/market/"+esc(id)+"/price", api.Price{PricePer1000: per1000}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AgreeShares asks for a team's revenue split (POST
// …/teams/{team}/shares): a member as themself, in force once every
// member asked for the same; the host records it at once.
func (c *Client) AgreeShares(ctx context.Context, task, team string, shares []api.Weight) (*market.ShareAgreement, error) {
	var out market.ShareAgreement
	if err := c.postJSON(ctx, "POST", "/v1/tasks/"+esc(task)+"/teams/"+esc(team)+"/shares", api.Shares{Shares: shares}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Shares reads a team's revenue split (GET …/teams/{team}/shares).
func (c *Client) Shares(ctx context.Context, task, team string) (*market.ShareAgreement, error) {
	var out market.ShareAgreement
	return &out, c.get(ctx, "/v1/tasks/"+esc(task)+"/teams/"+esc(team)+"/shares", &out)
}
