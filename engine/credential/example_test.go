package credential_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

// The W3C test vectors' key, which is public: never use it for anything real.
const testSecretKey = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"

func ExampleSign() {
	key, err := credential.ParseSecretKeyMultibase(testSecretKey)
	if err != nil {
		panic(err)
	}
	doc := []byte(`{
		"@context": ["https://www.w3.org/ns/credentials/v2"],
		"type": ["VerifiableCredential"],
		"issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
		"validFrom": "2026-01-15T12:00:00Z",
		"credentialSubject": {"id": "urn:example:1", "name": "Example"}
	}`)
	signed, err := credential.Sign(doc, key, credential.ProofOptions{
		Created: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	res, err := credential.Verify(signed, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("issuer:", res.Issuer)
	fmt.Println("created:", res.Created.Format(time.RFC3339))
	fmt.Println("signed bytes:", string(res.Document[:40]))
	// Output:
	// issuer: did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2
	// created: 2026-01-15T12:00:00Z
	// signed bytes: {"@context":["https://www.w3.org/ns/cred
}

func ExampleParseDIDKey() {
	pub, err := credential.ParseDIDKey("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%x\n", pub)
	fmt.Println(credential.VerificationMethod(pub))

	_, err = credential.ParseDIDKey("did:web:example.com")
	fmt.Println(errors.Is(err, credential.ErrInvalidDID))
	// Output:
	// b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f
	// did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2
	// true
}

func ExampleModelCredential_Sign() {
	key, err := credential.ParseSecretKeyMultibase(testSecretKey)
	if err != nil {
		panic(err)
	}
	module := []byte("\x00asm\x01\x00\x00\x00")
	issued := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	c := credential.ModelCredential{
		ID:        "urn:uuid:6a1f0c3e-9d4b-4e8a-b2f1-3c5d7e9a0b12", // IssueModel picks a random one
		ValidFrom: issued,
		Subject: credential.ModelSubject{
			Model:  sha256.Sum256(module),
			Author: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
			Task:   credential.Task{ID: "iris", Title: "Iris species", Type: "multiclass", Metric: "accuracy", DatasetHash: "sha256:1a2b"},
			Scores: credential.Scores{
				Public: credential.Score{Value: 0.96, CI: [2]float64{0.91, 0.99}, Level: 0.95},
			},
			Rank:               2,
			RankedParticipants: 7,
			Gates:              []credential.Gate{{Name: "min_score", Passed: true, Value: 0.96, Threshold: 0.9}},
			EngineVersion:      "v0.3.0",
		},
	}
	vc, err := c.Sign(key)
	if err != nil {
		panic(err)
	}

	res, err := credential.VerifyModel(context.Background(), vc, credential.VerifyOptions{
		Issuer: key.DID(),
		Module: module,
		Now:    issued.Add(24 * time.Hour),
	})
	if err != nil {
		panic(err)
	}
	s := res.Credential.Subject
	fmt.Printf("%s ranked %d/%d on %s: %s %.2f [%.2f, %.2f]\n", s.Author[:16], s.Rank, s.RankedParticipants,
		s.Task.ID, s.Task.Metric, s.Scores.Public.Value, s.Scores.Public.CI[0], s.Scores.Public.CI[1])

	_, err = credential.VerifyModel(context.Background(), vc, credential.VerifyOptions{Module: []byte("another model")})
	fmt.Println(err)
	// Output:
	// did:key:z6MkhaXg ranked 2/7 on iris: accuracy 0.96 [0.91, 0.99]
	// credentialSubject.id: module has SHA-256 93dc44381b5260808085f4dd99e5d439f52b86f2938527faf30bd72eb21afbc1: credential: module does not match the credential
}

func ExampleStatusList() {
	key, err := credential.ParseSecretKeyMultibase(testSecretKey)
	if err != nil {
		panic(err)
	}
	const url = "https://verdict.example/credentials/status/1"
	issued := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

	list, err := credential.NewStatusList(0) // 131072 entries
	if err != nil {
		panic(err)
	}
	if err := list.Set(42, true); err != nil { // revoke the credential at index 42
		panic(err)
	}
	listVC, err := credential.IssueStatusList(url, list, key, issued)
	if err != nil {
		panic(err)
	}
	for _, i := range []int{41, 42} {
		revoked, err := credential.CheckStatus(credential.NewStatusEntry(url, i), listVC, key.DID(), issued)
		fmt.Println(i, revoked, err)
	}
	// Output:
	// 41 false <nil>
	// 42 true <nil>
}

func ExampleReadKeyFile() {
	dir, err := os.MkdirTemp("", "verdict-key")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	key, err := credential.ParseSecretKeyMultibase(testSecretKey)
	if err != nil {
		panic(err)
	}
	path := dir + "/issuer.key"
	if err := credential.WriteKeyFile(path, key); err != nil {
		panic(err)
	}
	again, err := credential.ReadKeyFile(path)
	fmt.Println(again, err)
	fmt.Println(credential.WriteKeyFile(path, key) != nil) // never overwrites
	// Output:
	// KeyPair(did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2) <nil>
	// true
}
