package httpapi

import "github.com/verdictlab/verdict/market"

// Routes lists s's routes as "METHOD /path", for TestOpenAPIMatchesRoutes.
func Routes(s *Server) []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// UploadParts is uploadParts, for FuzzUploadParts.
var UploadParts = uploadParts

// ReplayCacheLen is how many (signer, nonce) pairs s remembers.
func ReplayCacheLen(s *Server) int {
	s.replays.mu.Lock()
	defer s.replays.mu.Unlock()
	return len(s.replays.seen)
}

// SetReplayCacheSize bounds s's replay cache to n pairs.
func SetReplayCacheSize(s *Server, n int) {
	s.replays.mu.Lock()
	defer s.replays.mu.Unlock()
	s.replays.maxLen = n
}

// InflightBytes is how many request bytes s holds reserved.
func InflightBytes(s *Server) int64 {
	s.inflight.mu.Lock()
	defer s.inflight.mu.Unlock()
	return s.inflight.total
}

// MarketOf is the marketplace s serves, for tests that change its trust
// registry.
func MarketOf(s *Server) *market.Market { return s.m }
