package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
)

// TestShortIDsAndMessages: a submission is found by its short id (the
// engine's one rule), and a refusal's message is the sentence, without
// the sentinels' package prefixes.
func TestShortIDsAndMessages(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.createTask("contest", "")
	alice := v.as(participantKey(t, "alice"))
	id := alice.mustSubmit("contest", module("a"))

	short := engine.ShortID(id)
	if m := alice.get("/v1/submissions/" + short).json(t); m["id"] != id {
		t.Errorf("GET /v1/submissions/%s: got id %v, want %s", short, m["id"], id)
	}
	msg := func(r response) string {
		var e struct {
			Error api.Error `json:"error"`
		}
		_ = json.Unmarshal(r.body, &e)
		return e.Error.Message
	}
	tests := []struct {
		name   string
		c      *client
		path   string
		status int
		want   string
	}{
		{"SubmissionNotFound", alice, "/v1/submissions/ffffffff-ffff", 404, `submission "ffffffff-ffff" not found`},
		{"TooShort", alice, "/v1/submissions/" + id[:7], 404, "a shortened id needs at least 8 characters"},
		{"CredentialNotFound", v.anonymous(), "/v1/credentials/00000000", 404, `credential "00000000" not found`},
		{"MarketNotFound", v.anonymous(), "/v1/market/00000000", 404, `market entry "00000000" not found`},
		{"TaskNotFound", v.anonymous(), "/v1/tasks/nope", 404, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.get(tc.path)
			got := msg(r)
			if r.status != tc.status || !strings.Contains(got, tc.want) {
				t.Errorf("GET %s: got %d %q, want %d saying %q", tc.path, r.status, got, tc.status, tc.want)
			}
			for _, internal := range []string{"engine:", "leaderboard:", "metric:"} {
				if strings.Contains(got, internal) {
					t.Errorf("GET %s: message %q shows the internal %q", tc.path, got, internal)
				}
			}
		})
	}
}

// TestCreateWarnsBeatsBaseline: a task gated on beats_baseline has no
// baseline when it is created; the host is told then, not at close.
func TestCreateWarnsBeatsBaseline(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	r := v.host().upload("POST", "/v1/tasks", taskForm(t, contestSpec("gated", "gates: {beats_baseline: {}}\n")))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	warnings, _ := r.json(t)["warnings"].([]any)
	found := false
	for _, w := range warnings {
		found = found || strings.Contains(w.(string), "beats_baseline")
	}
	if !found {
		t.Errorf("got warnings %v, want one about beats_baseline and the missing baseline", warnings)
	}
}
