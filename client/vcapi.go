package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/verdictlab/verdict/api"
)

// VerifyCredential asks the server to verify any credential through the
// W3C VC-API (POST /credentials/verify, public). A credential that does
// not verify (400 or 422 with a verification result) is not an error: see
// VerificationResult.Errors.
func (c *Client) VerifyCredential(ctx context.Context, vc []byte) (*api.VerificationResult, error) {
	body, err := json.Marshal(api.VerifyCredentialRequest{VerifiableCredential: vc})
	if err != nil {
		return nil, fmt.Errorf("verify credential: %w", err)
	}
	req, err := c.NewRequest(ctx, "POST", "/credentials/verify", body, "application/json")
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("POST %s: read answer: %w", req.URL.Redacted(), err)
	}
	var res api.VerificationResult
	switch resp.StatusCode {
	case http.StatusOK, http.StatusBadRequest, http.StatusUnprocessableEntity:
		if json.Unmarshal(b, &res) == nil && (res.Verified || len(res.Errors) > 0) {
			return &res, nil
		}
	}
	return nil, readError(resp.StatusCode, b)
}

// IssueCredential has the server's VC-API issuer sign credential (POST
// /credentials/issue, host only, verdict serve --issuer-api), with opts
// (nil: none), and returns the signed credential.
func (c *Client) IssueCredential(ctx context.Context, credential []byte, opts *api.IssueOptions) (json.RawMessage, error) {
	var out api.IssueCredentialResponse
	if err := c.postJSON(ctx, "POST", "/credentials/issue", api.IssueCredentialRequest{Credential: credential, Options: opts}, http.StatusCreated, &out); err != nil {
		return nil, err
	}
	return out.VerifiableCredential, nil
}

// SetCredentialStatus sets (set true) or clears the statusPurpose bit of a
// credential the VC-API issuer put on a list (POST /credentials/status,
// host only).
func (c *Client) SetCredentialStatus(ctx context.Context, id, purpose string, set bool) error {
	in := api.UpdateStatusRequest{CredentialID: id, CredentialStatus: []api.StatusUpdate{{Type: "BitstringStatusListEntry", StatusPurpose: purpose, Status: set}}}
	return c.postJSON(ctx, "POST", "/credentials/status", in, http.StatusOK, nil)
}
