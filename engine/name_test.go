package engine_test

import (
	"context"
	"errors"
	"reflect"
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

// TestLeaderboardRows reads the boards, then a participant's new best takes
// their row: it shows the new submission's name and intervals, not the
// ones the earlier reads showed; what a read returns is the caller's own.
func TestLeaderboardRows(t *testing.T) {
	e, clk := contest(t, "", engine.Config{})
	alice := testKey(t, 1)
	submit := func(module []byte, name string) *engine.Submission {
		t.Helper()
		sub, err := e.Submit(context.Background(), engine.SubmitRequest{
			Task: "contest", Module: module, Name: name,
			Signed: signFor(t, alice, "contest", module, clk.Now()),
		})
		if err != nil || sub.Failed() {
			t.Fatalf("Submit: %+v, %v", sub, err)
		}
		return sub
	}
	check := func(want *engine.Submission) {
		t.Helper()
		for _, private := range []bool{false, true} {
			for range 2 { // the second read comes from what the first kept
				board, err := e.Leaderboard("contest", engine.Host, private)
				if err != nil {
					t.Fatal(err)
				}
				ci := want.Scores.PublicCI
				if private {
					ci = want.Scores.PrivateCI
				}
				if len(board) != 1 || board[0].Submission != want.ID || board[0].Name != want.Name || !reflect.DeepEqual(board[0].CI, ci) || ci == nil {
					t.Fatalf("private=%v: got %+v, want %s named %q with interval %+v", private, board, want.ID, want.Name, ci)
				}
				board[0].CI.Low = -1 // a caller's copy: the next read must not see it
			}
		}
	}
	draft := submit(konst, "Alice (draft)")
	check(draft)
	best := submit(linear, "Alice Liddell")
	if !(*best.Scores.Public < *draft.Scores.Public && *best.Scores.Private < *draft.Scores.Private) {
		t.Fatalf("the linear model (%v, %v) does not beat the constant one (%v, %v): pick other fixtures",
			*best.Scores.Public, *best.Scores.Private, *draft.Scores.Public, *draft.Scores.Private)
	}
	check(best)
}
