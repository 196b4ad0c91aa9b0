package engine_test

import (
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestBootstrapPerModule: two modules get independent bootstrap resamples,
// and the same module always the same ones. ada and bob submit the same
// model under two SHA-256s (same outputs, same scores): their intervals
// differ. cy submits ada's module: cy's intervals are ada's, to the bit.
func TestBootstrapPerModule(t *testing.T) {
	e, _ := contest(t, "", engine.Config{})
	ada := mustSubmit(t, e, "ada", variant(linear, 1))
	bob := mustSubmit(t, e, "bob", variant(linear, 2))
	cy := mustSubmit(t, e, "cy", variant(linear, 1))
	type part struct {
		name     string
		score    func(*engine.Submission) *float64
		interval func(*engine.Submission) *engine.Interval
	}
	for _, p := range []part{
		{"public", func(s *engine.Submission) *float64 { return s.Scores.Public }, func(s *engine.Submission) *engine.Interval { return s.Scores.PublicCI }},
		{"private", func(s *engine.Submission) *float64 { return s.Scores.Private }, func(s *engine.Submission) *engine.Interval { return s.Scores.PrivateCI }},
	} {
		t.Run(p.name, func(t *testing.T) {
			a, b, c := p.interval(ada), p.interval(bob), p.interval(cy)
			if a == nil || b == nil || c == nil {
				t.Fatalf("intervals: got %v, %v, %v; want three", a, b, c)
			}
			if *p.score(ada) != *p.score(bob) || *p.score(ada) != *p.score(cy) {
				t.Fatalf("scores: got %v, %v, %v; want one model's", *p.score(ada), *p.score(bob), *p.score(cy))
			}
			if *a == *b {
				t.Errorf("two modules: got the same interval %+v, want independent resamples", *a)
			}
			if *a != *c {
				t.Errorf("one module: got %+v and %+v, want the same interval", *a, *c)
			}
		})
	}
}
