package httpapi

import (
	_ "embed"
	"net/http"
)

// openapiDoc is the OpenAPI 3.1 document of the API, kept in sync with
// routes by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the OpenAPI 3.1 document of the API.
func OpenAPI() []byte { return append([]byte(nil), openapiDoc...) }

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc)
}
