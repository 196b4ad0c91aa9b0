package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// server is a real httpapi.Server over a real engine in a temp dir, and
// a host token for it.
func server(t *testing.T) (url, token string, e *engine.Engine) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	e, err := engine.Open(context.Background(), engine.Config{DataDir: data, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	token, err = httpapi.NewToken(data, "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.New(httpapi.Config{Engine: e, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseStreams()
		srv.Close()
		e.Close(context.Background())
	})
	return srv.URL, token, e
}

func key(t *testing.T, name string) *credential.KeyPair {
	t.Helper()
	seed := make([]byte, 32)
	copy(seed, name)
	k, err := credential.NewKeyPair(seed)
	if err != nil {
		t.Fatal(err)
	}
	return &k
}

func newClient(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// module is the linear fixture with a custom section naming variant: a
// distinct module (SHA-256) predicting the same.
func module(variant string) []byte {
	b := append([]byte(nil), sandboxtest.Wasm(sandboxtest.Linear)...)
	payload := append([]byte{byte(len("v"))}, 'v')
	payload = append(payload, variant...)
	b = append(b, 0, byte(len(payload)))
	return append(b, payload...)
}

const spec = "id: contest\ntype: regression\nmetric: rmse\ndata: {test: contest.csv}\nsplit: {public_fraction: 0.5, seed: a-seed-of-sixteen-bytes}\nteams: {max_size: 2}\nfinal_selections: 2\n"

// kindOf is err's API kind, "" if it is not an *Error.
func kindOf(err error) string {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return ""
}

// TestClient goes through every route with the client as the host, two
// participants and a visitor, against a real server and engine.
func TestClient(t *testing.T) {
	url, token, e := server(t)
	ctx := context.Background()
	host := newClient(t, client.Config{URL: url, Token: token})
	aliceKey, bobKey := key(t, "alice"), key(t, "bob")
	alice := newClient(t, client.Config{URL: url, Key: aliceKey})
	bob := newClient(t, client.Config{URL: url, Key: bobKey})
	anon := newClient(t, client.Config{URL: url})
	data, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}

	if h, err := anon.Health(ctx); err != nil || h.Status != "ok" {
		t.Fatalf("health: %+v, %v", h, err)
	}
	if h, err := anon.Host(ctx); err != nil || h.DID != e.HostDID() {
		t.Fatalf("host: %+v, %v; want %s", h, err, e.HostDID())
	}

	t.Run("CreateTask", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			c      *client.Client
			status int
			kind   string
		}{
			{"Anonymous", anon, 401, "unauthorized"},
			// A participant's client sends the upload unsigned (the server
			// would refuse a signature over a dataset unread).
			{"Participant", alice, 401, "unauthorized"},
			{"Host", host, 0, ""},
			{"Exists", host, 409, "exists"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				task, err := tc.c.CreateTask(ctx, []byte(spec), "contest.csv", bytes.NewReader(data))
				var ce *client.Error
				switch {
				case tc.status == 0 && (err != nil || task.ID != "contest" || len(task.Features) != 2):
					t.Fatalf("got %+v, %v", task, err)
				case tc.status != 0 && (!errors.As(err, &ce) || ce.Status != tc.status || ce.Kind != tc.kind):
					t.Fatalf("got %v, want %d %s", err, tc.status, tc.kind)
				}
			})
		}
		_, err := host.CreateTask(ctx, []byte(strings.Replace(spec, "id: contest", "id: bad", 1)), "contest.csv", strings.NewReader("id,a,b,target\nr0,x,1,2\n"))
		if kindOf(err) != "invalid_dataset" || !strings.Contains(err.Error(), "contest.csv") {
			t.Errorf("a bad CSV value: got %v, want invalid_dataset naming the file", err)
		}
	})

	t.Run("ReadTasks", func(t *testing.T) {
		ts, err := anon.Tasks(ctx)
		if err != nil || len(ts) != 1 || ts[0].ID != "contest" || !ts[0].State.Open {
			t.Fatalf("tasks: %+v, %v", ts, err)
		}
		if _, err := anon.Task(ctx, "nope"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("unknown task: got %v, want ErrNotFound", err)
		}
	})

	var aliceSub string
	t.Run("Upload", func(t *testing.T) {
		acc, err := alice.Upload(ctx, "contest", module("a1"), client.UploadOptions{Sign: true, License: "MIT"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Participant != aliceKey.DID() || acc.Links.Events != "/v1/submissions/"+acc.ID+"/events" {
			t.Errorf("got %+v", acc)
		}
		aliceSub = acc.ID
		var seen []engine.Status
		sub, err := alice.Follow(ctx, acc.ID, func(ev api.StatusEvent) { seen = append(seen, ev.Status) })
		if err != nil || sub.Status != engine.StatusScored || sub.Scores.Public == nil || sub.Signature == "" {
			t.Fatalf("follow: %+v, %v", sub, err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != engine.StatusScored {
			t.Errorf("status events %v, want the last scored", seen)
		}
		// The stream of a scored submission sends it and ends at once.
		reason, last, err := alice.Events(ctx, acc.ID, nil)
		if err != nil || reason != "scored" || last == nil || last.ID != acc.ID {
			t.Errorf("events of a scored submission: %q %+v %v", reason, last, err)
		}
		dup, err := alice.Upload(ctx, "contest", module("a1"), client.UploadOptions{Sign: true})
		if err != nil || !dup.Duplicate || dup.ID != acc.ID {
			t.Errorf("duplicate: %+v, %v", dup, err)
		}
		hostSub, err := host.Upload(ctx, "contest", module("b1"), client.UploadOptions{Participant: "carol"})
		if err != nil || hostSub.Participant != "carol" {
			t.Fatalf("host upload for carol: %+v, %v", hostSub, err)
		}
		if _, err := host.Follow(ctx, hostSub.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := anon.Upload(ctx, "contest", module("x"), client.UploadOptions{Participant: "dave"}); kindOf(err) != "unauthorized" {
			t.Errorf("anonymous upload: got %v, want unauthorized", err)
		}
		if _, err := anon.Upload(ctx, "contest", module("x"), client.UploadOptions{Sign: true}); err == nil {
			t.Error("a visitor signed an upload without a key")
		}
	})

	t.Run("Submissions", func(t *testing.T) {
		subs, err := alice.Submissions(ctx, "contest", "")
		if err != nil || len(subs) != 1 || subs[0].ID != aliceSub {
			t.Errorf("alice's submissions: %+v, %v", subs, err)
		}
		all, err := host.Submissions(ctx, "contest", "")
		if err != nil || len(all) != 2 {
			t.Errorf("host's list: %d, %v; want 2", len(all), err)
		}
		if _, err := alice.Submissions(ctx, "contest", "carol"); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("alice lists carol's: got %v, want ErrForbidden", err)
		}
		s, err := alice.Submission(ctx, aliceSub)
		if err != nil || s.ID != aliceSub {
			t.Errorf("submission: %+v, %v", s, err)
		}
	})

	t.Run("Leaderboard", func(t *testing.T) {
		lb, err := anon.Leaderboard(ctx, "contest", false)
		if err != nil || len(lb.Entries) != 2 || lb.Private {
			t.Fatalf("public board: %+v, %v", lb, err)
		}
		if _, err := alice.Leaderboard(ctx, "contest", true); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("private board before close: got %v, want ErrForbidden", err)
		}
		if lb, err := host.Leaderboard(ctx, "contest", true); err != nil || !lb.Private {
			t.Errorf("host's private board: %+v, %v", lb, err)
		}
		// A task without phases has no phase boards: ?phase= reaches the
		// server, which says so.
		if _, err := anon.PhaseLeaderboard(ctx, "contest", false, "dev"); !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), `no phase "dev"`) {
			t.Errorf("phase board of a task without phases: got %v, want ErrNotFound naming the phase", err)
		}
		evs, err := anon.History(ctx, "contest")
		if err != nil || len(evs) == 0 {
			t.Errorf("history: %+v, %v", evs, err)
		}
	})

	t.Run("Selections", func(t *testing.T) {
		sel, err := alice.Select(ctx, "contest", "", []string{aliceSub})
		if err != nil || sel.Participant != aliceKey.DID() || len(sel.Submissions) != 1 {
			t.Fatalf("select: %+v, %v", sel, err)
		}
		got, err := alice.Selections(ctx, "contest", "")
		if err != nil || len(got.Submissions) != 1 || got.Submissions[0] != aliceSub {
			t.Errorf("selections: %+v, %v", got, err)
		}
		if _, err := host.Selections(ctx, "contest", ""); kindOf(err) != "bad_request" {
			t.Errorf("host without a participant: got %v, want bad_request", err)
		}
		if got, err := host.Selections(ctx, "contest", aliceKey.DID()); err != nil || len(got.Submissions) != 1 {
			t.Errorf("host reads alice's: %+v, %v", got, err)
		}
	})

	t.Run("Teams", func(t *testing.T) {
		if tm, err := alice.Join(ctx, "contest", "red"); err != nil || tm.Name != "red" || len(tm.Members) != 1 {
			t.Fatalf("alice joins red: %+v, %v", tm, err)
		}
		if _, err := alice.Join(ctx, "contest", "red", bobKey.DID()); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("alice adds bob: got %v, want ErrForbidden", err)
		}
		if _, err := bob.Join(ctx, "contest", "blue"); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Merge(ctx, "contest", "blue", "red"); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("a participant merges: got %v, want ErrForbidden", err)
		}
		tm, err := host.Merge(ctx, "contest", "blue", "red")
		if err != nil || len(tm.Members) != 2 {
			t.Fatalf("merge: %+v, %v", tm, err)
		}
		ts, err := anon.Teams(ctx, "contest")
		if err != nil || len(ts) != 1 || ts[0].Name != "red" {
			t.Errorf("teams: %+v, %v", ts, err)
		}
	})

	t.Run("Close", func(t *testing.T) {
		if _, err := alice.CloseTask(ctx, "contest"); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("participant closes: got %v, want ErrForbidden", err)
		}
		cl, err := host.CloseTask(ctx, "contest")
		if err != nil || cl.Closed.IsZero() || len(cl.Promotions) == 0 {
			t.Fatalf("close: %+v, %v", cl, err)
		}
		if _, err := host.CloseTask(ctx, "contest"); !errors.Is(err, engine.ErrClosed) {
			t.Errorf("close twice: got %v, want ErrClosed", err)
		}
		if _, err := host.Promote(ctx, "contest"); err != nil {
			t.Errorf("promote again: %v", err)
		}
	})

	t.Run("Credentials", func(t *testing.T) {
		cs, err := anon.Credentials(ctx, "contest")
		if err != nil || len(cs) == 0 {
			t.Fatalf("credentials: %+v, %v", cs, err)
		}
		cr, err := anon.Credential(ctx, cs[0].ID)
		if err != nil || len(cr.Signed) == 0 {
			t.Fatalf("credential: %+v, %v", cr, err)
		}
		v, err := anon.Verify(ctx, cr.Signed, "")
		if err != nil || !v.Verified || !v.StatusChecked || v.Subject.Task != "contest" {
			t.Errorf("verify: %+v, %v", v, err)
		}

		t.Run("Market", func(t *testing.T) {
			es, err := anon.Market(ctx, market.Query{Task: "contest", TaskType: "regression"})
			if err != nil || len(es) == 0 {
				t.Fatalf("market: %+v, %v", es, err)
			}
			if none, err := anon.Market(ctx, market.Query{TaskType: "binary"}); err != nil || len(none) != 0 {
				t.Errorf("binary filter: %d, %v", len(none), err)
			}
			me, err := anon.MarketEntry(ctx, es[0].ID)
			if err != nil || me.ID != es[0].ID {
				t.Fatalf("entry: %+v, %v", me, err)
			}
			b, err := anon.Bundle(ctx, me.ID)
			if err != nil || len(b.Module) == 0 || len(b.Credential) == 0 {
				t.Fatalf("bundle: %v", err)
			}
			// Into another server's marketplace, as its host only.
			url2, token2, _ := server(t)
			if _, err := newClient(t, client.Config{URL: url2, Key: aliceKey}).IngestBundle(ctx, b, "", true); !errors.Is(err, engine.ErrForbidden) {
				t.Errorf("participant ingests: got %v, want ErrForbidden", err)
			}
			// The other server does not trust this one: refused unless allowed,
			// then listed as untrusted.
			host2 := newClient(t, client.Config{URL: url2, Token: token2})
			if _, err := host2.IngestBundle(ctx, b, "", false); !errors.Is(err, market.ErrBundle) || !strings.Contains(err.Error(), "allow-untrusted") {
				t.Errorf("ingest from an untrusted issuer: got %v, want a bundle refusal naming --allow-untrusted", err)
			}
			got, err := host2.IngestBundle(ctx, b, "", true)
			if err != nil || got.ID != me.ID || got.Trusted {
				t.Fatalf("ingest allowed untrusted: %+v, %v; want the entry, not trusted", got, err)
			}
			tampered := *b
			tampered.Module = module("other")
			if _, err := host2.IngestBundle(ctx, &tampered, "", true); !errors.Is(err, market.ErrBundle) {
				t.Errorf("a bundle with another module: got %v, want a bundle refusal", err)
			}
		})

		if _, err := alice.Revoke(ctx, cs[0].ID, "x"); !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("participant revokes: got %v, want ErrForbidden", err)
		}
		if r, err := host.Revoke(ctx, cs[0].ID, "leak"); err != nil || r.Revoked == nil {
			t.Fatalf("revoke: %+v, %v", r, err)
		}
		if v, err := anon.Verify(ctx, cr.Signed, ""); err != nil || v.Verified || v.Error == nil || v.Error.Kind != "revoked" {
			t.Errorf("verify a revoked credential: %+v, %v", v, err)
		}
	})
}

func TestConfig(t *testing.T) {
	k := key(t, "k")
	for _, tc := range []struct {
		name string
		cfg  client.Config
		want string
	}{
		{"NoURL", client.Config{}, "want http(s)://HOST"},
		{"FTP", client.Config{URL: "ftp://x"}, "want http(s)://HOST"},
		{"TokenAndKey", client.Config{URL: "http://x", Token: "t", Key: k}, "exclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := client.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestErrorBody reads a refusal that is not the API's JSON (a proxy's
// page) as kind "http" with its text.
func TestErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := newClient(t, client.Config{URL: srv.URL}).Tasks(context.Background())
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 502 || ce.Kind != "http" || ce.Message != "bad gateway" {
		t.Errorf("got %#v, want 502 http \"bad gateway\"", err)
	}
}

func clientConfig(url, token string) client.Config { return client.Config{URL: url, Token: token} }

func contestCSV(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
