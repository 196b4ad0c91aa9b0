package api

// Hide asks that visitors see a credential only as a selective disclosure
// that hides its author (POST /v1/credentials/{id}/hide): the mandatory
// claims and the claims the JSON pointers in Reveal name, which may not
// name the author.
type Hide struct {
	Reveal []string `json:"reveal"`
}
