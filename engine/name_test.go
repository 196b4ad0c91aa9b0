package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// TestDisplayName checks that a display name travels with a signed
// submission to the leaderboard beside the signer's did:key, and that a
// name that could not be shown is refused.
func TestDisplayName(t *testing.T) {
	e, clk := contest(t, "", engine.Config{})
	alice := testKey(t, 1)
	m := func(n int) []byte { return variant(linear, 200+n) }
	tests := []struct {
		name   string
		give   string
		module []byte
		want   error
	}{
		{"signed with a name", "Alice Liddell", m(0), nil},
		{"ErrBadRequest/too long", strings.Repeat("a", engine.MaxNameLength+1), m(1), engine.ErrBadRequest},
		{"ErrBadRequest/control character", "alice\n", m(2), engine.ErrBadRequest},
		{"ErrBadRequest/leading space", " alice", m(3), engine.ErrBadRequest},
		{"ErrBadRequest/not UTF-8", "al\xffice", m(4), engine.ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := e.Submit(context.Background(), engine.SubmitRequest{
				Task: "contest", Module: tc.module, Name: tc.give,
				Signed: signFor(t, alice, "contest", tc.module, clk.Now()),
			})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sub.Participant != alice.DID() || sub.Name != tc.give {
				t.Errorf("got participant %q name %q, want %q %q", sub.Participant, sub.Name, alice.DID(), tc.give)
			}
			got, err := e.Submission(sub.ID, engine.Host)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.give {
				t.Errorf("stored name: got %q, want %q", got.Name, tc.give)
			}
		})
	}
	board, err := e.Leaderboard("contest", engine.Viewer{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(board) != 1 || board[0].Participant != alice.DID() || board[0].Name != "Alice Liddell" {
		t.Fatalf("got leaderboard %+v, want alice's DID named Alice Liddell", board)
	}
}
