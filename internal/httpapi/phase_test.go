package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	vclient "github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/internal/web"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// phasesYAML is a development phase from 2026, then a final phase with
// its own data (final.csv) from 2099 (reached here by the host's advance).
const phasesYAML = `phases:
  - {id: dev, schedule: {start: "2026-01-01T00:00:00Z"}, limits: {timeout_s: 20, total_limit: 50}}
  - {id: final, final: true, data: {test: final.csv}, schedule: {start: "2099-01-01T00:00:00Z"}}
`

func TestPhasesHTTP(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	host, anon := v.host(), v.anonymous()
	data, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := []byte(contestSpec("contest", phasesYAML))

	t.Run("CreateRefused", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			parts map[string][]byte
			msg   string
		}{
			{"NoPhaseData", map[string][]byte{"spec": spec, "data": data}, "upload it as a phase_data part"},
			{"PhaseDataUnasked", map[string][]byte{"spec": []byte(contestSpec("contest", "")), "data": data, "phase_data": data}, "no phase of the spec has its own data"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := host.upload("POST", "/v1/tasks", multipartForm(t, tc.parts))
				if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), tc.msg) {
					t.Errorf("got %d %s, want 400 naming %q", r.status, r.body, tc.msg)
				}
			})
		}
	})
	r := host.upload("POST", "/v1/tasks", multipartForm(t, map[string][]byte{"spec": spec, "data": data, "phase_data": fixedContest(t, nil)}))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	alice, bob := v.as(participantKey(t, "alice")), v.as(participantKey(t, "bob"))
	ids := []string{alice.mustSubmit("contest", module("")), bob.mustSubmit("contest", sandboxtest.Wasm(sandboxtest.CModel))}
	waitScored(t, v.e, ids)
	devBoard := alice.get("/v1/tasks/contest/leaderboard").body
	t.Run("PhaseBoard", func(t *testing.T) {
		entries := func(b []byte) string {
			var lb struct {
				Phase   string          `json:"phase"`
				Entries json.RawMessage `json:"entries"`
			}
			if err := json.Unmarshal(b, &lb); err != nil {
				t.Fatal(err)
			}
			return lb.Phase + " " + string(lb.Entries)
		}
		r := alice.get("/v1/tasks/contest/leaderboard?phase=dev")
		if got, want := entries(r.body), "dev "+entries(devBoard)[1:]; r.status != http.StatusOK || got != want {
			t.Errorf("?phase=dev: %d %s, want the default (current) board, phase dev: %s", r.status, got, want)
		}
		if r := anon.get("/v1/tasks/contest/leaderboard?phase=final"); r.status != http.StatusOK || !strings.Contains(string(r.body), `"entries": []`) {
			t.Errorf("?phase=final before it began: %d %s, want an empty board", r.status, r.body)
		}
		if r := alice.get("/v1/tasks/contest/leaderboard?phase=nope"); r.status != http.StatusNotFound || !strings.Contains(string(r.body), `no phase \"nope\"`) {
			t.Errorf("?phase=nope: %d %s, want 404 naming the phase", r.status, r.body)
		}
		if r := alice.get("/v1/tasks/contest/leaderboard?phase=dev&private=true"); r.status != http.StatusForbidden {
			t.Errorf("participant's private dev board before close: %d, want 403", r.status)
		}
	})

	phases := func(r response) []engine.Phase {
		t.Helper()
		var ps []engine.Phase
		if r.status != http.StatusOK || json.Unmarshal(r.body, &ps) != nil {
			t.Fatalf("phases: %d %s", r.status, r.body)
		}
		return ps
	}
	if ps := phases(anon.get("/v1/tasks/contest/phases")); len(ps) != 2 || !ps[0].Current || !ps[1].Entered.IsZero() {
		t.Errorf("phases before the advance: %+v, want dev current, final not begun", ps)
	} else if l := ps[0].Limits; l == nil || l.TimeoutS != 20 || l.TotalLimit != 50 || l.MemoryMB == 0 || ps[1].Limits != nil {
		t.Errorf("phase limits %+v, %+v: want dev's 20 s and 50 in all over the task's memory, none for final", l, ps[1].Limits)
	}
	for _, tc := range []struct {
		name   string
		c      *client
		status int
		kind   string
	}{
		{"Anonymous", anon, 401, "unauthorized"},
		{"Participant", alice, 403, "forbidden"},
	} {
		t.Run("Advance"+tc.name, func(t *testing.T) {
			r := tc.c.postJSON("POST", "/v1/tasks/contest/phases/advance", map[string]any{})
			if r.status != tc.status || r.kind() != tc.kind {
				t.Errorf("got %d %q, want %d %q: %s", r.status, r.kind(), tc.status, tc.kind, r.body)
			}
		})
	}
	ps := phases(host.postJSON("POST", "/v1/tasks/contest/phases/advance", map[string]any{"reason": "the development phase is over"}))
	if !ps[1].Current || ps[1].By != "host" || ps[1].Rerun == nil || !ps[1].Rerun.Done || ps[1].Rerun.Selections != 2 {
		t.Errorf("after advance: %+v, want final current, its 2 selections re-run", ps[1])
	}
	if r := host.postJSON("POST", "/v1/tasks/contest/phases/advance", map[string]any{}); r.status != 400 {
		t.Errorf("advance past the last phase: %d %s, want 400", r.status, r.body)
	}
	if got := alice.get("/v1/tasks/contest/leaderboard").body; string(got) != string(devBoard) {
		t.Errorf("public board in the final phase:\n%s\nwant the development board:\n%s", got, devBoard)
	}
	if r := alice.get("/v1/tasks/contest/leaderboard?private=true"); r.status != http.StatusForbidden {
		t.Errorf("participant's private board in the final phase: %d, want 403", r.status)
	}
	if st := anon.get("/v1/tasks/contest").json(t)["state"].(map[string]any); st["phase"] != "final" || st["open"] != false {
		t.Errorf("task state %v, want phase final, not open", st)
	}
	if r := alice.submit("contest", module("again"), ""); r.status != http.StatusConflict {
		t.Errorf("submit in the final phase: %d %s, want 409", r.status, r.body)
	}
	var trail []engine.AuditEntry
	if err := json.Unmarshal(host.get("/v1/tasks/contest/audit").body, &trail); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range trail {
		found = found || a.Action == engine.AuditPhase && a.Reason == "the development phase is over"
	}
	if !found {
		t.Errorf("audit trail %+v lacks the host's phase change with its reason", trail)
	}
}

// TestPhaseReadsNoFinalScore reads everything a participant can while a
// final phase is under way (their submission, the list, its event stream,
// its page, the task's page, the boards, the history, the phases) and
// checks that none holds a score of the re-run on the final data.
func TestPhaseReadsNoFinalScore(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.api.SetPages(web.New(v.e, web.Config{Viewer: v.api.Viewer}))
	data, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	host := v.host()
	r := host.upload("POST", "/v1/tasks", multipartForm(t, map[string][]byte{"spec": []byte(contestSpec("contest", phasesYAML)),
		"data": data, "phase_data": fixedContest(t, nil)}))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	ada := v.as(participantKey(t, "ada"))
	id := ada.mustSubmit("contest", module(""))
	waitScored(t, v.e, []string{id})
	if r := host.postJSON("POST", "/v1/tasks/contest/phases/advance", map[string]any{}); r.status != 200 {
		t.Fatalf("advance: %d %s", r.status, r.body)
	}
	final, err := v.e.Submission(id, engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]float64{"the final public score": *final.Scores.Public, "the final private score": *final.Scores.Private}
	for what, r := range map[string]response{
		"submission":  ada.get("/v1/submissions/" + id),
		"submissions": ada.get("/v1/tasks/contest/submissions"),
		"events":      ada.get("/v1/submissions/" + id + "/events"),
		"page":        ada.get("/submissions/" + id),
		"task page":   ada.get("/tasks/contest"),
		"board":       ada.get("/v1/tasks/contest/leaderboard"),
		"dev board":   ada.get("/v1/tasks/contest/leaderboard?phase=dev"),
		"final board": ada.get("/v1/tasks/contest/leaderboard?phase=final"),
		"phase page":  ada.get("/tasks/contest?phase=dev"),
		"final page":  ada.get("/tasks/contest?phase=final"),
		"history":     ada.get("/v1/tasks/contest/history"),
		"phases":      ada.get("/v1/tasks/contest/phases"),
		"audit":       ada.get("/v1/tasks/contest/audit"),
	} {
		if r.status != http.StatusOK {
			t.Fatalf("%s: got %d: %s", what, r.status, r.body)
		}
		for name, x := range secrets {
			for _, s := range []string{strconv.FormatFloat(x, 'g', -1, 64), strconv.FormatFloat(x, 'f', 4, 64)} {
				if strings.Contains(string(r.body), s) {
					t.Errorf("%s: holds %s %v (as %q):\n%s", what, name, x, s, r.body)
				}
			}
		}
	}
}

// TestPhasesHTTPSeveralData creates, over HTTP with the typed client, a
// task whose two development phases and final phase each have their own
// data: one phase_data part per phase, matched by its file name.
func TestPhasesHTTPSeveralData(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	data, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := []byte(contestSpec("three", `phases:
  - {id: deva, data: {test: a.csv}, schedule: {start: "2026-01-01T00:00:00Z"}}
  - {id: devb, data: {test: b.csv}, schedule: {start: "2098-01-01T00:00:00Z"}}
  - {id: final, final: true, data: {test: final.csv}, schedule: {start: "2099-01-01T00:00:00Z"}}
`))
	host, err := vclient.New(vclient.Config{URL: v.srv.URL, Token: v.token})
	if err != nil {
		t.Fatal(err)
	}
	phase := func(name string) vclient.PhaseData {
		return vclient.PhaseData{Name: name, Data: bytes.NewReader(fixedContest(t, nil))}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		phases []vclient.PhaseData
		msg    string
	}{
		{"Missing", []vclient.PhaseData{phase("a.csv"), phase("final.csv")}, `upload it as a phase_data part named "b.csv"`},
		{"Unknown", []vclient.PhaseData{phase("a.csv"), phase("b.csv"), phase("final.csv"), phase("c.csv")}, `named "c.csv", but no phase`},
		{"Twice", []vclient.PhaseData{phase("a.csv"), phase("a.csv"), phase("final.csv")}, `two phase_data parts named "a.csv"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := host.CreatePhasedTask(ctx, spec, "contest.csv", bytes.NewReader(data), tc.phases...)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want a refusal naming %q", err, tc.msg)
			}
		})
	}
	if _, err := host.CreatePhasedTask(ctx, spec, "contest.csv", bytes.NewReader(data),
		phase("final.csv"), phase("b.csv"), phase("a.csv")); err != nil {
		t.Fatalf("create with each phase's data: %v", err)
	}
	ps, err := v.e.Phases("three", engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].ID != "deva" || !ps[0].Current {
		t.Fatalf("phases: %+v, want deva current of three", ps)
	}
}
