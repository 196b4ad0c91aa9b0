package engine_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// didOf returns the did:key of a key made from seed byte n.
func didOf(t testing.TB, n byte) string {
	t.Helper()
	k, err := credential.NewKeyPair(bytesOf(n, ed25519.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k.DID()
}

func bytesOf(n byte, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = n
	}
	return b
}

func TestAccessSpec(t *testing.T) {
	ada := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	base := "id: t-1\ntype: regression\nmetric: rmse\ndata: {test: x.csv}\n"
	tests := []struct {
		name, spec, wantErr string
	}{
		{"DefaultOpenListed", "", ""},
		{"InviteBlock", "access:\n  mode: invite\n  participants:\n    - " + ada + "\n", ""},
		{"Invite", "access: {mode: invite, listed: false, participants: [\"" + ada + "\"]}\n", ""},
		{"ErrMode", "access: {mode: secret}\n", `access.mode: "secret" is not one of open, invite`},
		{"ErrParticipantsOnOpen", "access: {participants: [\"" + ada + "\"]}\n", "access.participants: set, but access.mode is open"},
		{"ErrNotDIDKey", "access: {mode: invite, participants: [alice]}\n", `access.participants[0]: "alice" is not a did:key`},
		{"ErrBadDIDKey", "access: {mode: invite, participants: [\"did:key:z6Mkxx\"]}\n", "access.participants[0]"},
		{"ErrTwice", "access: {mode: invite, participants: [\"" + ada + "\", \"" + ada + "\"]}\n", "access.participants[1]: " + ada + " is listed twice"},
		{"ErrUnknownKey", "access: {mode: invite, listd: false}\n", "listd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := engine.ParseSpec([]byte(base + tc.spec))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseSpec: %v", err)
				}
				if tc.name == "DefaultOpenListed" && (s.Access.Invite() || !s.Access.IsListed() || s.Access.Mode != engine.AccessOpen) {
					t.Errorf("default access: got %+v, want open and listed", s.Access)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, engine.ErrInvalidSpec) {
				t.Fatalf("ParseSpec: got %v, want ErrInvalidSpec containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestAccessRules checks who may see and submit to open, invite-only and
// unlisted tasks.
func TestAccessRules(t *testing.T) {
	ada, bob := didOf(t, 1), didOf(t, 2)
	e, _ := contest(t, fmt.Sprintf("access: {mode: invite, participants: [%q]}\n", ada), engine.Config{})
	createContest(t, e, "hidden", fmt.Sprintf("access: {mode: invite, listed: false, participants: [%q]}\n", ada))
	createContest(t, e, "quiet", "access: {listed: false}\n")
	createContest(t, e, "public", "")
	anon, host, admitted, outsider := engine.Viewer{}, engine.Host, engine.Viewer{Participant: ada}, engine.Viewer{Participant: bob}

	tests := []struct {
		task string
		v    engine.Viewer
		// wantTask: TaskFor answers; wantBoard: the leaderboard's error
		// (nil, ErrNotFound or ErrNotAdmitted).
		wantTask  bool
		wantBoard error
	}{
		{"contest", anon, true, engine.ErrNotAdmitted},
		{"contest", outsider, true, engine.ErrNotAdmitted},
		{"contest", admitted, true, nil},
		{"contest", host, true, nil},
		{"hidden", anon, false, engine.ErrNotFound},
		{"hidden", outsider, false, engine.ErrNotFound},
		{"hidden", admitted, true, nil},
		{"hidden", host, true, nil},
		{"quiet", anon, false, engine.ErrNotFound},
		{"quiet", outsider, true, nil},
		{"public", anon, true, nil},
		{"public", outsider, true, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.task, viewerName(tc.v, ada)), func(t *testing.T) {
			_, err := e.TaskFor(tc.task, tc.v)
			if (err == nil) != tc.wantTask {
				t.Errorf("TaskFor: got %v, want found %v", err, tc.wantTask)
			}
			if !tc.wantTask && !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("TaskFor: got %v, want ErrNotFound (as if absent)", err)
			}
			if !tc.wantTask {
				_, absent := e.TaskFor("no-such-task", tc.v)
				if got, want := engine.Message(err), strings.ReplaceAll(engine.Message(absent), "no-such-task", tc.task); got != want {
					t.Errorf("hidden task's message: got %q, want the absent one %q", got, want)
				}
			}
			_, err = e.Leaderboard(tc.task, tc.v, false)
			if !errors.Is(err, tc.wantBoard) || (tc.wantBoard == nil) != (err == nil) {
				t.Errorf("Leaderboard: got %v, want %v", err, tc.wantBoard)
			}
			for name, f := range map[string]func() error{
				"History":     func() error { _, err := e.History(tc.task, tc.v); return err },
				"Submissions": func() error { _, err := e.Submissions(tc.task, tc.v, tc.v.Participant); return err },
				"AuditTrail":  func() error { _, err := e.AuditTrail(tc.task, tc.v); return err },
			} {
				if err := f(); !errors.Is(err, tc.wantBoard) || (tc.wantBoard == nil) != (err == nil) {
					t.Errorf("%s: got %v, want %v", name, err, tc.wantBoard)
				}
			}
		})
	}

	t.Run("TasksFor", func(t *testing.T) {
		for _, tc := range []struct {
			v    engine.Viewer
			want string
		}{
			{anon, "contest public"},
			{outsider, "contest public quiet"},
			{admitted, "contest hidden public quiet"},
			{host, "contest hidden public quiet"},
		} {
			ts, err := e.TasksFor(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, t := range ts {
				ids = append(ids, t.Spec.ID)
			}
			if got := strings.Join(ids, " "); got != tc.want {
				t.Errorf("TasksFor(%s): got %q, want %q", viewerName(tc.v, ada), got, tc.want)
			}
		}
	})

	t.Run("SubmitRefusal", func(t *testing.T) {
		_, err := submit(t, e, bob, linear)
		want := fmt.Sprintf(`task "contest" is invite-only: %s is not admitted; ask the host for an invitation`, bob)
		if !errors.Is(err, engine.ErrNotAdmitted) || !errors.Is(err, engine.ErrForbidden) || engine.Message(err) != want {
			t.Fatalf("Submit by outsider: got %v, want %q", err, want)
		}
		if _, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "hidden", Participant: bob, Module: linear}); !errors.Is(err, engine.ErrNotFound) || engine.Message(err) != `task "hidden" not found` {
			t.Errorf("Submit by outsider to an unlisted task: got %v, want not found as if absent", err)
		}
		mustSubmit(t, e, ada, linear)
		if _, err := e.Submit(context.Background(), engine.SubmitRequest{Task: "contest", Participant: "host", Module: konst, Baseline: true}); err != nil {
			t.Errorf("host's baseline: %v", err)
		}
	})
}

func viewerName(v engine.Viewer, admitted string) string {
	switch {
	case v.Host:
		return "host"
	case v.Participant == "":
		return "anonymous"
	case v.Participant == admitted:
		return "admitted"
	}
	return "outsider"
}

func TestAdmitRevoke(t *testing.T) {
	ada, bob := didOf(t, 1), didOf(t, 2)
	e, _ := contest(t, "access: {mode: invite}\nteams: {max_size: 3}\n", engine.Config{})
	createContest(t, e, "public", "")
	ctx := engine.WithActor(context.Background(), engine.Actor{Who: "alice@host", Why: "course roster"})

	if _, err := submit(t, e, ada, linear); !errors.Is(err, engine.ErrNotAdmitted) {
		t.Fatalf("Submit before admission: got %v, want ErrNotAdmitted", err)
	}
	added, err := e.Admit(ctx, "contest", ada, bob, ada)
	if err != nil || len(added) != 2 {
		t.Fatalf("Admit: got %v, %v, want 2 admitted", added, err)
	}
	if added, err := e.Admit(ctx, "contest", ada); err != nil || len(added) != 0 {
		t.Fatalf("Admit again: got %v, %v, want none new", added, err)
	}
	mustSubmit(t, e, ada, linear)
	if _, err := e.JoinTeam("contest", "duo", ada, "carol"); !errors.Is(err, engine.ErrNotAdmitted) || !strings.Contains(engine.Message(err), `team "duo" may only contain admitted participants`) {
		t.Errorf("JoinTeam with a participant not admitted: got %v", err)
	}
	if _, err := e.JoinTeam("contest", "duo", ada, bob); err != nil {
		t.Errorf("JoinTeam of admitted participants: %v", err)
	}
	removed, err := e.RevokeAccess(ctx, "contest", bob, didOf(t, 3))
	if err != nil || len(removed) != 1 || removed[0] != bob {
		t.Fatalf("RevokeAccess: got %v, %v, want [%s]", removed, err, bob)
	}
	if _, err := submit(t, e, bob, cmodel); !errors.Is(err, engine.ErrNotAdmitted) {
		t.Errorf("Submit after revocation: got %v, want ErrNotAdmitted", err)
	}
	as, err := e.Admissions("contest")
	if err != nil || len(as) != 1 || as[0].Participant != ada || as[0].By != "host" {
		t.Errorf("Admissions: got %+v, %v, want ada by host", as, err)
	}

	for _, tc := range []struct {
		name    string
		call    func() error
		want    error
		message string
	}{
		{"ErrOpenTask", func() error { _, err := e.Admit(ctx, "public", ada); return err }, engine.ErrBadRequest, "the task is open"},
		{"ErrNotDIDKey", func() error { _, err := e.Admit(ctx, "contest", "bob"); return err }, engine.ErrBadRequest, "not a did:key"},
		{"ErrNoParticipant", func() error { _, err := e.Admit(ctx, "contest"); return err }, engine.ErrBadRequest, "no participant given"},
		{"ErrNoTask", func() error { _, err := e.RevokeAccess(ctx, "absent", ada); return err }, engine.ErrNotFound, `task "absent" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) || !strings.Contains(engine.Message(err), tc.message) {
				t.Errorf("got %v, want %v with %q", err, tc.want, tc.message)
			}
		})
	}

	trail, err := e.AuditTrail("contest", engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range trail {
		actions = append(actions, a.Action+" by "+a.Actor)
	}
	if got, want := strings.Join(actions, ", "), "admit by alice@host, admit by alice@host, revoke-access by alice@host"; got != want {
		t.Errorf("audit trail: got %q, want %q", got, want)
	}
	if trail[0].Reason != "course roster" || !strings.Contains(string(trail[0].Detail), ada) {
		t.Errorf("audit entry: got %+v, want the reason and the DIDs", trail[0])
	}
	public, err := e.AuditTrail("contest", engine.Viewer{Participant: ada})
	if err != nil || strings.Contains(fmt.Sprint(public), bob) {
		t.Errorf("participant's audit trail: got %+v, %v, want no DIDs", public, err)
	}
}

// TestInvitations runs every rule of invitation codes on the injected
// clock.
func TestInvitations(t *testing.T) {
	ada, bob := didOf(t, 1), didOf(t, 2)
	e, clk := contest(t, "access: {mode: invite}\n", engine.Config{})
	ctx := context.Background()
	invs, err := e.Invite(ctx, "contest", 3, time.Hour)
	if err != nil || len(invs) != 3 {
		t.Fatalf("Invite: got %v, %v", invs, err)
	}
	seen := map[string]bool{}
	for _, in := range invs {
		if len(in.Code) != 32 || seen[in.Code] || !in.Expires.Equal(clk.Now().Add(time.Hour)) {
			t.Errorf("invitation: got %+v, want a new 32-digit code expiring in an hour", in)
		}
		seen[in.Code] = true
	}
	for _, tc := range []struct {
		name       string
		code, who  string
		advance    time.Duration
		want       error
		message    string
		nowVisible bool
	}{
		{"Redeem", invs[0].Code, ada, 0, nil, "", true},
		{"RedeemOwnAgain", invs[0].Code, ada, 0, nil, "", true},
		{"ErrRedeemedByAnother", invs[0].Code, bob, 0, engine.ErrInvitation, "already redeemed by another participant", false},
		{"ErrUnknown", strings.Repeat("0", 32), bob, 0, engine.ErrInvitation, "unknown (mistyped, or made for another task)", false},
		{"ErrMalformed", "nope", bob, 0, engine.ErrInvitation, "not a code verdict made", false},
		{"ErrNotDIDKey", invs[1].Code, "bob", 0, engine.ErrBadRequest, "not a did:key", false},
		{"JustBeforeExpiry", invs[1].Code, bob, time.Hour - time.Nanosecond, nil, "", true},
		{"ErrExpired", invs[2].Code, didOf(t, 3), time.Nanosecond, engine.ErrInvitation, "expired at 2026-03-01T10:00:00Z; ask the host for a new one", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.Add(tc.advance)
			err := e.Redeem(ctx, "contest", tc.code, tc.who)
			if (tc.want == nil) != (err == nil) || !errors.Is(err, tc.want) || !strings.Contains(engine.Message(err), tc.message) {
				t.Fatalf("Redeem: got %v, want %v with %q", err, tc.want, tc.message)
			}
			if tc.want != nil && tc.name != "ErrRedeemedByAnother" && tc.name != "ErrNotDIDKey" {
				return
			}
			_, err = e.Leaderboard("contest", engine.Viewer{Participant: tc.who}, false)
			if (err == nil) != (tc.nowVisible || tc.who == ada) {
				t.Errorf("Leaderboard for %s after: got %v", tc.who, err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		n    int
		ttl  time.Duration
	}{{"ErrZero", 0, 0}, {"ErrTooMany", engine.MaxInvitations + 1, 0}, {"ErrNegativeExpiry", 1, -time.Second}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.Invite(ctx, "contest", tc.n, tc.ttl); !errors.Is(err, engine.ErrBadRequest) {
				t.Errorf("Invite(%d, %s): got %v, want ErrBadRequest", tc.n, tc.ttl, err)
			}
		})
	}
	trail, err := e.AuditTrail("contest", engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range trail {
		actions = append(actions, a.Action)
	}
	if got, want := strings.Join(actions, " "), "invite redeem redeem"; got != want {
		t.Errorf("audit actions: got %q, want %q", got, want)
	}
	if trail[1].Actor != ada {
		t.Errorf("redeem's actor: got %q, want the participant %s", trail[1].Actor, ada)
	}
}

// TestRedeemRace redeems one code from eight participants at once on a
// real store: exactly one is admitted.
func TestRedeemRace(t *testing.T) {
	e, _ := contest(t, "access: {mode: invite}\n", engine.Config{})
	ctx := context.Background()
	invs, err := e.Invite(ctx, "contest", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	dids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		dids[i] = didOf(t, byte(10+i))
		wg.Go(func() {
			<-start
			errs[i] = e.Redeem(ctx, "contest", invs[0].Code, dids[i])
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, engine.ErrInvitation):
			t.Errorf("Redeem %d: got %v, want nil or ErrInvitation", i, err)
		}
	}
	as, err := e.Admissions("contest")
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(as) != 1 {
		t.Fatalf("got %d redemptions and %d admissions, want exactly 1 of each", won, len(as))
	}
}

// vc signs a credential of types from issuer about subject, valid from
// from until until (zero: no bound).
func vc(t *testing.T, issuer credential.KeyPair, types []string, subject string, from, until time.Time) []byte {
	t.Helper()
	doc := map[string]any{
		"@context":          []string{"https://www.w3.org/ns/credentials/v2"},
		"id":                "urn:uuid:5b8f7c3e-0d52-4f4a-9a55-0b7f3f0c2d11",
		"type":              types,
		"issuer":            issuer.DID(),
		"credentialSubject": map[string]string{"id": subject},
	}
	if !from.IsZero() {
		doc["validFrom"] = from.Format(time.RFC3339)
	}
	if !until.IsZero() {
		doc["validUntil"] = until.Format(time.RFC3339)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := credential.Sign(b, issuer, credential.ProofOptions{Created: from})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestAdmitByCredential runs every rule of admission by credential on the
// injected clock.
func TestAdmitByCredential(t *testing.T) {
	uni, _ := credential.NewKeyPair(bytesOf(40, ed25519.SeedSize))
	rogue, _ := credential.NewKeyPair(bytesOf(41, ed25519.SeedSize))
	ada, bob := didOf(t, 1), didOf(t, 2)
	e, clk := contest(t, fmt.Sprintf("access:\n  mode: invite\n  credentials:\n    - type: StudentCredential\n      issuers: [%q]\n", uni.DID()), engine.Config{})
	now := clk.Now()
	student := []string{"VerifiableCredential", "StudentCredential"}
	good := vc(t, uni, student, ada, now.Add(-time.Hour), now.Add(time.Hour))
	tampered := []byte(strings.Replace(string(good), ada, bob, 1))
	for _, tc := range []struct {
		name    string
		who     string
		doc     []byte
		advance time.Duration
		want    error
		message string
	}{
		{"ErrUntrustedIssuer", ada, vc(t, rogue, student, ada, time.Time{}, time.Time{}), 0, engine.ErrCredentialRefused, "no rule of the task accepts a credential of type [VerifiableCredential StudentCredential] from issuer " + rogue.DID()},
		{"ErrWrongType", ada, vc(t, uni, []string{"VerifiableCredential", "EmployeeCredential"}, ada, time.Time{}, time.Time{}), 0, engine.ErrCredentialRefused, "no rule of the task accepts"},
		{"ErrOtherSubject", bob, good, 0, engine.ErrCredentialRefused, "the credential's subject is not " + bob + ", who presents it"},
		{"ErrTampered", bob, tampered, 0, engine.ErrCredentialRefused, "the credential does not verify"},
		{"ErrNotYetValid", ada, vc(t, uni, student, ada, now.Add(time.Hour), time.Time{}), 0, engine.ErrCredentialRefused, "is not valid before"},
		{"ErrMalformed", ada, []byte("{"), 0, engine.ErrCredentialRefused, "does not verify"},
		{"Admitted", ada, good, 0, nil, ""},
		{"ErrExpired", ada, good, 2 * time.Hour, engine.ErrCredentialRefused, "the credential expired at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.Add(tc.advance)
			err := e.AdmitByCredential(context.Background(), "contest", tc.who, tc.doc)
			if (tc.want == nil) != (err == nil) || !errors.Is(err, tc.want) || !strings.Contains(engine.Message(err), tc.message) {
				t.Fatalf("AdmitByCredential: got %v, want %v with %q", err, tc.want, tc.message)
			}
		})
	}
	as, err := e.Admissions("contest")
	if err != nil || len(as) != 1 || as[0].Participant != ada || as[0].By != "credential" {
		t.Fatalf("Admissions: got %+v, %v, want ada by credential", as, err)
	}
	mustSubmit(t, e, ada, linear)
	trail, _ := e.AuditTrail("contest", engine.Host)
	if len(trail) != 1 || trail[0].Action != engine.AuditCredentialAdmit || !strings.Contains(string(trail[0].Detail), uni.DID()) {
		t.Errorf("audit: got %+v, want one admit-by-credential naming the issuer", trail)
	}
	t.Run("ErrSpec", func(t *testing.T) {
		base := "id: t-1\ntype: regression\nmetric: rmse\ndata: {test: x.csv}\n"
		for spec, want := range map[string]string{
			"access: {credentials: [{type: X, issuers: [\"" + ada + "\"]}]}\n":      "access.credentials: set, but access.mode is open",
			"access: {mode: invite, credentials: [{issuers: [\"" + ada + "\"]}]}\n": "access.credentials[0].type: missing",
			"access: {mode: invite, credentials: [{type: X}]}\n":                    "access.credentials[0].issuers: missing",
			"access: {mode: invite, credentials: [{type: X, issuers: [uni]}]}\n":    "access.credentials[0].issuers[0]: \"uni\" is not a did:key",
		} {
			if _, err := engine.ParseSpec([]byte(base + spec)); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseSpec(%q): got %v, want %q", spec, err, want)
			}
		}
	})
}

// TestAdmitByVerdictCertification admits the author of a model another
// verdict host certified: the subject of a CertifiedModelCredential is
// the model, its author the did:key.
func TestAdmitByVerdictCertification(t *testing.T) {
	host, _ := credential.NewKeyPair(bytesOf(42, ed25519.SeedSize))
	ada, bob := didOf(t, 1), didOf(t, 2)
	e, clk := contest(t, fmt.Sprintf("access:\n  mode: invite\n  credentials:\n    - type: %s\n      issuers: [%q]\n", credential.ModelCredentialType, host.DID()), engine.Config{})
	signed, err := credential.IssueModel(credential.ModelSubject{
		Model: [32]byte{1}, Author: ada,
		Task:   credential.Task{ID: "earlier", Title: "An earlier task", Type: "regression", Metric: "rmse", DatasetHash: "sha256:00"},
		Scores: credential.Scores{Public: credential.Score{Value: 0.5, CI: [2]float64{0.4, 0.6}, Level: 0.95}},
		Rank:   1, RankedParticipants: 3, EngineVersion: "test",
	}, host, nil, clk.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AdmitByCredential(context.Background(), "contest", bob, signed); !errors.Is(err, engine.ErrCredentialRefused) {
		t.Errorf("bob presents ada's certification: got %v, want ErrCredentialRefused", err)
	}
	if err := e.AdmitByCredential(context.Background(), "contest", ada, signed); err != nil {
		t.Fatalf("ada presents her certification: %v", err)
	}
	mustSubmit(t, e, ada, linear)
}
