package httpapi

import (
	"net/http"

	"github.com/verdictlab/verdict/internal/mcpserver"
)

// mcp serves the marketplace to AI agents over the Model Context
// Protocol, streamable HTTP (internal/mcpserver): stateless JSON-RPC over
// POST; GET, which would open a stream of server-initiated messages, is
// answered 405, as the protocol allows. Like /v1/market, it is public to
// read; a caller that gives credentials must give valid ones.
func (s *Server) mcp(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(w, r); err != nil {
		s.fail(w, err)
		return
	}
	s.mcpHandler.ServeHTTP(w, r)
}

// newMCPHandler is the /mcp handler over the server's marketplace.
func (s *Server) newMCPHandler() http.Handler {
	return mcpserver.Handler(mcpserver.New(mcpserver.Config{Market: s.m}))
}
