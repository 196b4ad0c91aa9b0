package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/issuer"
)

var now = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *issuer.Issuer {
	t.Helper()
	is, err := issuer.Open(issuer.Config{DataDir: dir, BaseURL: "https://verdict.example/", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func unsigned(t testing.TB, issuerDID, id string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"@context":          []string{credential.ContextV2},
		"id":                id,
		"type":              []string{"VerifiableCredential"},
		"issuer":            issuerDID,
		"credentialSubject": map[string]any{"id": "did:example:carol", "score": 0.93},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// statusOf verifies signed against the issuer's own lists.
func statusOf(is *issuer.Issuer, signed []byte) error {
	_, err := credential.VerifyCredential(context.Background(), signed, credential.CredentialOptions{
		Now: now.Add(time.Minute),
		StatusList: func(_ context.Context, url string) ([]byte, error) {
			if p, ok := is.Purpose(url); ok {
				return is.StatusList(p)
			}
			return nil, credential.ErrStatusOffline
		},
	})
	return err
}

func TestIssue(t *testing.T) {
	is := open(t, t.TempDir())
	tests := []struct {
		name string
		doc  []byte
		opts issuer.Options
		want error
	}{
		{"Plain", unsigned(t, is.DID(), "urn:uuid:1"), issuer.Options{}, nil},
		{"Revocable", unsigned(t, is.DID(), "urn:uuid:2"), issuer.Options{StatusPurpose: "revocation"}, nil},
		{"Suspendable", unsigned(t, is.DID(), "urn:uuid:3"), issuer.Options{StatusPurpose: "suspension"}, nil},
		{"ErrIssuerMismatch", unsigned(t, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "urn:uuid:4"), issuer.Options{}, credential.ErrIssuerMismatch},
		{"ErrStatusPurpose", unsigned(t, is.DID(), "urn:uuid:5"), issuer.Options{StatusPurpose: "message"}, issuer.ErrStatusPurpose},
		{"ErrDataModel", unsigned(t, is.DID(), "not a url"), issuer.Options{}, credential.ErrDataModel},
		{"ErrMalformed", []byte(`[1]`), issuer.Options{}, credential.ErrMalformed},
		{"DuplicateID", unsigned(t, is.DID(), "urn:uuid:2"), issuer.Options{StatusPurpose: "revocation"}, credential.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, err := is.Issue(tc.doc, tc.opts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if err := statusOf(is, signed); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
	t.Run("SuspendAndReinstate", func(t *testing.T) {
		signed, err := is.Issue(unsigned(t, is.DID(), "urn:uuid:s"), issuer.Options{StatusPurpose: "suspension"})
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range []bool{true, false} {
			if err := is.SetStatus("urn:uuid:s", "suspension", set); err != nil {
				t.Fatal(err)
			}
			err := statusOf(is, signed)
			if set != errors.Is(err, credential.ErrRevoked) {
				t.Fatalf("suspended %v: got %v", set, err)
			}
		}
		if err := is.SetStatus("urn:uuid:nope", "suspension", true); !errors.Is(err, issuer.ErrUnknownCredential) {
			t.Errorf("unknown id: got %v, want ErrUnknownCredential", err)
		}
	})
}

// TestIssueHammer issues from many goroutines at once: every credential
// gets its own index, and a reopened issuer knows them all.
func TestIssueHammer(t *testing.T) {
	dir := t.TempDir()
	is := open(t, dir)
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := is.Issue(unsigned(t, is.DID(), fmt.Sprintf("urn:uuid:h%d", i)), issuer.Options{StatusPurpose: "revocation"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	again := open(t, dir)
	seen := map[int]bool{}
	for i := range n {
		index, ok := again.Index(fmt.Sprintf("urn:uuid:h%d", i), "revocation")
		if !ok || seen[index] || index >= n {
			t.Fatalf("credential %d: index %d (%v), want a unique index below %d", i, index, ok, n)
		}
		seen[index] = true
	}
	if fi, err := os.Stat(issuer.KeyFile(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: got %v, %v; want mode 0600", fi, err)
	}
}
