package api

// Derive asks for a selective disclosure of a credential (POST
// /v1/credentials/{id}/derive): the derived credential reveals the
// mandatory claims and the claims the JSON pointers in Reveal name, with a
// bbs-2023 proof bound to Nonce (a verifier's challenge; may be empty).
type Derive struct {
	Reveal []string `json:"reveal"`
	Nonce  string   `json:"nonce,omitempty"`
}
