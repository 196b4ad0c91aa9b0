package web

import (
	"errors"
	"net/url"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// FuzzMarketQuery feeds the marketplace search arbitrary query strings: it
// must never panic, and must either give a valid engine query or refuse
// with ErrBadRequest.
func FuzzMarketQuery(f *testing.F) {
	for _, seed := range []string{
		"", "q=house", "type=binary&metric=roc_auc&min=0.9", "features=a,%20b,,c&revoked=1",
		"min=abc", "min=NaN", "min=-Inf", "type=poetry", "metric=nope", "q=%00%ff", "task=x&task=y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 4096 {
			return
		}
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		_, q, err := marketQuery(v)
		if err != nil {
			if !errors.Is(err, engine.ErrBadRequest) {
				t.Fatalf("%q: got %v, want ErrBadRequest", raw, err)
			}
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("%q: accepted a query that does not validate: %v", raw, err)
		}
		if q.Limit != maxMarketRows {
			t.Fatalf("%q: got limit %d, want %d", raw, q.Limit, maxMarketRows)
		}
	})
}
