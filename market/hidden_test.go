package market_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// TestSetPriceHiddenAuthor: a stranger refused the price of a model whose
// author hid its credential is not told who the author is.
func TestSetPriceHiddenAuthor(t *testing.T) {
	e, m, _, id := teamListed(t)
	if _, err := e.HideCredential("urn:uuid:"+id, nil); err != nil {
		t.Fatal(err)
	}
	err := m.SetPriceAs(id, 1, "did:key:z6MkStranger")
	if !errors.Is(err, engine.ErrForbidden) {
		t.Fatalf("got %v, want ErrForbidden", err)
	}
	if strings.Contains(err.Error(), `"ab"`) {
		t.Errorf("got %q, which names the hidden author \"ab\"", err)
	}
}

// TestSetPriceTeamNamedAfterAuthor: a participant may not found a team
// named after another's DID, and so pass for the author of that one's
// model (here: set its price).
func TestSetPriceTeamNamedAfterAuthor(t *testing.T) {
	const ada = "did:key:z6MkAda"
	e, m, clk := contest(t, "teams: {max_size: 3}\n", engine.Config{})
	mustSubmit(t, e, ada, linear)
	if _, err := e.JoinTeam("contest", ada, "did:key:z6MkCy"); !errors.Is(err, engine.ErrBadRequest) {
		t.Errorf("a team named %s: got %v, want ErrBadRequest", ada, err)
	}
	clk.Add(time.Hour)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		t.Fatal(err)
	}
	proms, err := e.Promote(context.Background(), "contest")
	if err != nil || len(proms) == 0 || proms[0].Credential == nil {
		t.Fatalf("Promote: %+v, %v", proms, err)
	}
	t.Cleanup(func() { m.Close() })
	id := strings.TrimPrefix(proms[0].Credential.ID, "urn:uuid:")
	if err := m.SetPriceAs(id, 1, "did:key:z6MkCy"); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("cy sets ada's price: got %v, want ErrForbidden", err)
	}
}

// TestPredictHiddenRevoked: a buyer refused a revoked model whose author
// hid its credential is not given the revocation's reason.
func TestPredictHiddenRevoked(t *testing.T) {
	e, m, _, id := teamListed(t)
	if _, err := e.HideCredential("urn:uuid:"+id, nil); err != nil {
		t.Fatal(err)
	}
	const reason = "team ab leaked the labels"
	if _, err := e.Revoke(id, reason); err != nil {
		t.Fatal(err)
	}
	_, err := m.PredictMetered(context.Background(), "did:key:z6MkBuyer", id, rowsCSV(2), "in.csv")
	if !errors.Is(err, engine.ErrBadRequest) {
		t.Fatalf("got %v, want ErrBadRequest", err)
	}
	if strings.Contains(err.Error(), reason) {
		t.Errorf("got %q, which gives the reason", err)
	}
	uses := map[string]error{
		"Predict": func() error {
			_, err := m.Predict(context.Background(), id, bytes.NewReader(rowsCSV(2)), "in.csv")
			return err
		}(),
		"Bundle":           func() error { _, _, err := m.Bundle(id); return err }(),
		"DisclosureBundle": func() error { _, _, err := m.DisclosureBundle(id); return err }(),
	}
	for name, err := range uses {
		if !errors.Is(err, engine.ErrBadRequest) || strings.Contains(err.Error(), reason) {
			t.Errorf("%s: got %v, want ErrBadRequest without the reason", name, err)
		}
	}
}
