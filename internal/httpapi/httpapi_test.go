package httpapi_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestRoles walks the API as the host, two participants (alice, bob) and a
// visitor, on one task, from creation to promotion and revocation, and
// checks every role boundary is refused with the right status and kind.
func TestRoles(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{UploadRate: 1000, UploadBurst: 1000, IPUploadRate: 1000, IPUploadBurst: 1000})
	host, anon := v.host(), v.anonymous()
	aliceKey, bobKey := participantKey(t, "alice"), participantKey(t, "bob")
	alice, bob := v.as(aliceKey), v.as(bobKey)
	badToken := v.host()
	badToken.token = "vdt_not-a-token"

	type call struct {
		name   string
		c      *client
		method string
		path   string
		body   any
		status int
		kind   string
	}
	check := func(t *testing.T, calls []call) {
		t.Helper()
		for _, tc := range calls {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				if tc.body == nil {
					r = tc.c.do(tc.method, tc.path, nil, "")
				} else {
					r = tc.c.postJSON(tc.method, tc.path, tc.body)
				}
				if r.status != tc.status || (tc.kind != "" && r.kind() != tc.kind) {
					t.Errorf("%s %s: got %d %q, want %d %q: %s", tc.method, tc.path, r.status, r.kind(), tc.status, tc.kind, r.body)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
			})
		}
	}

	t.Run("CreateTask", func(t *testing.T) {
		f := taskForm(t, contestSpec("contest", "teams: {max_size: 2}\n"))
		for _, tc := range []struct {
			name   string
			c      *client
			status int
			kind   string
		}{
			{"Anonymous", anon, 401, "unauthorized"},
			{"BadToken", badToken, 401, "unauthorized"},
			{"Participant", alice, 403, "forbidden"},
			{"Host", host, 201, ""},
			{"Exists", host, 409, "exists"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.c.upload("POST", "/v1/tasks", f)
				if r.status != tc.status || r.kind() != tc.kind {
					t.Errorf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
				}
				// The spec's one-byte seed is guessable: the host is told.
				if tc.name == "Host" && !strings.Contains(string(r.body), `"split.seed is 1 bytes, shorter than 16`) {
					t.Errorf("got %s, want the host warned of the short split seed", r.body)
				}
			})
		}
		t.Run("DataPathEscapes", func(t *testing.T) {
			spec := strings.Replace(contestSpec("escape", ""), "test: contest.csv", "test: ../contest.csv", 1)
			if r := host.upload("POST", "/v1/tasks", taskForm(t, spec)); r.status != 400 || r.kind() != "bad_request" {
				t.Errorf("got %d %q, want 400 bad_request: %s", r.status, r.kind(), r.body)
			}
		})
		t.Run("InvalidSpec", func(t *testing.T) {
			if r := host.upload("POST", "/v1/tasks", taskForm(t, contestSpec("bad", "metric: nope\n"))); r.status != 400 {
				t.Errorf("got %d, want 400: %s", r.status, r.body)
			}
		})
		t.Run("NotMultipart", func(t *testing.T) {
			if r := host.do("POST", "/v1/tasks", []byte("id: x"), "application/yaml"); r.status != 400 {
				t.Errorf("got %d, want 400: %s", r.status, r.body)
			}
		})
	})

	t.Run("ReadTasks", func(t *testing.T) {
		list := anon.get("/v1/tasks").json(t)["list"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != "contest" {
			t.Fatalf("got %v", list)
		}
		for _, key := range []string{"spec", "warnings"} {
			if _, leaks := list[0].(map[string]any)[key]; leaks {
				t.Errorf("the task list leaks the host's %s (split seed, data path, warnings)", key)
			}
		}
		m := anon.get("/v1/tasks/contest").json(t)
		if len(m["features"].([]any)) != 2 || m["state"].(map[string]any)["open"] != true {
			t.Errorf("got %v", m)
		}
		if r := anon.get("/v1/tasks/nope"); r.status != 404 || r.kind() != "not_found" {
			t.Errorf("unknown task: got %d %q", r.status, r.kind())
		}
		if r := anon.get("/v2/anything"); r.status != 404 || r.kind() != "not_found" {
			t.Errorf("unknown path: got %d %q", r.status, r.kind())
		}
		if r := anon.do("DELETE", "/v1/tasks/contest", nil, ""); r.status != 405 || r.kind() != "method_not_allowed" || r.header.Get("Allow") != "GET" {
			t.Errorf("wrong method: got %d %q, Allow %q", r.status, r.kind(), r.header.Get("Allow"))
		}
	})

	var aliceSub, bobSub string
	t.Run("Upload", func(t *testing.T) {
		r := alice.submit("contest", module("a1"), "?license=MIT")
		if r.status != 202 {
			t.Fatalf("raw upload: got %d: %s", r.status, r.body)
		}
		m := r.json(t)
		aliceSub = m["id"].(string)
		if m["participant"] != aliceKey.DID() || r.header.Get("Location") != "/v1/submissions/"+aliceSub {
			t.Errorf("got %v, Location %q; want alice's DID", m, r.header.Get("Location"))
		}
		f := multipartForm(t, map[string][]byte{"module": module("b1")})
		r = bob.do("POST", "/v1/tasks/contest/submissions?name=Bob", f.body, f.ct)
		if r.status != 202 {
			t.Fatalf("multipart upload: got %d: %s", r.status, r.body)
		}
		bobSub = r.json(t)["id"].(string)
		// RFC 9530 lets a client send several digests: sha-256 is checked
		// (as the body streams), the others are ignored.
		twoDigests := withDigest(t, alice.request("POST", "/v1/tasks/contest/submissions", module("a5"), "application/wasm"), aliceKey,
			sha512Digest(module("a5"))+", "+credential.ContentDigest(module("a5")))
		if r := alice.send(twoDigests); r.status != 202 {
			t.Errorf("upload with sha-512 and sha-256 digests: got %d: %s", r.status, r.body)
		}
		r = host.submit("contest", module("base"), "?participant=host-baseline&baseline=true")
		if r.status != 202 {
			t.Fatalf("host baseline: got %d: %s", r.status, r.body)
		}
		// The leaderboard subtest counts the baseline too: wait for it.
		waitScored(t, v.e, []string{aliceSub, bobSub, r.json(t)["id"].(string)})
	})
	t.Run("UploadRefused", func(t *testing.T) {
		tampered := alice.request("POST", "/v1/tasks/contest/submissions", module("a2"), "application/wasm")
		tampered.Header.Set("Signature-Input", strings.Replace(tampered.Header.Get("Signature-Input"), aliceKey.DID(), bobKey.DID(), 1))
		replayed := alice.request("POST", "/v1/tasks/contest/submissions", module("a3"), "application/wasm")
		replayedHeader := replayed.Header.Clone()
		if r := alice.send(replayed); r.status != 202 {
			t.Fatalf("first use of a signed request: got %d: %s", r.status, r.body)
		}
		stale := alice.request("POST", "/v1/tasks/contest/submissions", module("a4"), "application/wasm")
		if err := credential.SignRequest(stale, module("a4"), aliceKey, time.Now().Add(-time.Hour), "stale-1"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			r      func() response
			status int
			kind   string
		}{
			{"Anonymous", func() response { return anon.submit("contest", module("x"), "") }, 401, "unauthorized"},
			{"BadToken", func() response { return badToken.submit("contest", module("x"), "") }, 401, "unauthorized"},
			{"AsSomeoneElse", func() response { return alice.submit("contest", module("x"), "?participant="+bobKey.DID()) }, 403, "forbidden"},
			{"ParticipantBaseline", func() response { return alice.submit("contest", module("x"), "?baseline=true") }, 403, "forbidden"},
			{"TamperedKeyid", func() response { return alice.send(tampered) }, 401, "unauthorized"},
			{"Replayed", func() response {
				rq := alice.request("POST", "/v1/tasks/contest/submissions", module("a3"), "application/wasm")
				rq.Header = replayedHeader
				return alice.send(rq)
			}, 401, "replayed"},
			{"Stale", func() response { return alice.send(stale) }, 401, "unauthorized"},
			{"BodyNotDigest", func() response {
				rq := alice.request("POST", "/v1/tasks/contest/submissions", module("a6"), "application/wasm")
				other := module("a7") // as long as a6
				rq.Body, rq.ContentLength = io.NopCloser(bytes.NewReader(other)), int64(len(other))
				return alice.send(rq)
			}, 401, "unauthorized"},
			{"DigestSHA512OnlyMatches", func() response {
				rq := alice.request("POST", "/v1/tasks/contest/submissions", module("a8"), "application/wasm")
				return alice.send(withDigest(t, rq, aliceKey, sha512Digest(module("a8"))+", "+credential.ContentDigest(module("a9"))))
			}, 401, "unauthorized"},
			{"DigestNoSHA256", func() response {
				rq := alice.request("POST", "/v1/tasks/contest/submissions", module("a8"), "application/wasm")
				return alice.send(withDigest(t, rq, aliceKey, sha512Digest(module("a8"))))
			}, 401, "unauthorized"},
			{"WrongContentType", func() response { return alice.do("POST", "/v1/tasks/contest/submissions", module("x"), "text/plain") }, 415, "unsupported_media_type"},
			{"NoTask", func() response { return alice.submit("nope", module("x"), "") }, 404, "not_found"},
			{"EmptyModule", func() response { return alice.submit("contest", nil, "") }, 400, "bad_request"},
			{"HostWithoutParticipant", func() response { return host.submit("contest", module("x"), "") }, 400, "bad_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.r()
				if r.status != tc.status || r.kind() != tc.kind {
					t.Errorf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
				}
			})
		}
	})

	t.Run("Events", func(t *testing.T) {
		id := alice.mustSubmit("contest", module("a5"))
		resp, err := http.DefaultClient.Do(alice.request("GET", "/v1/submissions/"+id+"/events", nil, ""))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("got %d %q", resp.StatusCode, ct)
		}
		evs := sseEvents(t, resp.Body)
		if len(evs) < 2 || evs[len(evs)-1] != [2]string{"end", `{"reason":"scored"}`} {
			t.Fatalf("got %v, want status events then end scored", evs)
		}
		var last engine.Submission
		if err := json.Unmarshal([]byte(evs[len(evs)-2][1]), &last); err != nil || last.Status != "scored" || last.ID != id {
			t.Errorf("last status: %+v (%v)", last, err)
		}
		if r := bob.get("/v1/submissions/" + id + "/events"); r.status != 404 {
			t.Errorf("bob following alice's submission: got %d, want 404", r.status)
		}
	})

	t.Run("ReadSubmissions", func(t *testing.T) {
		m := alice.get("/v1/submissions/" + aliceSub).json(t)
		if m["status"] != "scored" || m["scores"].(map[string]any)["public"] == nil {
			t.Errorf("alice's own submission: %v", m)
		}
		if p := m["scores"].(map[string]any)["private"]; p != nil {
			t.Errorf("alice sees her private score %v before close", p)
		}
		if m := host.get("/v1/submissions/" + aliceSub).json(t); m["scores"].(map[string]any)["private"] == nil {
			t.Errorf("the host does not see the private score: %v", m)
		}
		list := alice.get("/v1/tasks/contest/submissions").json(t)["list"].([]any)
		for _, s := range list {
			if s.(map[string]any)["participant"] != aliceKey.DID() {
				t.Errorf("alice's list has %v", s)
			}
		}
		if all := host.get("/v1/tasks/contest/submissions").json(t)["list"].([]any); len(all) <= len(list) {
			t.Errorf("host sees %d submissions, alice %d", len(all), len(list))
		}
		check(t, []call{
			{"OthersPrivateScore", bob, "GET", "/v1/submissions/" + aliceSub, nil, 404, "not_found"},
			{"AnonymousSubmission", anon, "GET", "/v1/submissions/" + aliceSub, nil, 404, "not_found"},
			{"AnonymousList", anon, "GET", "/v1/tasks/contest/submissions", nil, 401, "unauthorized"},
			{"ListOthers", bob, "GET", "/v1/tasks/contest/submissions?participant=" + aliceKey.DID(), nil, 403, "forbidden"},
		})
	})

	t.Run("Leaderboard", func(t *testing.T) {
		m := anon.get("/v1/tasks/contest/leaderboard").json(t)
		entries := m["entries"].([]any)
		if len(entries) != 3 { // alice, bob and the baseline
			t.Errorf("got %d entries, want 3: %v", len(entries), entries)
		}
		names := map[any]any{}
		for _, e := range entries {
			names[e.(map[string]any)["participant"]] = e.(map[string]any)["name"]
		}
		if names[bobKey.DID()] != "Bob" {
			t.Errorf("bob's display name: got %v", names)
		}
		if r := host.get("/v1/tasks/contest/leaderboard?private=true"); r.status != 200 {
			t.Errorf("host private board: %d %s", r.status, r.body)
		}
		if evs := anon.get("/v1/tasks/contest/history").json(t)["list"].([]any); len(evs) == 0 {
			t.Error("no history")
		}
		check(t, []call{
			{"PrivateAnonymous", anon, "GET", "/v1/tasks/contest/leaderboard?private=true", nil, 403, "forbidden"},
			{"PrivateParticipant", alice, "GET", "/v1/tasks/contest/leaderboard?private=1", nil, 403, "forbidden"},
			{"BadQuery", anon, "GET", "/v1/tasks/contest/leaderboard?private=maybe", nil, 400, "bad_request"},
		})
	})

	t.Run("Selections", func(t *testing.T) {
		r := alice.postJSON("PUT", "/v1/tasks/contest/selections", map[string]any{"submissions": []string{aliceSub}})
		if r.status != 200 {
			t.Fatalf("select: %d %s", r.status, r.body)
		}
		m := alice.get("/v1/tasks/contest/selections").json(t)
		if got := m["submissions"].([]any); len(got) != 1 || got[0] != aliceSub {
			t.Errorf("got %v", m)
		}
		if m := host.get("/v1/tasks/contest/selections?participant=" + aliceKey.DID()).json(t); len(m["submissions"].([]any)) != 1 {
			t.Errorf("host reading alice's selections: %v", m)
		}
		check(t, []call{
			{"SelectOthers", bob, "PUT", "/v1/tasks/contest/selections", map[string]any{"submissions": []string{aliceSub}}, 400, "bad_request"},
			{"SelectAsOther", bob, "PUT", "/v1/tasks/contest/selections?participant=" + aliceKey.DID(), map[string]any{"submissions": []string{}}, 403, "forbidden"},
			{"ReadOthers", bob, "GET", "/v1/tasks/contest/selections?participant=" + aliceKey.DID(), nil, 403, "forbidden"},
			{"Anonymous", anon, "GET", "/v1/tasks/contest/selections", nil, 401, "unauthorized"},
			{"HostWithoutParticipant", host, "GET", "/v1/tasks/contest/selections", nil, 400, "bad_request"},
			{"UnknownField", alice, "PUT", "/v1/tasks/contest/selections", map[string]any{"ids": []string{}}, 400, "bad_request"},
		})
	})

	t.Run("Teams", func(t *testing.T) {
		if r := alice.postJSON("POST", "/v1/tasks/contest/teams/red/members", map[string]any{}); r.status != 200 {
			t.Fatalf("alice joins red: %d %s", r.status, r.body)
		}
		if r := host.postJSON("POST", "/v1/tasks/contest/teams/blue/members", map[string]any{"participants": []string{"carol"}}); r.status != 200 {
			t.Fatalf("host adds carol to blue: %d %s", r.status, r.body)
		}
		check(t, []call{
			{"AddOther", bob, "POST", "/v1/tasks/contest/teams/red/members", map[string]any{"participants": []string{"carol"}}, 403, "forbidden"},
			{"Anonymous", anon, "POST", "/v1/tasks/contest/teams/red/members", map[string]any{}, 401, "unauthorized"},
			{"MergeParticipant", alice, "POST", "/v1/tasks/contest/teams/red/merge", map[string]any{"into": "blue"}, 403, "forbidden"},
			{"MergeHost", host, "POST", "/v1/tasks/contest/teams/blue/merge", map[string]any{"into": "red"}, 200, ""},
		})
		ts := anon.get("/v1/tasks/contest/teams").json(t)["list"].([]any)
		if len(ts) != 1 || len(ts[0].(map[string]any)["members"].([]any)) != 2 {
			t.Errorf("got teams %v, want red with alice and carol", ts)
		}
	})

	t.Run("Close", func(t *testing.T) {
		check(t, []call{
			{"Anonymous", anon, "POST", "/v1/tasks/contest/close", nil, 401, "unauthorized"},
			{"BadToken", badToken, "POST", "/v1/tasks/contest/close", nil, 401, "unauthorized"},
			{"Participant", alice, "POST", "/v1/tasks/contest/close", nil, 403, "forbidden"},
			{"RescoreParticipant", alice, "POST", "/v1/tasks/contest/rescore", map[string]any{}, 403, "forbidden"},
			{"VerifyAnonymous", anon, "POST", "/v1/tasks/contest/verify", nil, 401, "unauthorized"},
			{"AuditAnonymous", anon, "GET", "/v1/tasks/contest/audit", nil, 200, ""},
			// Phases (phase_test.go tests them on a phased task).
			{"PhasesAnonymous", anon, "GET", "/v1/tasks/contest/phases", nil, 200, ""},
			{"AdvanceParticipant", alice, "POST", "/v1/tasks/contest/phases/advance", map[string]any{}, 403, "forbidden"},
			{"AdvanceUnphased", host, "POST", "/v1/tasks/contest/phases/advance", map[string]any{}, 400, "bad_request"},
			{"StatusListBeforeClose", anon, "GET", "/status/1", nil, 404, "not_found"},
			// Access (access_test.go tests them on an invite-only task).
			{"AdmissionsParticipant", alice, "GET", "/v1/tasks/contest/admissions", nil, 403, "forbidden"},
			{"AdmitAnonymous", anon, "POST", "/v1/tasks/contest/admissions", map[string]any{"participants": []string{aliceKey.DID()}}, 401, "unauthorized"},
			{"RevokeAccessParticipant", alice, "POST", "/v1/tasks/contest/admissions/revoke", map[string]any{"participants": []string{aliceKey.DID()}}, 403, "forbidden"},
			{"InviteOpenTask", host, "POST", "/v1/tasks/contest/invitations", map[string]any{"count": 1}, 400, "bad_request"},
			{"RedeemAnonymous", anon, "POST", "/v1/tasks/contest/invitations/redeem", map[string]string{"code": "x"}, 401, "unauthorized"},
			{"CredentialAnonymous", anon, "POST", "/v1/tasks/contest/admissions/credential", map[string]string{}, 401, "unauthorized"},
		})
		// Closing certifies, as verdict task close does: the answer
		// carries the promotions and their credentials are issued.
		r := host.do("POST", "/v1/tasks/contest/close", nil, "")
		if r.status != 200 {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		m := r.json(t)
		proms, _ := m["promotions"].([]any)
		if m["closed"] == nil || len(proms) == 0 {
			t.Fatalf("close: got %s, want the state and the promotions", r.body)
		}
		var issued []string
		for _, p := range proms {
			if c, ok := p.(map[string]any)["credential"].(map[string]any); ok {
				issued = append(issued, c["id"].(string))
			}
		}
		creds := anon.get("/v1/credentials?task=contest").json(t)["list"].([]any)
		if len(issued) == 0 || len(creds) != len(issued) {
			t.Errorf("close issued %v; the task lists %d credentials: want the same, at least one", issued, len(creds))
		}
		check(t, []call{
			{"Again", host, "POST", "/v1/tasks/contest/close", nil, 409, "closed"},
		})
		if r := bob.submit("contest", module("late"), ""); r.status != 409 || r.kind() != "closed" {
			t.Errorf("upload after close: got %d %q", r.status, r.kind())
		}
		if r := anon.get("/v1/tasks/contest/leaderboard?private=true"); r.status != 200 {
			t.Errorf("private board after close: %d %s", r.status, r.body)
		}
		if m := alice.get("/v1/submissions/" + aliceSub).json(t); m["scores"].(map[string]any)["private"] == nil {
			t.Errorf("alice does not see her private score after close: %v", m)
		}
	})

	t.Run("Credentials", func(t *testing.T) {
		check(t, []call{
			{"PromoteParticipant", alice, "POST", "/v1/tasks/contest/promote", nil, 403, "forbidden"},
		})
		r := host.do("POST", "/v1/tasks/contest/promote", nil, "")
		if r.status != 200 {
			t.Fatalf("promote: %d %s", r.status, r.body)
		}
		creds := anon.get("/v1/credentials?task=contest").json(t)["list"].([]any)
		if len(creds) == 0 {
			t.Fatalf("no credentials after promotion: %s", r.body)
		}
		id := creds[0].(map[string]any)["id"].(string)
		c := anon.get("/v1/credentials/" + id).json(t)
		signed, _ := json.Marshal(c["credential"])
		verify := func() map[string]any {
			return anon.do("POST", "/v1/credentials/verify", signed, "application/json").json(t)
		}
		if m := verify(); m["verified"] != true || m["status_checked"] != true {
			t.Errorf("verify: %v", m)
		}
		// The VC-API verifies it too (any credential, against this
		// server's status list).
		vcVerify := func() response {
			return anon.postJSON("POST", "/credentials/verify", map[string]any{"verifiableCredential": json.RawMessage(signed)})
		}
		if r := vcVerify(); r.status != 200 {
			t.Errorf("VC-API verify: %d %s", r.status, r.body)
		}
		// VC 2.0's registered media type for a credential secured by an
		// embedded proof is application/vc (not application/vc+ld+json).
		if r := anon.get("/status/1"); r.status != 200 || !strings.Contains(string(r.body), "BitstringStatusListCredential") || r.header.Get("Content-Type") != "application/vc" {
			t.Errorf("status list: %d, Content-Type %q, want application/vc: %.200s", r.status, r.header.Get("Content-Type"), r.body)
		}
		if r := anon.get("/credentials/v1"); r.status != 200 || !bytes.Equal(r.body, credential.ContextDocument()) || !strings.Contains(string(r.body), credential.ModelCredentialType) {
			t.Errorf("JSON-LD context: %d %.200s", r.status, r.body)
		}
		t.Run("Market", func(t *testing.T) { testMarket(t, v, alice) })
		derived := testDerive(t, v, id, alice, bob, host, anon)
		t.Run("Ledger", func(t *testing.T) { testLedgerRoles(t, v, alice) })
		check(t, []call{
			{"HideAnonymous", anon, "POST", "/v1/credentials/" + id + "/hide", map[string]any{}, 401, "unauthorized"}, // the rest: TestHideCredential
			{"RevokeAnonymous", anon, "POST", "/v1/credentials/" + id + "/revoke", map[string]string{"reason": "x"}, 401, "unauthorized"},
			{"RevokeParticipant", alice, "POST", "/v1/credentials/" + id + "/revoke", map[string]string{"reason": "x"}, 403, "forbidden"},
			{"RevokeHost", host, "POST", "/v1/credentials/" + id + "/revoke", map[string]string{"reason": "leak"}, 200, ""},
			{"NoCredential", anon, "GET", "/v1/credentials/urn:uuid:00000000-0000-0000-0000-000000000000", nil, 404, "not_found"},
			{"OtherStatusList", anon, "GET", "/status/2", nil, 404, "not_found"},
		})
		if m := verify(); m["verified"] != false || m["error"].(map[string]any)["kind"] != "revoked" {
			t.Errorf("verify a revoked credential: %v", m)
		}
		checkDerivedRevoked(t, v, host, derived)
		if m := host.get("/v1/host").json(t); m["did"] != v.e.HostDID() {
			t.Errorf("host: %v", m)
		}
		if r := vcVerify(); r.status != 422 || !strings.Contains(string(r.body), `"title": "revoked"`) {
			t.Errorf("VC-API verify a revoked credential: %d %s", r.status, r.body)
		}
		// The VC-API issuer is off unless configured.
		check(t, []call{
			{"VCAPIIssueOff", host, "POST", "/credentials/issue", map[string]any{"credential": map[string]any{}}, 404, "issuer_off"},
			{"VCAPIIssueAnonymous", anon, "POST", "/credentials/issue", map[string]any{"credential": map[string]any{}}, 401, "unauthorized"},
			{"VCAPIStatusOff", host, "POST", "/credentials/status", map[string]any{"credentialId": id}, 404, "issuer_off"},
			{"VCAPIStatusParticipant", alice, "POST", "/credentials/status", map[string]any{"credentialId": id}, 403, "forbidden"},
			{"VCAPIStatusListOff", anon, "GET", "/issuer/status/revocation", nil, 404, "issuer_off"},
		})
	})

	t.Run("Trust", func(t *testing.T) {
		lab := participantKey(t, "lab").DID()
		add := market.TrustRequest{Issuer: market.TrustedIssuer{DID: lab, Name: "Lab"}, Reason: "roles"}
		check(t, []call{
			{"AnonymousReadsRegistry", anon, "GET", "/v1/market/trust", nil, 200, ""},
			{"AnonymousReadsSignedRegistry", anon, "GET", "/v1/market/issuers", nil, 200, ""},
			{"AnonymousTrusts", anon, "POST", "/v1/market/trust", add, 401, "unauthorized"},
			{"BadTokenTrusts", badToken, "POST", "/v1/market/trust", add, 401, "unauthorized"},
			{"ParticipantTrusts", alice, "POST", "/v1/market/trust", add, 403, "forbidden"},
			{"HostTrusts", host, "POST", "/v1/market/trust", add, 200, ""},
			{"ParticipantReadsLog", alice, "GET", "/v1/market/trust/log", nil, 403, "forbidden"},
			{"HostReadsLog", host, "GET", "/v1/market/trust/log", nil, 200, ""},
			{"ParticipantUntrusts", alice, "DELETE", "/v1/market/trust/" + lab, nil, 403, "forbidden"},
			{"HostUntrusts", host, "DELETE", "/v1/market/trust/" + lab, nil, 200, ""},
			{"HostUntrustsAgain", host, "DELETE", "/v1/market/trust/" + lab, nil, 404, "not_found"},
		})
	})

	t.Run("MCP", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			c      *client
			method string
			status int
		}{
			{"AnonymousLists", anon, "POST", 200},
			{"ParticipantLists", alice, "POST", 200},
			{"BadToken", badToken, "POST", 401},
			{"NoStream", anon, "GET", 405},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body []byte
				if tc.method == "POST" {
					body = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
				}
				req := tc.c.request(tc.method, "/mcp", body, "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				if r := tc.c.send(req); r.status != tc.status {
					t.Errorf("%s /mcp: got %d, want %d: %s", tc.method, r.status, tc.status, r.body)
				}
			})
		}
	})

	// Every route was exercised above (the metrics count each by pattern).
	anon.get("/healthz")
	anon.get("/openapi.json")
	anon.get("/metrics")
	metrics := string(anon.get("/metrics").body)
	for _, rt := range httpapi.Routes(v.api) {
		if !strings.Contains(metrics, `verdict_http_requests_total{route="`+rt+`"`) {
			t.Errorf("TestRoles never called %s", rt)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestSignedStatement uploads to a task with require_signed: the statement
// rides in a header (raw body) or a part (multipart), and must be signed by
// the same key as the request.
func TestSignedStatement(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.createTask("signed", "require_signed: true\n")
	aliceKey, bobKey := participantKey(t, "alice"), participantKey(t, "bob")
	alice := v.as(aliceKey)
	statement := func(k credential.KeyPair, mod []byte) []byte {
		s, err := credential.SignSubmission(k, "signed", sha256Hex(mod), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s.Raw
	}
	t.Run("Header", func(t *testing.T) {
		mod := module("h")
		req := alice.request("POST", "/v1/tasks/signed/submissions", mod, "application/wasm")
		req.Header.Set(httpapi.StatementHeader, string(statement(aliceKey, mod)))
		if r := alice.send(req); r.status != 202 {
			t.Errorf("got %d: %s", r.status, r.body)
		}
	})
	t.Run("Part", func(t *testing.T) {
		mod := module("p")
		f := multipartForm(t, map[string][]byte{"module": mod, "statement": statement(aliceKey, mod)})
		if r := alice.upload("POST", "/v1/tasks/signed/submissions", f); r.status != 202 {
			t.Errorf("got %d: %s", r.status, r.body)
		}
	})
	t.Run("Unsigned", func(t *testing.T) {
		if r := alice.submit("signed", module("u"), ""); r.status != 400 || r.kind() != "signature" {
			t.Errorf("got %d %q: %s", r.status, r.kind(), r.body)
		}
	})
	t.Run("OthersStatement", func(t *testing.T) {
		mod := module("o")
		req := alice.request("POST", "/v1/tasks/signed/submissions", mod, "application/wasm")
		req.Header.Set(httpapi.StatementHeader, string(statement(bobKey, mod)))
		if r := alice.send(req); r.status != 400 || r.kind() != "bad_request" {
			t.Errorf("got %d %q: %s", r.status, r.kind(), r.body)
		}
	})
}

// TestLimits checks the upload size limit, the rate limits and the
// per-participant quota. Every signed upload counts against its signer's
// and its address's buckets, the refused ones too (alice's first four).
func TestLimits(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{UploadRate: 0.001, UploadBurst: 4, IPUploadRate: 0.001, IPUploadBurst: 4})
	v.createTask("small", "limits: {max_module_mb: 0.01, daily_limit: 1}\n")
	alice, bob := v.as(participantKey(t, "alice")), v.as(participantKey(t, "bob"))
	big := module(strings.Repeat("x", 100<<10))
	for _, tc := range []struct {
		name   string
		c      *client
		mod    []byte
		status int
		kind   string
	}{
		{"TooLarge", alice, big, 413, "too_large"},
		{"TooLargeWithinSlack", alice, module(strings.Repeat("y", 20<<10)), 413, "too_large"},
		{"First", alice, module("1"), 202, ""},
		{"DailyLimit", alice, module("2"), 429, "quota"},
		{"ParticipantRate", alice, module("3"), 429, "rate_limited"},
		{"IPRate", bob, module("4"), 429, "rate_limited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.submit("small", tc.mod, "")
			if r.status != tc.status || r.kind() != tc.kind {
				t.Errorf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
			}
			if tc.kind == "rate_limited" && r.header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
}

// TestMetrics reads /metrics after a scored and a failed evaluation.
func TestMetrics(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.createTask("met", "")
	alice := v.as(participantKey(t, "alice"))
	ids := []string{alice.mustSubmit("met", module("ok"))}
	waitScored(t, v.e, ids)
	// The store says "scored" a moment before the worker reports the
	// evaluation to its observers: wait for the counter, then read the rest.
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		body = string(v.anonymous().get("/metrics").body)
		if strings.Contains(body, `verdict_evaluations_total{outcome="scored"} 1`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, want := range []string{
		"# TYPE verdict_queue_depth gauge\nverdict_queue_depth 0\n",
		`verdict_evaluations_total{outcome="scored"} 1`,
		`verdict_evaluation_duration_seconds_count 1`,
		`verdict_evaluation_duration_seconds_bucket{le="+Inf"} 1`,
		`verdict_http_requests_total{route="POST /v1/tasks/{id}/submissions",code="202"} 1`,
		`verdict_http_request_duration_seconds_count{route="POST /v1/tasks"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if m := v.anonymous().get("/healthz").json(t); m["status"] != "ok" {
		t.Errorf("healthz: %v", m)
	}
}

// TestOpenAPIMatchesRoutes checks every route is in openapi.json and every
// operation of openapi.json is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := v.anonymous().get("/openapi.json")
	if err := json.Unmarshal(r.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v, version %q", err, doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range httpapi.Routes(v.api) {
		// OpenAPI has no multi-segment parameter: {path...} is documented as {path}.
		rt = strings.ReplaceAll(rt, "...}", "}")
		served[rt] = true
		if !documented[rt] {
			t.Errorf("route %s is not in openapi.json", rt)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("openapi.json documents %s, which is not a route", op)
		}
	}
	// Every $ref points into the document.
	var whole map[string]any
	if err := json.Unmarshal(r.body, &whole); err != nil {
		t.Fatal(err)
	}
	for _, ref := range regexp.MustCompile(`"\$ref": *"#/([^"]+)"`).FindAllStringSubmatch(string(r.body), -1) {
		var at any = whole
		for _, part := range strings.Split(ref[1], "/") {
			m, _ := at.(map[string]any)
			at = m[part]
		}
		if at == nil {
			t.Errorf("$ref #/%s resolves to nothing", ref[1])
		}
	}
}

// testMarket reads the marketplace of v's promoted task, downloads a
// bundle and ingests it into another server.
func testMarket(t *testing.T, v *env, participant *client) {
	anon := v.anonymous()
	list := anon.get("/v1/market?task=contest&task_type=regression").json(t)["list"].([]any)
	if len(list) == 0 {
		t.Fatal("no marketplace entries after promotion")
	}
	id := list[0].(map[string]any)["id"].(string)
	licenses := map[any]bool{}
	for _, e := range list {
		licenses[e.(map[string]any)["card"].(map[string]any)["license"]] = true
	}
	if !licenses["MIT"] {
		t.Errorf("no entry has the license given at upload: %v", licenses)
	}
	if none := anon.get("/v1/market?task_type=binary").json(t)["list"].([]any); len(none) != 0 {
		t.Errorf("binary filter: got %d entries, want 0", len(none))
	}
	if r := anon.get("/v1/market?min_score=x"); r.status != 400 || r.kind() != "bad_request" {
		t.Errorf("bad min_score: got %d %q", r.status, r.kind())
	}
	if m := anon.get("/v1/market/" + id).json(t); m["credential"] == nil || m["signed_card"] == nil {
		t.Errorf("entry without its signed documents: %v", m)
	}
	r := anon.get("/v1/market/" + id + "/bundle")
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("bundle: %d %s", r.status, r.header.Get("Content-Type"))
	}
	bundle := r.body
	b, err := market.ReadBundleTar(bytes.NewReader(bundle))
	if err != nil || b.Module == nil || b.StatusList == nil {
		t.Fatalf("ReadBundleTar: %v", err)
	}
	other := newEnv(t, engine.Config{}, httpapi.Config{})
	// The other server does not trust v's host: it ingests v's bundle only
	// when told to list it as untrusted.
	ingest := func(c *client, body []byte, allow string) response {
		q := "/v1/market?issuer=" + v.e.HostDID()
		if allow != "" {
			q += "&allow_untrusted=" + allow
		}
		return c.do("POST", q, body, "application/x-tar")
	}
	// The same bundle with another module: its hash is not the credential's.
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for name, data := range map[string][]byte{market.BundleModule: module("other"), market.BundleCredential: b.Credential, market.BundleCard: b.Card} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	tampered := tb.Bytes()
	for _, tc := range []struct {
		name   string
		c      *client
		body   []byte
		allow  string
		status int
		kind   string
		says   string // in the body
	}{
		{"Anonymous", other.anonymous(), bundle, "true", 401, "unauthorized", ""},
		{"Participant", other.as(participantKey(t, "alice")), bundle, "true", 403, "forbidden", ""},
		{"NotATar", other.host(), []byte("nope"), "true", 400, "bad_request", ""},
		{"Tampered", other.host(), tampered, "true", 400, "bundle", ""},
		{"UntrustedIssuer", other.host(), bundle, "", 400, "bundle", "verdict market trust add " + v.e.HostDID()},
		{"AllowNotABoolean", other.host(), bundle, "maybe", 400, "bad_request", "allow_untrusted"},
		{"Host", other.host(), bundle, "true", 201, "", `"trusted":false`},
		{"Again", other.host(), bundle, "true", 409, "exists", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ingest(tc.c, tc.body, tc.allow)
			if r.status != tc.status || r.kind() != tc.kind {
				t.Errorf("ingest: got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
			}
			if !strings.Contains(strings.ReplaceAll(string(r.body), " ", ""), strings.ReplaceAll(tc.says, " ", "")) {
				t.Errorf("ingest: got %s, want it to say %q", r.body, tc.says)
			}
		})
	}
	if got := other.anonymous().get("/v1/market").json(t)["list"].([]any); len(got) != 1 || got[0].(map[string]any)["origin"] != "ingested" || got[0].(map[string]any)["trusted"] != false {
		t.Errorf("the other marketplace: %v, want one ingested entry, not trusted", got)
	}
	if r := ingest(participant, bundle, "true"); r.status != 403 {
		t.Errorf("participant ingest on the issuing server: got %d, want 403", r.status)
	}
	if r := ingest(v.host(), bundle, ""); r.status != 409 || r.kind() != "exists" {
		t.Errorf("ingest a promoted model into its own server: got %d %q, want 409 exists", r.status, r.kind())
	}
}

// TestPages checks paths outside the API go to Config.Pages, each request
// with the viewer the API would see.
func TestPages(t *testing.T) {
	var v *env
	var seen engine.Viewer
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("a bug in a page")
		}
		seen = v.api.Viewer(r)
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("page " + r.URL.Path))
	})
	v = newEnv(t, engine.Config{}, httpapi.Config{Pages: pages})
	alice := participantKey(t, "alice")
	badToken := v.host()
	badToken.token = "vdt_nope"
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		status int
		body   string
		viewer engine.Viewer
	}{
		{"Anonymous", v.anonymous(), "/tasks/x", 200, "page /tasks/x", engine.Viewer{}},
		{"Host", v.host(), "/", 200, "page /", engine.Host},
		{"BadToken", badToken, "/", 200, "page /", engine.Viewer{}},
		{"Participant", v.as(alice), "/market", 200, "page /market", engine.Viewer{Participant: alice.DID()}},
		{"APIStaysJSON", v.anonymous(), "/v1/nope", 404, `"not_found"`, engine.Viewer{}},
		{"Panic", v.anonymous(), "/boom", 500, `"internal"`, engine.Viewer{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = engine.Viewer{}
			r := tc.c.get(tc.path)
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if r.status != tc.status || !strings.Contains(string(r.body), tc.body) || seen != tc.viewer {
				t.Errorf("got %d %q as %+v, want %d %q as %+v", r.status, r.body, seen, tc.status, tc.body, tc.viewer)
			}
		})
	}
}

// TestEventsRows follows a running submission (a module that loops in its
// first batch) and checks its status event carries the rows to do.
func TestEventsRows(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.createTask("loop", "limits: {timeout_s: 600}\n")
	task, err := v.e.Task("loop")
	if err != nil {
		t.Fatal(err)
	}
	alice := v.as(participantKey(t, "alice"))
	id := alice.mustSubmit("loop", sandboxtest.Wasm(sandboxtest.LoopPredict))
	for { // until its model runs
		if _, _, ok := v.e.Progress(id); ok {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp, err := http.DefaultClient.Do(alice.request("GET", "/v1/submissions/"+id+"/events", nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	v.api.CloseStreams() // the first event is out: Do returned after its flush
	evs := sseEvents(t, resp.Body)
	if len(evs) == 0 || evs[0][0] != "status" {
		t.Fatalf("got %v, want a status event first", evs)
	}
	var ev api.StatusEvent
	if err := json.Unmarshal([]byte(evs[0][1]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != id || ev.Status != "running" || ev.RowsDone != 0 || ev.RowsTotal != task.Rows {
		t.Errorf("status event %s: got %s %s, %d of %d rows, want %s running, 0 of %d rows",
			evs[0][1], ev.ID, ev.Status, ev.RowsDone, ev.RowsTotal, id, task.Rows)
	}
}

// TestEventsEndAtShutdown follows a submission that never finishes (a
// module that loops) and checks CloseStreams ends the stream with an "end"
// event, so that http.Server.Shutdown need not wait for it.
func TestEventsEndAtShutdown(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.createTask("loop", "limits: {timeout_s: 600}\n")
	alice := v.as(participantKey(t, "alice"))
	id := alice.mustSubmit("loop", sandboxtest.Wasm(sandboxtest.LoopPredict))
	resp, err := http.DefaultClient.Do(alice.request("GET", "/v1/submissions/"+id+"/events", nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Wait until it runs, then shut the streams.
	for {
		if s, _ := v.e.Submission(id, engine.Host); s.Status == "running" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	v.api.CloseStreams()
	evs := sseEvents(t, resp.Body)
	if len(evs) == 0 || evs[len(evs)-1][0] != "end" || !strings.Contains(evs[len(evs)-1][1], "shutting down") {
		t.Errorf("got %v, want status events then end (shutting down)", evs)
	}
	if r := alice.get("/v1/submissions/" + id + "/events"); !strings.Contains(string(r.body), "shutting down") {
		t.Errorf("a stream opened after CloseStreams: %s", r.body)
	}
}

// TestTokens checks host tokens are stored hashed in a 0600 file, that a
// token made while the server runs works at once, and that a token file
// others may read is not trusted.
func TestTokens(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	path := filepath.Join(v.data, httpapi.TokenFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	second, err := httpapi.NewToken(v.data, "second")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), v.token) || strings.Contains(string(b), second) {
		t.Error("the token file holds a token in the clear")
	}
	if has, err := httpapi.HasTokens(v.data); !has || err != nil {
		t.Errorf("HasTokens: %v, %v", has, err)
	}
	closeAs := func(token string) int {
		c := v.host()
		c.token = token
		return c.do("POST", "/v1/tasks/nope/close", nil, "").status
	}
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"First", v.token, 404},
		{"MadeWhileRunning", second, 404},
		{"Truncated", v.token[:len(v.token)-1], 401},
		{"NotAToken", "hunter2", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := closeAs(tc.token); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
	t.Run("FileReadableByOthers", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := closeAs(v.token); got != 401 {
			t.Errorf("got %d, want 401", got)
		}
		if _, err := httpapi.NewToken(v.data, "third"); err == nil {
			t.Error("NewToken appended to a file others may read")
		}
	})
	if _, err := httpapi.NewToken(v.data, "two words"); err == nil {
		t.Error("a token name with a space")
	}
	t.Run("Revoke", func(t *testing.T) {
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		list, err := httpapi.ListTokens(v.data)
		if err != nil || len(list) != 2 || list[0].Name != "test" || list[1].Name != "second" || list[1].Created.IsZero() {
			t.Fatalf("ListTokens: %+v, %v", list, err)
		}
		if n, err := httpapi.RevokeTokens(v.data, "second"); n != 1 || err != nil {
			t.Fatalf("RevokeTokens: %d, %v", n, err)
		}
		if got := closeAs(second); got != 401 {
			t.Errorf("a revoked token: got %d, want 401", got)
		}
		if got := closeAs(v.token); got != 404 {
			t.Errorf("the other token after a revocation: got %d, want 404", got)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("token file mode after a revocation: %v", fi.Mode().Perm())
		}
	})
}
