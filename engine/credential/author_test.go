package credential

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestParticipantIRI(t *testing.T) {
	for _, tc := range []struct {
		name, task, participant, want string
	}{
		{"did:key kept", "titanic", testAuthorID, testAuthorID},
		{"name", "titanic", "carol", "urn:verdict:participant:titanic:carol"},
		{"name with reserved characters", "titanic", "c.a-r_o~l:x@y+z", "urn:verdict:participant:titanic:c.a-r_o~l%3Ax%40y%2Bz"},
		{"other DID method is a name", "t", "did:web:example.com", "urn:verdict:participant:t:did%3Aweb%3Aexample.com"},
		{"task with a colon", "a:b", "carol", "urn:verdict:participant:a%3Ab:carol"},
		{"non-ASCII", "t", "zoë", "urn:verdict:participant:t:zo%C3%AB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParticipantIRI(tc.task, tc.participant)
			if got != tc.want {
				t.Errorf("ParticipantIRI(%q, %q): got %q, want %q", tc.task, tc.participant, got, tc.want)
			}
			if err := checkAbsoluteIRI(got); err != nil {
				t.Errorf("ParticipantIRI(%q, %q) = %q: %v", tc.task, tc.participant, got, err)
			}
			if back := ParticipantName(got); back != tc.participant {
				t.Errorf("ParticipantName(%q): got %q, want %q", got, back, tc.participant)
			}
		})
	}
	// Credentials issued before authors were IRIs name the participant bare.
	if got := ParticipantName("carol"); got != "carol" {
		t.Errorf("ParticipantName(%q): got %q, want it unchanged", "carol", got)
	}
}

// TestModelAuthorIRI: a credential for a participant known by a name
// signs and verifies with the name's IRI as author, and one issued before
// (a bare name, signed) still verifies: verification does not judge it.
func TestModelAuthorIRI(t *testing.T) {
	k := vectorKey(t)
	c := testCredential()
	c.Subject.Author = ParticipantIRI(c.Subject.Task.ID, "carol")
	signed, err := c.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyModel(context.Background(), signed, VerifyOptions{Issuer: k.DID(), Now: testIssued.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Credential.Subject.Author; got != "urn:verdict:participant:churn-2026:carol" {
		t.Errorf("author: got %q, want urn:verdict:participant:churn-2026:carol", got)
	}

	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "proof")
	doc["credentialSubject"].(map[string]any)["author"] = "carol"
	unsigned, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	old, err := Sign(unsigned, k, ProofOptions{Created: testIssued})
	if err != nil {
		t.Fatal(err)
	}
	res, err = VerifyModel(context.Background(), old, VerifyOptions{Issuer: k.DID(), Now: testIssued.Add(time.Hour)})
	if err != nil || res.Credential.Subject.Author != "carol" {
		t.Errorf("credential with a bare author: got %+v, %v; want it verified", res, err)
	}
}
