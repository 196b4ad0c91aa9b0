package httpapi

import (
	"bytes"
	"io"
	"net/http"

	"github.com/verdictlab/verdict/internal/mcpserver"
)

// mcp serves the marketplace to AI agents over the Model Context
// Protocol, streamable HTTP (internal/mcpserver): stateless JSON-RPC over
// POST; GET, which would open a stream of server-initiated messages, is
// answered 405, as the protocol allows. Like /v1/market, it is public to
// read; a caller that gives credentials must give valid ones. Its predict
// tool is metered to the request's caller (meteredCaller: a buyer token's
// DID, a signer's did:key, the host or the DID the host names with
// ?participant=); a visitor's predict is refused, naming the rule.
func (s *Server) mcp(w http.ResponseWriter, r *http.Request) {
	c, err := s.identifyBuyer(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := meteredCaller(c, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if c.sig != nil {
		// A signer's body is checked against the signed Content-Digest
		// before the MCP handler acts on it (readBody), so a signed call
		// is metered for the body its signer sent.
		body, err := s.readBody(w, r, c, mcpserver.MaxRequestBytes)
		if err != nil {
			s.fail(w, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if who != "" {
		r = r.WithContext(mcpserver.WithCaller(r.Context(), who))
	}
	s.mcpHandler.ServeHTTP(w, r)
}

// MCPNoCaller is what /mcp answers a visitor's predict: the rule, and how
// to be a caller.
const MCPNoCaller = "on /mcp, predict must be authenticated: send Authorization: Bearer with a buyer token (the host issues one per did:key: verdict token create --buyer DID), or sign the request with your did:key; a host token meters to the host, or to the did:key it names with ?participant=DID"

// newMCPHandler is the /mcp handler over the server's marketplace.
func (s *Server) newMCPHandler() http.Handler {
	return mcpserver.Handler(mcpserver.New(mcpserver.Config{Market: s.m, NoCaller: MCPNoCaller}))
}
