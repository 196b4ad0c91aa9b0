package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestAccessPages shows an invite-only task's access on its page, keeps
// its board from visitors not admitted (a refusal page naming the rule),
// and leaves an unlisted task off the home page of anyone who may not see
// it.
func TestAccessPages(t *testing.T) {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(t.TempDir(), "data"), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	k, err := credential.NewKeyPair(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ada := k.DID()
	data, err := filepath.Abs(filepath.Join("testdata", "regression.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, title, access string }{
		{"guild", "Guild cup", fmt.Sprintf("access: {mode: invite, participants: [%q]}\n", ada)},
		{"secret", "Secret cup", fmt.Sprintf("access: {mode: invite, listed: false, participants: [%q]}\n", ada)},
	} {
		spec := fmt.Sprintf("id: %s\ntitle: %s\ntype: regression\nmetric: rmse\ndata: {test: %q}\nsplit: {public_fraction: 0.5, seed: web}\nlimits: {memory_mb: 16}\n%s", tc.id, tc.title, data, tc.access)
		path := filepath.Join(t.TempDir(), tc.id+".yaml")
		if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateTask(ctx, path); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Submit(ctx, engine.SubmitRequest{Task: tc.id, Participant: ada, Module: sandboxtest.Wasm(sandboxtest.Linear)}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(e, Config{Viewer: testViewer}))
	defer srv.Close()

	home := get(t, srv, "/", "", http.StatusOK)
	contains(t, "anonymous home", home, "Guild cup", "invite-only", "Ask the host for an invitation")
	lacks(t, "anonymous home", home, "Secret cup", ada)
	contains(t, "admitted home", get(t, srv, "/", ada, http.StatusOK), "Guild cup", "Secret cup", "invite-only, unlisted")

	refusal := get(t, srv, "/tasks/guild", "", http.StatusForbidden)
	contains(t, "anonymous guild page", refusal, "Invite-only", "is invite-only: only admitted participants see it")
	lacks(t, "anonymous guild page", refusal, ada)
	other := get(t, srv, "/tasks/guild", "did:key:z6MkuMjxKYu2RzsaafYCyH38QSoNxEjW9Ze4UPtnnRa5C7id", http.StatusForbidden)
	contains(t, "outsider guild page", other, "is not admitted; ask the host for an invitation")
	contains(t, "admitted guild page", get(t, srv, "/tasks/guild", ada, http.StatusOK), "Access", "invite-only: only admitted participants submit and see the leaderboards")

	absent := get(t, srv, "/tasks/nope", "", http.StatusNotFound)
	hidden := get(t, srv, "/tasks/secret", "", http.StatusNotFound)
	if want := strings.ReplaceAll(absent, "nope", "secret"); hidden != want {
		t.Errorf("an unlisted task's page differs from an absent one's:\n%s\nwant\n%s", hidden, want)
	}
}
