package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

func testKey(t testing.TB, b byte) credential.KeyPair {
	t.Helper()
	k, err := credential.NewKeyPair(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func moduleSHA(module []byte) string {
	sum := sha256.Sum256(module)
	return hex.EncodeToString(sum[:])
}

func signFor(t testing.TB, k credential.KeyPair, task string, module []byte, at time.Time) []byte {
	t.Helper()
	s, err := credential.SignSubmission(k, task, moduleSHA(module), at)
	if err != nil {
		t.Fatal(err)
	}
	return s.Raw
}

func TestSignedSubmission(t *testing.T) {
	e, clk := contest(t, "require_signed: true\n", engine.Config{})
	alice, bob := testKey(t, 1), testKey(t, 2)
	now := clk.Now()
	m := func(n int) []byte { return variant(linear, 100+n) }
	forged := strings.Replace(string(signFor(t, alice, "contest", m(1), now)), now.Format(time.RFC3339), now.Add(time.Second).Format(time.RFC3339), 1)
	byBob := strings.Replace(string(signFor(t, bob, "contest", m(2), now)), bob.DID(), alice.DID(), 1)
	tests := []struct {
		name        string
		participant string
		module      []byte
		signed      []byte
		want        []error
	}{
		{"valid", "", m(0), signFor(t, alice, "contest", m(0), now.Add(-time.Minute)), nil},
		{"valid with the DID as participant", alice.DID(), m(9), signFor(t, alice, "contest", m(9), now), nil},
		{"ErrBadSignature/forged", "", m(1), []byte(forged), []error{engine.ErrSignature, credential.ErrBadSignature}},
		{"ErrBadSignature/another key than claimed", "", m(2), []byte(byBob), []error{engine.ErrSignature, credential.ErrBadSignature}},
		{"ErrWrongTask", "", m(3), signFor(t, alice, "other-task", m(3), now), []error{engine.ErrSignature, credential.ErrWrongTask}},
		{"ErrWrongModule", "", m(4), signFor(t, alice, "contest", m(5), now), []error{engine.ErrSignature, credential.ErrWrongModule}},
		{"ErrStaleSubmission/expired", "", m(6), signFor(t, alice, "contest", m(6), now.Add(-11*time.Minute)), []error{engine.ErrSignature, credential.ErrStaleSubmission}},
		{"ErrStaleSubmission/future", "", m(7), signFor(t, alice, "contest", m(7), now.Add(11*time.Minute)), []error{engine.ErrSignature, credential.ErrStaleSubmission}},
		{"ErrMalformed", "", m(8), []byte(`{"v":1}`), []error{engine.ErrSignature, credential.ErrMalformed}},
		{"ErrBadRequest/participant is not the signer", "ada", m(8), signFor(t, alice, "contest", m(8), now), []error{engine.ErrBadRequest}},
		{"ErrUnsigned", "ada", m(8), nil, []error{engine.ErrUnsigned}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := e.Submit(context.Background(), engine.SubmitRequest{
				Task: "contest", Participant: tc.participant, Module: tc.module, Signed: tc.signed,
			})
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("got %v, want %v", err, want)
				}
			}
			if tc.want != nil {
				if sub != nil {
					t.Errorf("got submission %s, want none", sub.ID)
				}
				return
			}
			if err != nil || sub.Failed() {
				t.Fatalf("got %+v, %v; want scored", sub, err)
			}
			if sub.Participant != alice.DID() {
				t.Errorf("participant: got %q, want %q", sub.Participant, alice.DID())
			}
			if sub.Signature == "" {
				t.Error("signature: got none recorded")
			}
		})
	}
	board, err := e.Leaderboard("contest", engine.Host, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(board) != 1 || board[0].Participant != alice.DID() || board[0].Submissions != 2 {
		t.Errorf("leaderboard: got %+v, want alice's did:key alone with 2 submissions", board)
	}
}

func TestSignedSubmissionReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	e, clk := contest(t, "require_signed: true\n", engine.Config{DataDir: dir})
	ctx := context.Background()
	alice := testKey(t, 1)
	signed := signFor(t, alice, "contest", linear, clk.Now())
	first, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Module: linear, Signed: signed})
	if err != nil || first.Failed() {
		t.Fatalf("first: got %+v, %v", first, err)
	}
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Module: linear, Signed: signed}); !errors.Is(err, engine.ErrReplayed) {
		t.Fatalf("replay: got %v, want %v", err, engine.ErrReplayed)
	}
	// A new signature of the same module is the same-module rule: the
	// earlier result, not charged.
	clk.Add(time.Second)
	again, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Module: linear, Signed: signFor(t, alice, "contest", linear, clk.Now())})
	if err != nil || !again.Duplicate || again.ID != first.ID {
		t.Fatalf("re-signed: got %+v, %v; want the earlier submission %s as a duplicate", again, err, first.ID)
	}
	// The used signature survives a restart.
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	if _, err := e2.Submit(ctx, engine.SubmitRequest{Task: "contest", Module: linear, Signed: signed}); !errors.Is(err, engine.ErrReplayed) {
		t.Fatalf("replay after a restart: got %v, want %v", err, engine.ErrReplayed)
	}
}

// TestSignedSubmissionReplayHammer replays one signed statement from many
// goroutines at once: exactly one is accepted.
func TestSignedSubmissionReplayHammer(t *testing.T) {
	e, clk := contest(t, "", engine.Config{})
	module := variant(linear, 7)
	signed := signFor(t, testKey(t, 3), "contest", module, clk.Now())
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
		replayed int
	)
	for range n {
		wg.Go(func() {
			_, err := e.Enqueue(context.Background(), engine.SubmitRequest{Task: "contest", Module: module, Signed: signed})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, engine.ErrReplayed):
				replayed++
			default:
				t.Errorf("got %v, want nil or %v", err, engine.ErrReplayed)
			}
		})
	}
	wg.Wait()
	if accepted != 1 || replayed != n-1 {
		t.Errorf("got %d accepted and %d replayed, want 1 and %d", accepted, replayed, n-1)
	}
}

func TestUnsignedAllowedByDefault(t *testing.T) {
	e, clk := contest(t, "", engine.Config{})
	if sub := mustSubmit(t, e, "ada", linear); sub.Signature != "" || sub.Participant != "ada" {
		t.Errorf("unsigned: got participant %q signature %q, want ada and none", sub.Participant, sub.Signature)
	}
	alice := testKey(t, 1)
	m := variant(linear, 1)
	sub, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "contest", Module: m, Signed: signFor(t, alice, "contest", m, clk.Now())})
	if err != nil || sub.Participant != alice.DID() {
		t.Errorf("signed where unsigned is allowed: got %+v, %v; want participant %s", sub, err, alice.DID())
	}
}

// TestSignedSubmissionReplayInTeam: a signature is refused again after its
// signer joined a team (the submission now counts for the team).
func TestSignedSubmissionReplayInTeam(t *testing.T) {
	e, clk := contest(t, "teams: {max_size: 2}\n", engine.Config{})
	ctx := context.Background()
	alice := testKey(t, 1)
	signed := signFor(t, alice, "contest", linear, clk.Now())
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Module: linear, Signed: signed}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.JoinTeam("contest", "ab", alice.DID(), "bob"); err != nil {
		t.Fatalf("JoinTeam: %v", err)
	}
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Module: linear, Signed: signed}); !errors.Is(err, engine.ErrReplayed) {
		t.Fatalf("replay in a team: got %v, want %v", err, engine.ErrReplayed)
	}
}
