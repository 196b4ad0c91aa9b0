package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/internal/web"
)

// TestParticipantReadsNoSecret reads everything a participant can about
// their submission under the Ladder while the task is open (its JSON, the
// list, the event stream, the page, and the answer to uploading the same
// module again) and checks that none of it holds the private score or the
// exact public score the Ladder hides.
func TestParticipantReadsNoSecret(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{})
	v.api.SetPages(web.New(v.e, web.Config{Viewer: v.api.Viewer}))
	v.createTask("lad", "leaderboard: {mode: ladder, step: 0.5}\ngates: {min_score: 10}\n")
	ada := v.as(participantKey(t, "ada"))
	id := ada.mustSubmit("lad", module(""))
	waitScored(t, v.e, []string{id})
	host, err := v.e.Submission(id, engine.Host)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]float64{"the exact public score": *host.Scores.Public, "the private score": *host.Scores.Private}

	reads := map[string]response{
		"submission":  ada.get("/v1/submissions/" + id),
		"submissions": ada.get("/v1/tasks/lad/submissions"),
		"events":      ada.get("/v1/submissions/" + id + "/events"),
		"page":        ada.get("/submissions/" + id),
		"duplicate":   ada.submit("lad", module(""), ""),
	}
	for what, r := range reads {
		if r.status != http.StatusOK && r.status != http.StatusAccepted {
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
	if dup, _ := reads["duplicate"].json(t)["duplicate"].(bool); !dup {
		t.Errorf("duplicate: got %s, want the earlier submission marked duplicate", reads["duplicate"].body)
	}
}
