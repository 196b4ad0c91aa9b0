package credential_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

// ExampleVerifyCredential signs a credential of a type verdict does not
// know and verifies it; then verifies a copy whose subject was changed.
func ExampleVerifyCredential() {
	seed := make([]byte, 32)
	key, _ := credential.NewKeyPair(seed)
	doc := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],` +
		`"type":["VerifiableCredential"],"issuer":"` + key.DID() + `",` +
		`"validFrom":"2027-01-01T00:00:00Z","credentialSubject":{"id":"did:example:dana","reviewed":true}}`)
	signed, err := credential.Sign(doc, key, credential.ProofOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := credential.CredentialOptions{Now: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}
	res, err := credential.VerifyCredential(context.Background(), signed, opts)
	fmt.Println(err == nil, res.Issuer == key.DID(), res.Cryptosuite)

	tampered := []byte(strings.Replace(string(signed), `"reviewed": true`, `"reviewed": false`, 1))
	_, err = credential.VerifyCredential(context.Background(), tampered, opts)
	fmt.Println(errors.Is(err, credential.ErrBadSignature))
	// Output:
	// true true eddsa-jcs-2022
	// true
}
