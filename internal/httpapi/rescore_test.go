package httpapi_test

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// fixedContest is testdata/contest.csv with every target replaced by
// max(a, b), cmodel's prediction; edit, if set, changes the rows after.
func fixedContest(t *testing.T, edit func([][]string) [][]string) []byte {
	t.Helper()
	src, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(src))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		a, _ := strconv.ParseFloat(r[1], 64)
		b, _ := strconv.ParseFloat(r[2], 64)
		r[3] = strconv.FormatFloat(math.Max(a, b), 'g', -1, 64)
	}
	if edit != nil {
		rows = edit(rows)
	}
	var out strings.Builder
	w := csv.NewWriter(&out)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return []byte(out.String())
}

func TestRescoreVerify(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.createTask("contest", "")
	host, anon := v.host(), v.anonymous()
	alice, bob := v.as(participantKey(t, "alice")), v.as(participantKey(t, "bob"))
	ids := []string{alice.mustSubmit("contest", module("")), bob.mustSubmit("contest", sandboxtest.Wasm(sandboxtest.CModel))}
	waitScored(t, v.e, ids)

	t.Run("HostOnly", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			c      *client
			method string
			path   string
			body   any
			status int
			kind   string
		}{
			{"AnonymousRescore", anon, "POST", "/v1/tasks/contest/rescore", nil, 401, "unauthorized"},
			{"ParticipantRescore", alice, "POST", "/v1/tasks/contest/rescore", map[string]any{}, 403, "forbidden"},
			{"AnonymousVerify", anon, "POST", "/v1/tasks/contest/verify", nil, 401, "unauthorized"},
			{"ParticipantVerify", bob, "POST", "/v1/tasks/contest/verify", map[string]any{}, 403, "forbidden"},
			{"UnknownTask", host, "POST", "/v1/tasks/nope/verify", nil, 404, "not_found"},
			{"UnknownMember", host, "POST", "/v1/tasks/contest/rescore", map[string]any{"dataset": "/etc/passwd"}, 400, "bad_request"},
			{"AllWithIDs", host, "POST", "/v1/tasks/contest/rescore", map[string]any{"submissions": []string{"all", ids[0]}}, 400, "bad_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				if tc.body == nil {
					r = tc.c.do(tc.method, tc.path, nil, "")
				} else {
					r = tc.c.postJSON(tc.method, tc.path, tc.body)
				}
				if r.status != tc.status || r.kind() != tc.kind {
					t.Errorf("%s %s: got %d %q, want %d %q: %s", tc.method, tc.path, r.status, r.kind(), tc.status, tc.kind, r.body)
				}
			})
		}
		r := host.upload("POST", "/v1/tasks/contest/rescore", multipartForm(t, map[string][]byte{"spec": []byte("x")}))
		if r.status != 400 || !strings.Contains(string(r.body), `unknown part \"spec\"`) {
			t.Errorf("multipart with an unknown part: got %d %s, want 400 naming it", r.status, r.body)
		}
	})

	t.Run("VerifyUnchanged", func(t *testing.T) {
		r := host.do("POST", "/v1/tasks/contest/verify", nil, "")
		var rep engine.VerifyReport
		if err := json.Unmarshal(r.body, &rep); r.status != 200 || err != nil || rep.Checked != 2 || !rep.OK() {
			t.Fatalf("verify: got %d %s, want 2 checked, no mismatch", r.status, r.body)
		}
		r = host.postJSON("POST", "/v1/tasks/contest/rescore", map[string]any{"submissions": []string{"selected"}})
		var rs engine.RescoreReport
		if err := json.Unmarshal(r.body, &rs); r.status != 200 || err != nil || rs.Rescored != 2 || len(rs.Changes) != 0 || len(rs.Ranks) != 0 {
			t.Fatalf("unchanged rescore: got %d %s, want 2 rescored, nothing changed", r.status, r.body)
		}
	})

	t.Run("BadDataset", func(t *testing.T) {
		extra := fixedContest(t, func(rows [][]string) [][]string {
			for i := range rows {
				rows[i] = append(rows[i], map[bool]string{true: "c", false: "1"}[i == 0])
			}
			return rows
		})
		r := host.upload("POST", "/v1/tasks/contest/rescore", multipartForm(t, map[string][]byte{"data": extra}))
		if r.status != 400 || r.kind() != "bad_request" || !strings.Contains(string(r.body), "feature columns [a b c] differ from the task's [a b]") ||
			strings.Contains(string(r.body), os.TempDir()) {
			t.Errorf("dataset with another feature: got %d %s, want 400 naming the columns and no server path", r.status, r.body)
		}
	})

	t.Run("DataFix", func(t *testing.T) {
		before, err := v.e.Submission(ids[1], engine.Host)
		if err != nil {
			t.Fatal(err)
		}
		r := host.upload("POST", "/v1/tasks/contest/rescore", multipartForm(t, map[string][]byte{
			"data": fixedContest(t, nil), "options": []byte(`{"submissions": ["all"], "reason": "labels of r3 fixed"}`)}))
		var rep engine.RescoreReport
		if err := json.Unmarshal(r.body, &rep); r.status != 200 || err != nil {
			t.Fatalf("rescore with a fixed dataset: got %d %s", r.status, r.body)
		}
		if rep.DatasetBefore == rep.DatasetAfter || len(rep.Changes) != 2 || len(rep.Ranks) != 4 {
			t.Errorf("report: got %s; want a new dataset, 2 score changes, bob and alice swapping on both boards", r.body)
		}
		// What bob sees: his new public score, nothing private, and the
		// public board; the private board stays the host's.
		got := bob.get("/v1/submissions/" + ids[1]).json(t)
		scores, _ := got["scores"].(map[string]any)
		if scores["public"] != 0.0 || scores["private"] != nil || scores["private_ci"] != nil {
			t.Errorf("bob's view: got %v, want public 0 (his model's outputs are the labels), no private score", scores)
		}
		if *before.Scores.Public == 0 {
			t.Errorf("bob's public score before the fix: 0, want the old one")
		}
		if r := bob.get("/v1/tasks/contest/leaderboard?private=true"); r.status != http.StatusForbidden {
			t.Errorf("bob's private board after the rescore: got %d, want 403", r.status)
		}
		if r := bob.get("/v1/submissions/" + ids[0]); r.status != http.StatusNotFound {
			t.Errorf("bob reading alice's submission: got %d, want 404", r.status)
		}
		board := bob.get("/v1/tasks/contest/leaderboard").json(t)
		entries, _ := board["entries"].([]any)
		if len(entries) != 2 || entries[0].(map[string]any)["submission"] != ids[1] {
			t.Errorf("public board after: got %v, want bob first", board)
		}
	})

	t.Run("Audit", func(t *testing.T) {
		var full []engine.AuditEntry
		r := host.get("/v1/tasks/contest/audit")
		if err := json.Unmarshal(r.body, &full); r.status != 200 || err != nil || len(full) != 2 {
			t.Fatalf("host's audit trail: got %d %s, want the two rescores", r.status, r.body)
		}
		last := full[1]
		if last.Action != "rescore" || last.Reason != "labels of r3 fixed" || !strings.HasPrefix(last.Actor, "host via HTTP from ") ||
			!strings.Contains(last.Summary, "the dataset was replaced") || len(last.Detail) == 0 {
			t.Errorf("host's last entry: got %+v, want the rescore with its actor, reason, summary and detail", last)
		}
		for _, c := range []*client{bob, anon} {
			var seen []map[string]any
			r := c.get("/v1/tasks/contest/audit")
			if err := json.Unmarshal(r.body, &seen); r.status != 200 || err != nil || len(seen) != 2 {
				t.Fatalf("audit trail for a non-host: got %d %s", r.status, r.body)
			}
			for _, en := range seen {
				if _, ok := en["actor"]; ok || en["reason"] != nil || en["detail"] != nil || en["summary"] == "" {
					t.Errorf("a non-host's entry: got %v, want time, action and summary only", en)
				}
			}
		}
		if r := anon.get("/v1/tasks/nope/audit"); r.status != 404 {
			t.Errorf("audit of an unknown task: got %d, want 404", r.status)
		}
	})
}
