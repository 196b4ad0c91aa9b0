package client

import (
	"context"
	"net/http"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

// Hide asks the server to show credential id to visitors only as a
// selective disclosure without its author (POST
// /v1/credentials/{id}/hide), as its author (a client with the author's
// Key) or the host; reveal names what that disclosure shows beyond the
// mandatory claims. It returns the credential in full.
func (c *Client) Hide(ctx context.Context, id string, reveal []string) (*engine.Credential, error) {
	var cr engine.Credential
	if err := c.postJSON(ctx, "POST", "/v1/credentials/"+esc(id)+"/hide", api.Hide{Reveal: reveal}, http.StatusOK, &cr); err != nil {
		return nil, err
	}
	return &cr, nil
}
