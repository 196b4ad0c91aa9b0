package market_test

import (
	"errors"
	"strings"
	"testing"

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
