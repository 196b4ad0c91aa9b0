package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/internal/httpapi"
)

func TestAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "examples"), examples.FS); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	task, err := e.CreateTask(ctx, filepath.Join(dir, "examples", examples.DemoTask))
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := fs.ReadFile(examples.FS, "breast-cancer/c-model/model.wasm")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.Submit(ctx, engine.SubmitRequest{Task: task.Spec.ID, Participant: "bob", Module: wasm})
	if err != nil || sub.Failed() {
		t.Fatalf("Submit: %+v, %v", sub, err)
	}
	srv := httptest.NewServer(httpapi.New(e, nil))
	defer srv.Close()

	get := func(t *testing.T, path string, wantStatus int) map[string]any {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantStatus {
			t.Fatalf("GET %s: got %d, want %d: %s", path, resp.StatusCode, wantStatus, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: not JSON: %v\n%s", path, err, body)
		}
		if m, ok := v.(map[string]any); ok {
			return m
		}
		return map[string]any{"list": v}
	}
	errorKind := func(m map[string]any) string {
		e, _ := m["error"].(map[string]any)
		k, _ := e["kind"].(string)
		return k
	}

	t.Run("Healthz", func(t *testing.T) {
		if got := get(t, "/healthz", 200)["status"]; got != "ok" {
			t.Errorf("got %v", got)
		}
	})
	t.Run("Tasks", func(t *testing.T) {
		list := get(t, "/v1/tasks", 200)["list"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != "breast-cancer" {
			t.Errorf("got %v", list)
		}
		if _, leaks := list[0].(map[string]any)["spec"]; leaks {
			t.Error("the task list leaks the spec (split seed, data path)")
		}
	})
	t.Run("Task", func(t *testing.T) {
		m := get(t, "/v1/tasks/breast-cancer", 200)
		if len(m["features"].([]any)) != 30 || m["state"].(map[string]any)["open"] != true {
			t.Errorf("got %v", m)
		}
	})
	t.Run("TaskNotFound", func(t *testing.T) {
		if k := errorKind(get(t, "/v1/tasks/nope", 404)); k != "not_found" {
			t.Errorf("got kind %q", k)
		}
	})
	t.Run("PublicLeaderboard", func(t *testing.T) {
		entries := get(t, "/v1/tasks/breast-cancer/leaderboard", 200)["entries"].([]any)
		if len(entries) != 1 || entries[0].(map[string]any)["participant"] != "bob" {
			t.Errorf("got %v", entries)
		}
	})
	t.Run("PrivateLeaderboardBeforeClose", func(t *testing.T) {
		if k := errorKind(get(t, "/v1/tasks/breast-cancer/leaderboard?private=true", 403)); k != "forbidden" {
			t.Errorf("got kind %q", k)
		}
	})
	t.Run("BadQuery", func(t *testing.T) {
		if k := errorKind(get(t, "/v1/tasks/breast-cancer/leaderboard?private=maybe", 400)); k != "bad_request" {
			t.Errorf("got kind %q", k)
		}
	})
	t.Run("SubmissionHiddenFromAnonymous", func(t *testing.T) {
		// The rules show others' submissions only as leaderboard rows: a
		// visitor cannot even learn that the id exists.
		if k := errorKind(get(t, "/v1/submissions/"+sub.ID, 404)); k != "not_found" {
			t.Errorf("got kind %q", k)
		}
	})
	t.Run("UnknownPath", func(t *testing.T) {
		if k := errorKind(get(t, "/v2/anything", 404)); k != "not_found" {
			t.Errorf("got kind %q", k)
		}
	})
	t.Run("PrivateLeaderboardAfterClose", func(t *testing.T) {
		if err := e.CloseTask(task.Spec.ID); err != nil {
			t.Fatal(err)
		}
		m := get(t, "/v1/tasks/breast-cancer/leaderboard?private=1", 200)
		if entries := m["entries"].([]any); len(entries) != 1 || !strings.Contains(entries[0].(map[string]any)["submission"].(string), sub.ID[:8]) {
			t.Errorf("got %v", m)
		}
	})
}
