package credential_test

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

// A participant signs a request to verdict's HTTP API with their key; the
// server verifies it and learns who sent it.
func ExampleSignRequest() {
	k, _ := credential.NewKeyPair(bytes.Repeat([]byte{1}, 32))
	body := []byte(`{"submissions":[]}`)
	req, _ := http.NewRequest("PUT", "http://127.0.0.1:8080/v1/tasks/iris/selections", bytes.NewReader(body))
	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	if err := credential.SignRequest(req, body, k, created, "3f9a1c"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Content-Digest:", req.Header.Get("Content-Digest"))
	fmt.Println("Signature-Input:", req.Header.Get("Signature-Input"))

	signed, err := credential.VerifyRequest(req, body, created.Add(time.Minute), 0)
	fmt.Println(signed.Signer == k.DID(), signed.Nonce, err)
	// Output:
	// Content-Digest: sha-256=:/5rbGD34UNW6wVUhFCu/84JaLDNHDDTO9qZ9F5V1Q7g=:
	// Signature-Input: verdict=("@method" "@path" "@query" "content-digest");created=1795600800;keyid="did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX";alg="ed25519";nonce="3f9a1c"
	// true 3f9a1c <nil>
}
