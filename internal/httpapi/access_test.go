package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
)

// TestAccess checks the status and message of every refusal of the
// access rules, and the host's admission, revocation and invitation
// routes with a participant's signed redemption.
func TestAccess(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	ada, bob, cy := participantKey(t, "ada"), participantKey(t, "bob"), participantKey(t, "cy")
	v.createTask("guild", fmt.Sprintf("access: {mode: invite, participants: [%q]}\n", ada.DID()))
	v.createTask("hidden", fmt.Sprintf("access: {mode: invite, listed: false, participants: [%q]}\n", ada.DID()))
	v.createTask("public", "")
	host, anon, asAda, asBob, asCy := v.host(), v.anonymous(), v.as(ada), v.as(bob), v.as(cy)

	absent := anon.get("/v1/tasks/nope").json(t)
	notAdmitted := func(task, who string) string {
		return fmt.Sprintf("task %q is invite-only: %s is not admitted; ask the host for an invitation", task, who)
	}
	anonRefusal := `task "guild" is invite-only: only admitted participants see it; sign your requests with an admitted did:key, or ask the host for an invitation`
	for _, tc := range []struct {
		name    string
		c       *client
		method  string
		path    string
		body    any
		status  int
		kind    string
		message string
	}{
		{"AnonymousSeesListedTask", anon, "GET", "/v1/tasks/guild", nil, 200, "", ""},
		{"AnonymousLeaderboard", anon, "GET", "/v1/tasks/guild/leaderboard", nil, 403, "not_admitted", anonRefusal},
		{"OutsiderLeaderboard", asBob, "GET", "/v1/tasks/guild/leaderboard", nil, 403, "not_admitted", notAdmitted("guild", bob.DID())},
		{"OutsiderHistory", asBob, "GET", "/v1/tasks/guild/history", nil, 403, "not_admitted", notAdmitted("guild", bob.DID())},
		{"OutsiderTeams", asBob, "GET", "/v1/tasks/guild/teams", nil, 403, "not_admitted", notAdmitted("guild", bob.DID())},
		{"OutsiderAudit", asBob, "GET", "/v1/tasks/guild/audit", nil, 403, "not_admitted", notAdmitted("guild", bob.DID())},
		{"AdmittedLeaderboard", asAda, "GET", "/v1/tasks/guild/leaderboard", nil, 200, "", ""},
		{"AnonymousUnlisted", anon, "GET", "/v1/tasks/hidden", nil, 404, "not_found", strings.ReplaceAll(absent["error"].(map[string]any)["message"].(string), "nope", "hidden")},
		{"OutsiderUnlistedBoard", asBob, "GET", "/v1/tasks/hidden/leaderboard", nil, 404, "not_found", `task "hidden" not found`},
		{"AdmittedUnlisted", asAda, "GET", "/v1/tasks/hidden", nil, 200, "", ""},
		{"ParticipantAdmits", asAda, "POST", "/v1/tasks/guild/admissions", api.Admit{Participants: []string{bob.DID()}}, 403, "forbidden", "admit participants: only the host may"},
		{"AnonymousInvites", anon, "POST", "/v1/tasks/guild/invitations", api.Invite{Count: 1}, 401, "unauthorized", "make invitation codes: only the host may (Authorization: Bearer TOKEN)"},
		{"ParticipantListsAdmissions", asAda, "GET", "/v1/tasks/guild/admissions", nil, 403, "forbidden", "list a task's admissions: only the host may"},
		{"AdmitOnOpenTask", host, "POST", "/v1/tasks/public/admissions", api.Admit{Participants: []string{bob.DID()}}, 400, "bad_request", `admit on task "public": the task is open (access.mode: open), everyone is admitted`},
		{"AdmitNotDIDKey", host, "POST", "/v1/tasks/guild/admissions", api.Admit{Participants: []string{"bob"}}, 400, "bad_request", `participant "bob" is not a did:key (did:key:z6Mk…): only a participant's did:key can be admitted`},
		{"InviteBadExpiry", host, "POST", "/v1/tasks/guild/invitations", api.Invite{Count: 1, Expires: "soon"}, 400, "bad_request", `expires: "soon" is not a duration (e.g. 72h)`},
		{"InviteZero", host, "POST", "/v1/tasks/guild/invitations", api.Invite{Count: 0}, 400, "bad_request", `invite on task "guild": count 0 is not in [1, 1000]`},
		{"RedeemAnonymous", anon, "POST", "/v1/tasks/guild/invitations/redeem", api.Redeem{Code: "x"}, 401, "unauthorized", "redeem an invitation: sign the request with the did:key to admit (verdict task join --key FILE)"},
		{"RedeemUnknown", asBob, "POST", "/v1/tasks/guild/invitations/redeem", api.Redeem{Code: strings.Repeat("a", 32)}, 403, "invitation", `invitation code for task "guild": unknown (mistyped, or made for another task)`},
		{"OutsiderSelectionsUnlisted", asBob, "GET", "/v1/tasks/hidden/selections", nil, 404, "not_found", `task "hidden" not found`},
		{"OutsiderSelectUnlisted", asBob, "PUT", "/v1/tasks/hidden/selections", api.Select{Submissions: []string{}}, 404, "not_found", `task "hidden" not found`},
		{"OutsiderJoinsTeamUnlisted", asBob, "POST", "/v1/tasks/hidden/teams/red/members", api.Join{}, 404, "not_found", `task "hidden" not found`},
		{"OutsiderSelections", asBob, "GET", "/v1/tasks/guild/selections", nil, 403, "not_admitted", notAdmitted("guild", bob.DID())},
		{"RedeemUnknownUnlisted", asBob, "POST", "/v1/tasks/hidden/invitations/redeem", api.Redeem{Code: strings.Repeat("a", 32)}, 404, "not_found", `task "hidden" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.body != nil {
				r = tc.c.postJSON(tc.method, tc.path, tc.body)
			} else {
				r = tc.c.do(tc.method, tc.path, nil, "")
			}
			if r.status != tc.status {
				t.Fatalf("got %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.kind == "" {
				return
			}
			msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
			if r.kind() != tc.kind || msg != tc.message {
				t.Errorf("got %s %q, want %s %q", r.kind(), msg, tc.kind, tc.message)
			}
		})
	}

	t.Run("Listing", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			c    *client
			want string
		}{{"anonymous", anon, "guild public"}, {"outsider", asBob, "guild public"}, {"admitted", asAda, "guild hidden public"}, {"host", host, "guild hidden public"}} {
			var ts []api.Task
			if err := json.Unmarshal(tc.c.get("/v1/tasks").body, &ts); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, task := range ts {
				ids = append(ids, task.ID+map[bool]string{true: "", false: "?"}[task.Access.Mode != ""])
			}
			if got := strings.Join(ids, " "); got != tc.want {
				t.Errorf("%s lists %q, want %q", tc.name, got, tc.want)
			}
		}
		var task api.Task
		json.Unmarshal(anon.get("/v1/tasks/guild").body, &task)
		if task.Access != (api.Access{Mode: "invite", Listed: true}) {
			t.Errorf("guild's access: got %+v, want invite, listed", task.Access)
		}
	})

	t.Run("SubmitUnlisted", func(t *testing.T) {
		r := asBob.submit("hidden", module("bob"), "")
		msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
		if r.status != http.StatusNotFound || msg != `task "hidden" not found` {
			t.Fatalf("outsider's upload to an unlisted task: got %d %s %q, want 404 as if absent", r.status, r.kind(), msg)
		}
	})
	t.Run("SubmitRefused", func(t *testing.T) {
		r := asBob.submit("guild", module("bob"), "")
		msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
		if r.status != http.StatusForbidden || r.kind() != "not_admitted" || msg != notAdmitted("guild", bob.DID()) {
			t.Fatalf("outsider's upload: got %d %s %q", r.status, r.kind(), msg)
		}
		asAda.mustSubmit("guild", module("ada"))
	})

	t.Run("AdmitRevoke", func(t *testing.T) {
		r := host.postJSON("POST", "/v1/tasks/guild/admissions", api.Admit{Participants: []string{bob.DID()}, Reason: "late enrolment"})
		var got api.Admitted
		if json.Unmarshal(r.body, &got); r.status != 200 || len(got.Participants) != 1 || got.Participants[0] != bob.DID() {
			t.Fatalf("admit: got %d %s", r.status, r.body)
		}
		if r := asBob.get("/v1/tasks/guild/leaderboard"); r.status != 200 {
			t.Errorf("admitted bob's leaderboard: got %d %s", r.status, r.body)
		}
		var as []engine.Admission
		json.Unmarshal(host.get("/v1/tasks/guild/admissions").body, &as)
		if len(as) != 2 {
			t.Errorf("admissions: got %+v, want ada and bob", as)
		}
		r = host.postJSON("POST", "/v1/tasks/guild/admissions/revoke", api.Admit{Participants: []string{bob.DID()}})
		if json.Unmarshal(r.body, &got); r.status != 200 || len(got.Participants) != 1 {
			t.Fatalf("revoke: got %d %s", r.status, r.body)
		}
		if r := asBob.get("/v1/tasks/guild/leaderboard"); r.status != 403 {
			t.Errorf("revoked bob's leaderboard: got %d, want 403", r.status)
		}
	})

	t.Run("Invitation", func(t *testing.T) {
		r := host.postJSON("POST", "/v1/tasks/guild/invitations", api.Invite{Count: 2, Expires: "72h"})
		var invs api.Invitations
		if json.Unmarshal(r.body, &invs); r.status != 201 || len(invs.Invitations) != 2 || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("invite: got %d %v %s", r.status, r.header, r.body)
		}
		code := invs.Invitations[0].Code
		r = asCy.postJSON("POST", "/v1/tasks/guild/invitations/redeem", api.Redeem{Code: code})
		if r.status != 200 || !strings.Contains(string(r.body), cy.DID()) {
			t.Fatalf("redeem: got %d %s", r.status, r.body)
		}
		r = asBob.postJSON("POST", "/v1/tasks/guild/invitations/redeem", api.Redeem{Code: code})
		msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
		if want := `invitation code for task "guild": already redeemed by another participant; each code admits one`; r.status != 403 || msg != want {
			t.Errorf("second redemption: got %d %q, want 403 %q", r.status, msg, want)
		}
		asCy.mustSubmit("guild", module("cy"))
		var trail []engine.AuditEntry
		json.Unmarshal(host.get("/v1/tasks/guild/audit").body, &trail)
		var actions []string
		for _, a := range trail {
			actions = append(actions, a.Action)
		}
		if got, want := strings.Join(actions, " "), "admit revoke-access invite redeem"; got != want {
			t.Errorf("audit: got %q, want %q", got, want)
		}
	})
}

// TestAdmitByCredential admits a participant presenting a credential of a
// trusted issuer, and refuses one about someone else.
func TestAdmitByCredential(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	uni, ada, bob := participantKey(t, "university"), participantKey(t, "ada"), participantKey(t, "bob")
	v.createTask("campus", fmt.Sprintf("access:\n  mode: invite\n  credentials:\n    - type: StudentCredential\n      issuers: [%q]\n", uni.DID()))
	doc, _ := json.Marshal(map[string]any{
		"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiableCredential", "StudentCredential"},
		"issuer": uni.DID(), "credentialSubject": map[string]string{"id": ada.DID()},
	})
	vc, err := credential.Sign(doc, uni, credential.ProofOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := v.as(bob).do("POST", "/v1/tasks/campus/admissions/credential", vc, "application/json")
	msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
	if want := fmt.Sprintf(`admission by credential to task "campus": the credential's subject is not %s, who presents it`, bob.DID()); r.status != 403 || r.kind() != "credential_refused" || msg != want {
		t.Errorf("bob presents ada's credential: got %d %s %q, want 403 credential_refused %q", r.status, r.kind(), msg, want)
	}
	if r := v.as(ada).do("POST", "/v1/tasks/campus/admissions/credential", vc, "application/json"); r.status != 200 {
		t.Fatalf("ada presents hers: got %d %s", r.status, r.body)
	}
	if r := v.as(ada).get("/v1/tasks/campus/leaderboard"); r.status != 200 {
		t.Errorf("admitted ada's leaderboard: got %d %s", r.status, r.body)
	}
}
