package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// participantHeader names the viewer in these tests; a real server decides
// the viewer from its own authentication (Config.Viewer).
const participantHeader = "X-Test-Participant"

func testViewer(r *http.Request) engine.Viewer {
	if r.Header.Get(participantHeader) == "host" {
		return engine.Host
	}
	return engine.Viewer{Participant: r.Header.Get(participantHeader)}
}

func get(t *testing.T, srv *httptest.Server, path, who string, want int) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if who != "" {
		req.Header.Set(participantHeader, who)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("GET %s as %q: got status %d, want %d\n%s", path, who, resp.StatusCode, want, body)
	}
	return string(body)
}

func contains(t *testing.T, what, page string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(page, s) {
			t.Errorf("%s: missing %q", what, s)
		}
	}
}

func lacks(t *testing.T, what, page string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if s != "" && strings.Contains(page, s) {
			t.Errorf("%s: shows %q, which it must not", what, s)
		}
	}
}

// privateValues are the texts of every private score and interval of a
// task that the public scores do not also happen to contain.
func privateValues(t *testing.T, e *engine.Engine, task string) []string {
	t.Helper()
	subs, err := e.Submissions(task, engine.Host, "")
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{}
	for _, s := range subs {
		if s.Scores.Public != nil {
			public[fmtScore(*s.Scores.Public)] = true
		}
		if iv := s.Scores.PublicCI; iv != nil {
			public[fmtScore(iv.Low)], public[fmtScore(iv.High)] = true, true
		}
	}
	var out []string
	for _, s := range subs {
		var vals []float64
		if s.Scores.Private != nil {
			vals = append(vals, *s.Scores.Private)
		}
		if iv := s.Scores.PrivateCI; iv != nil {
			vals = append(vals, iv.Low, iv.High)
		}
		for _, v := range vals {
			if txt := fmtScore(v); !public[txt] {
				out = append(out, ">"+txt+"<", "["+txt+",", " "+txt+"]")
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("task %s: no private score to look for", task)
	}
	return out
}

func TestPages(t *testing.T) {
	s := newSite(t)
	srv := httptest.NewServer(New(s.e, Config{Viewer: testViewer}))
	defer srv.Close()
	reg := func(who, fixture string) string { return s.subs[regressionTask+"/"+who+"/"+fixture].ID }
	privReg := privateValues(t, s.e, regressionTask)

	t.Run("TaskList", func(t *testing.T) {
		page := get(t, srv, "/", "", http.StatusOK)
		contains(t, "task list", page, "House prices", "Spam filter", "Three tiers", `href="/tasks/house-prices"`, "rmse", "ada")
	})
	t.Run("TaskPage", func(t *testing.T) {
		page := get(t, srv, "/tasks/"+regressionTask, "", http.StatusOK)
		contains(t, "task page", page,
			"Public leaderboard", `<td title="ada">ada`, `<td title="bob">bob`, `<td title="cyd">cyd`, "flat-baseline", `class="tag">baseline`,
			`class="chart ci"`, `class="chart history"`, `<title id="ci-t">`, `class="ref"`,
			"score ≤ 0.3", "a module of at most 1 MB", "up to 3 members", "16 MB")
		lacks(t, "anonymous task page", page, "dan", "/submissions/")
		lacks(t, "task page before close", page, privReg...)
	})
	t.Run("PrivateBoardBeforeClose", func(t *testing.T) {
		page := get(t, srv, "/tasks/"+regressionTask+"?board=private", "", http.StatusForbidden)
		contains(t, "private board", page, "revealed when the task closes")
	})
	t.Run("OwnSubmission", func(t *testing.T) {
		page := get(t, srv, "/tasks/"+regressionTask, "ada", http.StatusOK)
		contains(t, "ada's task page", page, `href="/submissions/`+reg("ada", sandboxtest.Linear)+`"`, "Your submissions")
		lacks(t, "ada's task page", page, `href="/submissions/`+reg("bob", sandboxtest.CModel)+`"`)
		page = get(t, srv, "/submissions/"+reg("ada", sandboxtest.Linear), "ada", http.StatusOK)
		contains(t, "ada's submission", page, "scored", `class="chart scatter"`, "Predicted vs true, public part",
			"minimum score", "module size", ", needs ≤ 0.3", "MB, limit 1 MB", "revealed when the task closes", "The private part is shown when the task closes.")
		lacks(t, "ada's submission before close", page, privReg...)
		lacks(t, "ada's submission before close", page, "private part</figcaption>")
	})
	t.Run("FailedSubmission", func(t *testing.T) {
		page := get(t, srv, "/submissions/"+reg("dan", sandboxtest.Trap), "dan", http.StatusOK)
		contains(t, "dan's submission", page, "failed", "Why it failed: trap", "nothing to draw")
	})
	t.Run("OthersSubmissionsHidden", func(t *testing.T) {
		for _, who := range []string{"", "bob"} {
			page := get(t, srv, "/submissions/"+reg("ada", sandboxtest.Linear), who, http.StatusNotFound)
			contains(t, "someone else's submission", page, "Not found")
		}
	})
	t.Run("BinaryPictures", func(t *testing.T) {
		page := get(t, srv, "/submissions/"+s.subs[binaryTask+"/ada/"+sandboxtest.Linear].ID, "ada", http.StatusOK)
		contains(t, "binary submission", page, `class="chart roc"`, `class="chart confusion"`, "public (")
	})
	t.Run("MulticlassPictures", func(t *testing.T) {
		page := get(t, srv, "/submissions/"+s.subs[multiclassTask+"/ada/"+sandboxtest.Const].ID, "ada", http.StatusOK)
		contains(t, "multiclass submission", page, `class="chart confusion"`, "true 2, predicted 0")
		lacks(t, "multiclass submission", page, `class="chart roc"`)
	})
	t.Run("NotFound", func(t *testing.T) {
		for _, path := range []string{"/tasks/nope", "/submissions/nope", "/credentials/nope", "/market/nope", "/nope"} {
			page := get(t, srv, path, "", http.StatusNotFound)
			contains(t, path, page, "Not found", `href="/static/style.css"`)
		}
	})
	t.Run("Headers", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/tasks/" + regressionTask)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k, want := range map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Cache-Control":           "private, no-cache",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s: got %q, want %q", k, got, want)
			}
		}
	})
	t.Run("Static", func(t *testing.T) {
		contains(t, "style.css", get(t, srv, "/static/style.css", "", http.StatusOK), "svg.chart")
		contains(t, "live.js", get(t, srv, "/static/live.js", "", http.StatusOK), "data-live")
	})
	t.Run("AfterClose", func(t *testing.T) {
		if _, err := s.e.CloseTask(context.Background(), regressionTask); err != nil {
			t.Fatal(err)
		}
		page := get(t, srv, "/tasks/"+regressionTask, "", http.StatusOK)
		contains(t, "closed task page", page, "Private leaderboard", `href="?board=public"`, `class="badge closed"`)
		found := false
		for _, v := range privReg {
			found = found || strings.Contains(page, v)
		}
		if !found {
			t.Errorf("closed task page: shows no private score (looked for %v)", privReg)
		}
		page = get(t, srv, "/submissions/"+reg("ada", sandboxtest.Linear), "ada", http.StatusOK)
		contains(t, "ada's submission after close", page, "Predicted vs true, private part")
	})
	t.Run("Credential", func(t *testing.T) {
		proms, err := s.e.Promote(context.Background(), regressionTask)
		if err != nil {
			t.Fatal(err)
		}
		var id string
		for _, p := range proms {
			if p.Credential != nil {
				id = strings.TrimPrefix(p.Credential.ID, "urn:uuid:")
				break
			}
		}
		if id == "" {
			t.Fatalf("Promote issued no credential: %+v", proms)
		}
		page := get(t, srv, "/credentials/"+id, "", http.StatusOK)
		contains(t, "credential", page, `class="badge good">verified`, "Not revoked", s.e.HostDID(), "CertifiedModelCredential")
		contains(t, "task page with credentials", get(t, srv, "/tasks/"+regressionTask, "", http.StatusOK), `href="/credentials/`+id+`"`)
		contains(t, "credential", page, `href="/market/`+id+`"`)

		// Promotion put the model in the marketplace.
		page = get(t, srv, "/market", "", http.StatusOK)
		contains(t, "marketplace", page, `<form class="panel search" method="get"`, `href="/market/`+id+`"`, "House prices", "rmse", "1 / 3", "2 models",
			// Who certified each model, and whether that issuer is trusted here.
			"Certified by", `title="`+s.e.HostDID()+`"`, `<span class="tag">trusted here</span>`)
		searches := []struct {
			query string
			found bool
		}{
			{"?q=house", true},
			{"?q=ADA", true},
			{"?type=regression&features=A,b", true},
			{"?min=0.2", true},
			{"?min=0.01", false},
			{"?type=binary", false},
			{"?features=c", false},
			{"?q=nothing-like-it", false},
		}
		for _, sc := range searches {
			page := get(t, srv, "/market"+sc.query, "", http.StatusOK)
			if got := strings.Contains(page, `href="/market/`+id+`"`); got != sc.found {
				t.Errorf("market search %s: got found %v, want %v", sc.query, got, sc.found)
			}
		}
		for _, bad := range []string{"?min=abc", "?type=poetry", "?metric=nope"} {
			page := get(t, srv, "/market"+bad, "", http.StatusBadRequest)
			contains(t, "market search "+bad, page, "Cannot search", `<form class="panel search"`)
		}
		page = get(t, srv, "/market/"+id, "", http.StatusOK)
		contains(t, "model page", page, `class="badge good">verified`, "Not revoked", "this server's host", "An issuer this marketplace trusts",
			"<code>a</code>, <code>b</code>", `href="/v1/market/`+id+`/bundle"`, `href="/credentials/`+id+`"`, "unspecified")

		if _, err := s.e.Revoke(id, "found a leak"); err != nil {
			t.Fatal(err)
		}
		page = get(t, srv, "/credentials/"+id, "", http.StatusOK)
		contains(t, "revoked credential", page, "does not verify", "revoked", "found a leak")
		lacks(t, "marketplace after revocation", get(t, srv, "/market", "", http.StatusOK), `href="/market/`+id+`"`)
		contains(t, "marketplace with revoked", get(t, srv, "/market?revoked=1", "", http.StatusOK), `href="/market/`+id+`"`, `class="tag bad">revoked`)
		contains(t, "revoked model page", get(t, srv, "/market/"+id, "", http.StatusOK), `class="badge bad">revoked`, "found a leak")
	})
}
