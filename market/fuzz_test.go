package market_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// The golden credential and card (TestCredentialGolden, TestMarketCardGolden)
// are one promotion's: issued by the all-zeros host key to the linear
// fixture, valid from goldenIssued.
var goldenIssued = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func readTestdata(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzParseModelCard: a card that parses is complete, and signing what was
// parsed again (by another key) parses back to the same card.
func FuzzParseModelCard(f *testing.F) {
	card := readTestdata(f, "card.golden.json")
	f.Add(card)
	f.Add(bytes.Replace(card, []byte(`"license": "unspecified"`), []byte(`"license": "MIT"`), 1))
	f.Add([]byte(`{"type":"VerdictModelCard","version":1}`))
	f.Add([]byte(`[]`))
	k, err := credential.NewKeyPair(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		c, err := market.ParseCard(data)
		if err != nil {
			return
		}
		if c.ID == "" || c.Model == "" || len(c.Input.Features) == 0 || len(c.Output.Columns) == 0 || c.License == "" {
			t.Fatalf("parsed an incomplete card: %+v", c)
		}
		c.Issuer = k.DID()
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := credential.Sign(raw, k, credential.ProofOptions{})
		if err != nil {
			t.Fatal(err)
		}
		back, err := market.ParseCard(signed)
		if err != nil {
			t.Fatalf("re-signed card: %v\n%s", err, signed)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip: got %+v, want %+v", back, c)
		}
	})
}

// FuzzVerifyBundle: whatever the credential, card and status list, a
// bundle is either refused with a *BundleError or accepted with a card
// about that module and credential.
func FuzzVerifyBundle(f *testing.F) {
	cred := readTestdata(f, "credential.golden.json")
	card := readTestdata(f, "card.golden.json")
	host, err := credential.NewKeyPair(make([]byte, 32)) // the zeros{} host key
	if err != nil {
		f.Fatal(err)
	}
	l, err := credential.NewStatusList(0)
	if err != nil {
		f.Fatal(err)
	}
	list, err := credential.IssueStatusList("https://verdict.example/status/1", l, host, goldenIssued)
	if err != nil {
		f.Fatal(err)
	}
	module := sandboxtest.Wasm(sandboxtest.Linear)
	sum := sha256.Sum256(module)
	now := goldenIssued.Add(time.Hour)
	if _, _, err := market.VerifyBundle(context.Background(), &market.Bundle{Module: module, Credential: cred, Card: card, StatusList: list},
		market.IngestOptions{Issuer: host.DID()}, now); err != nil {
		f.Fatalf("golden bundle: %v", err)
	}
	f.Add(cred, card, list)
	f.Add(cred, card, []byte(nil))
	f.Add(card, cred, list)
	f.Add(bytes.Replace(cred, []byte(`"rank": 1`), []byte(`"rank": 2`), 1), card, list)
	f.Fuzz(func(t *testing.T, cred, card, list []byte) {
		if len(cred)+len(card)+len(list) > 256<<10 {
			return
		}
		if len(list) == 0 {
			list = nil
		}
		b := &market.Bundle{Module: module, Credential: cred, Card: card, StatusList: list}
		c, res, err := market.VerifyBundle(context.Background(), b, market.IngestOptions{}, now)
		if err != nil {
			var be *market.BundleError
			if !errors.As(err, &be) || !errors.Is(err, market.ErrBundle) {
				t.Fatalf("refusal is not a BundleError: %v", err)
			}
			return
		}
		if c.Model != "urn:sha256:"+hex.EncodeToString(sum[:]) || c.Credential != res.Credential.ID || c.Issuer != res.Issuer {
			t.Fatalf("accepted a card about something else: %+v", c)
		}
	})
}
