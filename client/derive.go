package client

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/verdictlab/verdict/api"
)

// Derive asks the server for a selective disclosure of credential id
// (POST /v1/credentials/{id}/derive), as its author (a client with the
// author's Key) or the host: the derived credential reveals the
// mandatory claims and those the reveal pointers name, its proof bound to
// nonce.
func (c *Client) Derive(ctx context.Context, id string, reveal []string, nonce string) ([]byte, error) {
	var out json.RawMessage
	if err := c.postJSON(ctx, "POST", "/v1/credentials/"+esc(id)+"/derive", api.Derive{Reveal: reveal, Nonce: nonce}, http.StatusOK, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// StatusList fetches the server's signed status list credential name
// (GET /status/{name}), for checking a credential's revocation.
func (c *Client) StatusList(ctx context.Context, name string) ([]byte, error) {
	var out json.RawMessage
	if err := c.get(ctx, "/status/"+esc(name), &out); err != nil {
		return nil, err
	}
	return out, nil
}
