package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
)

// TestRemoteVerbs sets up a closed task on a data dir, then runs every
// read command three ways — on the data dir alone, with --server against
// the server now running on it, and on the served data dir without
// --server (found through DATA_DIR/serve.json) — and wants the same output
// and exit code; then each host and participant action through --server.
func TestRemoteVerbs(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the demo models: slow")
	}
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	spec := filepath.Join(ex, examples.DemoTask)
	mustCLI := func(args ...string) string {
		t.Helper()
		code, out, errOut := cli(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s%s", args, code, out, errOut)
		}
		return out
	}
	d := examples.Demo()
	mustCLI("--data-dir", data, "task", "create", spec)
	var ids []string
	for _, s := range d[:2] {
		out := mustCLI("--data-dir", data, "--json", "submit", "--task", "breast-cancer", "--participant", s.Participant, filepath.Join(ex, s.Path))
		var sub struct{ ID string }
		if err := json.Unmarshal([]byte(out), &sub); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	mustCLI("--data-dir", data, "select", "--task", "breast-cancer", "--participant", d[0].Participant, ids[0])
	mustCLI("--data-dir", data, "task", "close", "breast-cancer")
	var creds struct{ Credentials []struct{ ID string } }
	if err := json.Unmarshal([]byte(mustCLI("--data-dir", data, "--json", "credential", "list")), &creds); err != nil || len(creds.Credentials) == 0 {
		t.Fatalf("no credential after close: %v", err)
	}
	cred := creds.Credentials[0].ID
	var market struct{ Models []struct{ ID string } }
	if err := json.Unmarshal([]byte(mustCLI("--data-dir", data, "--json", "market", "list")), &market); err != nil || len(market.Models) == 0 {
		t.Fatalf("no marketplace entry after close: %v", err)
	}
	model := market.Models[0].ID

	reads := [][]string{
		{"task", "list"},
		{"task", "show", "breast-cancer"},
		{"leaderboard", "breast-cancer"},
		{"leaderboard", "breast-cancer", "--private"},
		{"history", "breast-cancer"},
		{"history", "breast-cancer", "--private"},
		{"submissions", "--task", "breast-cancer"},
		{"selections", "--task", "breast-cancer", "--participant", d[0].Participant},
		{"selections", "--task", "breast-cancer", "--participant", d[1].Participant},
		{"submission", "show", ids[1]},
		{"credential", "list"},
		{"credential", "show", cred},
		{"market", "list"},
		{"market", "search", "--type", "binary"},
		{"market", "show", model},
		{"--json", "submissions", "--task", "breast-cancer"},
		{"--json", "leaderboard", "breast-cancer", "--private"},
		{"--json", "credential", "list"},
		{"--json", "market", "show", model},
		{"--json", "task", "show", "nope"},
		{"submission", "show", "nope"},
	}
	type result struct {
		code        int
		out, errOut string
	}
	local := make([]result, len(reads))
	for i, args := range reads {
		code, out, errOut := cli(t, append([]string{"--data-dir", data}, args...)...)
		local[i] = result{code, out, errOut}
	}
	localOut := func(args ...string) string {
		for i, r := range reads {
			if strings.Join(r, " ") == strings.Join(args, " ") {
				return local[i].out
			}
		}
		t.Fatalf("no local run of %v", args)
		return ""
	}
	token := strings.TrimSpace(mustCLI("--data-dir", data, "token", "create", "--name", "test"))
	base := startServe(t, data)
	t.Setenv("VERDICT_TOKEN", token)
	now := regexp.MustCompile(`"now": "[^"]*"`)
	// A refusal's message says where it came from (the engine, or the
	// server with its HTTP status): its exit code and kind are the same.
	kind := regexp.MustCompile(`"message": .*`)
	same := func(t *testing.T, how string, i int, code int, out, errOut string) {
		t.Helper()
		norm := func(s string) string { return kind.ReplaceAllString(now.ReplaceAllString(s, ""), "") }
		if code != local[i].code || norm(out) != norm(local[i].out) {
			t.Errorf("%s: exit %d\n%s%s\nwant exit %d\n%s%s", how, code, out, errOut, local[i].code, local[i].out, local[i].errOut)
		}
	}
	for i, args := range reads {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := cli(t, append(append([]string{"--data-dir", t.TempDir()}, args...), "--server", base)...)
			same(t, "--server", i, code, out, errOut)
			t.Setenv("VERDICT_TOKEN", "") // the served data dir's own token
			code, out, errOut = cli(t, append([]string{"--data-dir", data}, args...)...)
			same(t, "served data dir", i, code, out, errOut)
		})
	}

	remote := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append(append([]string{"--data-dir", t.TempDir()}, args...), "--server", base)...)
	}
	t.Run("HostActions", func(t *testing.T) {
		// task create uploads the spec and its data.test (../data/…).
		teamed := filepath.Join(filepath.Dir(spec), "teamed.yaml")
		b, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "id: breast-cancer", "id: teamed", 1) + "teams: {max_size: 2}\n"
		writeFile(t, teamed, []byte(s))
		if code, out, errOut := remote("task", "create", teamed); code != 0 || out != "teamed\n" {
			t.Fatalf("task create --server: exit %d %q %s", code, out, errOut)
		}
		if code, _, errOut := remote("task", "create", teamed); code != exitUsage || !strings.Contains(errOut, "409 exists") {
			t.Errorf("create twice: exit %d %s, want 2 and 409 exists", code, errOut)
		}
		code, out, errOut := remote("submit", "--task", "teamed", "--participant", "carol", filepath.Join(ex, d[0].Path))
		if code != 0 || !strings.Contains(out, "participant carol") || !strings.Contains(out, "status      scored") {
			t.Fatalf("submit as host: exit %d %s%s", code, out, errOut)
		}
		id := regexp.MustCompile(`submission  (\S+)`).FindStringSubmatch(out)[1]
		if code, out, _ := remote("submission", "follow", id); code != 0 || !strings.Contains(out, "submission  "+id) {
			t.Errorf("follow a scored submission: exit %d %s", code, out)
		}
		if code, out, errOut := remote("select", "--task", "teamed", "--participant", "carol", id); code != 0 || out != "carol: selected "+id+"\n" {
			t.Errorf("select: exit %d %q %s", code, out, errOut)
		}
		if code, out, errOut := remote("team", "create", "--task", "teamed", "red", "carol"); code != 0 || out != "team red: carol\n" {
			t.Errorf("team create: exit %d %q %s", code, out, errOut)
		}
		if code, out, errOut := remote("team", "create", "--task", "teamed", "blue", "dave"); code != 0 || out != "team blue: dave\n" {
			t.Errorf("team create: exit %d %q %s", code, out, errOut)
		}
		if code, out, errOut := remote("team", "merge", "--task", "teamed", "blue", "red"); code != 0 || !strings.HasPrefix(out, "team red: ") {
			t.Errorf("team merge: exit %d %q %s", code, out, errOut)
		}
		if code, out, _ := remote("team", "list", "--task", "teamed"); code != 0 || !strings.HasPrefix(out, "red\t") {
			t.Errorf("team list: exit %d %q", code, out)
		}
		if code, out, errOut := remote("task", "close", "teamed"); code != 0 || !strings.Contains(out, "teamed closed at") || !strings.Contains(out, "issuer ") {
			t.Errorf("task close: exit %d %s%s", code, out, errOut)
		}
		if code, out, errOut := remote("--json", "task", "close", "teamed"); code != exitUsage || !strings.Contains(out, `"kind": "closed"`) {
			t.Errorf("close twice: exit %d %s%s, want 2 and kind closed", code, out, errOut)
		}
		if code, _, errOut := remote("task", "promote", "teamed"); code != 0 {
			t.Errorf("task promote: exit %d %s", code, errOut)
		}
		if code, out, errOut := remote("credential", "verify", writeFile(t, filepath.Join(dir, "cred.json"), []byte(localOut("credential", "show", cred)))); code != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "not revoked") {
			t.Errorf("credential verify --server: exit %d %s%s", code, out, errOut)
		}
		// A selective disclosure, derived by the server for the host and
		// verified against its /v1/host and status list.
		code, derived, errOut := remote("credential", "derive", cred, "--reveal", "/credentialSubject/task/metric", "--nonce", "n")
		if code != 0 || !strings.Contains(derived, `"bbs-2023"`) {
			t.Fatalf("credential derive --server: exit %d %s%s", code, derived, errOut)
		}
		derivedPath := writeFile(t, filepath.Join(dir, "derived.json"), []byte(derived))
		if code, out, errOut := remote("credential", "verify", derivedPath); code != 0 || !strings.Contains(out, "selective disclosure") || !strings.Contains(out, "not revoked") {
			t.Errorf("credential verify --server of a derived credential: exit %d %s%s", code, out, errOut)
		}
		// Hidden from visitors, by the host over the API.
		if code, out, errOut := remote("credential", "hide", cred, "--reveal", "/credentialSubject/task/metric"); code != 0 || !strings.Contains(out, "hidden: visitors see") {
			t.Errorf("credential hide --server: exit %d %s%s", code, out, errOut)
		}
		bundle := filepath.Join(dir, "bundle")
		if code, out, errOut := remote("market", "export", model, bundle); code != 0 || !strings.Contains(out, "exported") {
			t.Fatalf("market export: exit %d %s%s", code, out, errOut)
		}
		// Into another server, as its host.
		_, data2 := workspace(t)
		token2 := strings.TrimSpace(mustCLI("--data-dir", data2, "token", "create"))
		base2 := startServe(t, data2)
		t.Setenv("VERDICT_TOKEN", token2)
		code, out, errOut = cli(t, "--data-dir", t.TempDir(), "market", "ingest", bundle, "--server", base2, "--allow-untrusted")
		if code != 0 || !strings.Contains(out, "ingested    "+model) {
			t.Errorf("market ingest --server: exit %d %s%s", code, out, errOut)
		}
		t.Setenv("VERDICT_TOKEN", token)
		if code, out, errOut := remote("credential", "revoke", cred, "--reason", "test"); code != 0 || !strings.Contains(out, "revoked        "+cred) {
			t.Errorf("credential revoke: exit %d %s%s", code, out, errOut)
		}
		if code, out, _ := remote("credential", "verify", filepath.Join(dir, "cred.json")); code != exitFailed || !strings.Contains(out, "NOT VERIFIED") {
			t.Errorf("verify a revoked credential: exit %d %s", code, out)
		}
		if code, out, _ := remote("credential", "verify", derivedPath); code != exitFailed || !strings.Contains(out, "revoked") {
			t.Errorf("verify a derived credential of a revoked one: exit %d %s", code, out)
		}
	})

	t.Run("ParticipantActions", func(t *testing.T) {
		key := filepath.Join(dir, "erin.key")
		did := strings.TrimSpace(mustCLI("keygen", "--out", key))
		t.Setenv("VERDICT_TOKEN", "")
		spec2 := filepath.Join(filepath.Dir(spec), "open.yaml")
		b, _ := os.ReadFile(spec)
		writeFile(t, spec2, []byte(strings.Replace(string(b), "id: breast-cancer", "id: open", 1)+"teams: {max_size: 2}\n"))
		if code, _, errOut := remote("task", "create", spec2); code != exitUsage || !strings.Contains(errOut, "401") {
			t.Errorf("a visitor creates a task: exit %d %s, want 2 and 401", code, errOut)
		}
		t.Setenv("VERDICT_TOKEN", token)
		mustCLI("--data-dir", t.TempDir(), "task", "create", spec2, "--server", base)
		t.Setenv("VERDICT_TOKEN", "")
		code, out, errOut := remote("submit", "--task", "open", "--key", key, filepath.Join(ex, d[1].Path))
		if code != 0 || !strings.Contains(out, "participant "+did) {
			t.Fatalf("signed submit: exit %d %s%s", code, out, errOut)
		}
		id := regexp.MustCompile(`submission  (\S+)`).FindStringSubmatch(out)[1]
		if code, out, _ := remote("submissions", "--task", "open", "--key", key); code != 0 || !strings.Contains(out, engine.ShortID(id)) {
			t.Errorf("own submissions: exit %d %s", code, out)
		}
		if code, out, errOut := remote("select", "--task", "open", "--key", key, id); code != 0 || out != did+": selected "+id+"\n" {
			t.Errorf("select as participant: exit %d %q %s", code, out, errOut)
		}
		if code, out, errOut := remote("selections", "--task", "open", "--key", key); code != 0 || out != did+": selected "+id+"\n" {
			t.Errorf("selections as participant: exit %d %q %s", code, out, errOut)
		}
		if code, out, errOut := remote("team", "join", "--task", "open", "green", "--key", key); code != 0 || out != "team green: "+did+"\n" {
			t.Errorf("team join as participant: exit %d %q %s", code, out, errOut)
		}
		if code, out, _ := remote("--json", "team", "merge", "--task", "open", "green", "red", "--key", key); code != exitUsage || !strings.Contains(out, "forbidden") {
			t.Errorf("a participant merges: exit %d %s, want 2 forbidden", code, out)
		}
		if code, _, errOut := remote("task", "close", "open", "--key", key); code != exitUsage || !strings.Contains(errOut, "403 forbidden") {
			t.Errorf("a participant closes: exit %d %s, want 2 and 403 forbidden", code, errOut)
		}
		if code, out, _ := remote("leaderboard", "open", "--key", key); code != 0 || !strings.Contains(out, "1     team green") {
			t.Errorf("leaderboard as participant: exit %d %s", code, out)
		}
		for _, line := range strings.Split(localOut("leaderboard", "breast-cancer")+localOut("leaderboard", "breast-cancer", "--private"), "\n") {
			if n := len([]rune(line)); n > 100 {
				t.Errorf("leaderboard line of %d columns, want at most 100: %q", n, line)
			}
		}
	})

	t.Run("LocalOnly", func(t *testing.T) {
		t.Setenv("VERDICT_TOKEN", token)
		if code, _, errOut := cli(t, "--data-dir", data, "recover"); code == 0 || !strings.Contains(errOut, "--server") {
			t.Errorf("recover on a served data dir: exit %d %s, want a refusal naming --server", code, errOut)
		}
		if code, _, errOut := remote("recover"); code != exitUsage || !strings.Contains(errOut, "--server") {
			t.Errorf("recover --server: exit %d %s, want 2 naming --server", code, errOut)
		}
		if code, _, errOut := remote("submit", "--task", "breast-cancer", "--participant", "x", "--predictions", "p.csv", filepath.Join(ex, d[0].Path)); code != exitUsage || !strings.Contains(errOut, "--predictions") {
			t.Errorf("--predictions with --server: exit %d %s", code, errOut)
		}
	})
}

// TestServedDataDir runs `verdict serve` on a relative data dir, as an
// unprivileged user would, and the CLI beside it on the same relative path:
// commands act through the server, and once it stops (its serve.json and
// serve.token removed) on the data dir again.
func TestServedDataDir(t *testing.T) {
	dir, _ := workspace(t)
	t.Chdir(dir)
	spec := filepath.Join("examples", examples.DemoTask)
	if code, _, errOut := cli(t, "--data-dir", "data", "task", "create", spec); code != 0 {
		t.Fatal(errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--data-dir", "data", "serve", "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	for !strings.Contains(stdout.String(), "listening on") {
		select {
		case code := <-exit:
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		default:
		}
		pause()
	}
	info, err := os.Stat(filepath.Join("data", serveTokenFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("serve.token: %v, mode %v; want 0600", err, info)
	}
	// A second command while the server holds the store: routed.
	code, out, errOut := cli(t, "--data-dir", "data", "task", "list")
	if code != 0 || !strings.Contains(out, "breast-cancer") {
		t.Fatalf("task list on a served data dir: exit %d %s%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "--data-dir", "data", "task", "close", "breast-cancer")
	if code != 0 || !strings.Contains(out, "breast-cancer closed at") {
		t.Fatalf("task close on a served data dir (host rights from serve.token): exit %d %s%s", code, out, errOut)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	}
	for _, f := range []string{serveFile, serveTokenFile} {
		if _, err := os.Stat(filepath.Join("data", f)); !os.IsNotExist(err) {
			t.Errorf("%s after a clean shutdown: %v, want it removed", f, err)
		}
	}
	if code, out, _ := cli(t, "--data-dir", "data", "token", "list"); code != 0 || strings.Contains(out, serveTokenName) {
		t.Errorf("the server's CLI token outlives it: %s", out)
	}
	// A stale serve.json (its process gone, nothing listening) is ignored.
	writeFile(t, filepath.Join("data", serveFile), []byte(`{"url":"http://127.0.0.1:1","pid":2147483646}`))
	if code, out, errOut := cli(t, "--data-dir", "data", "task", "list"); code != 0 || !strings.Contains(out, "breast-cancer") {
		t.Errorf("task list beside a stale serve.json: exit %d %s%s", code, out, errOut)
	}
}

// TestLockedDataDirWaits holds a data dir open as another command would
// and runs a command on it: the command says it waits, and runs once the
// store is free, instead of failing.
func TestLockedDataDirWaits(t *testing.T) {
	dir, data := workspace(t)
	if code, _, errOut := cli(t, "--data-dir", data, "task", "create", filepath.Join(dir, "examples", examples.DemoTask)); code != 0 {
		t.Fatal(errOut)
	}
	e, err := engine.Open(context.Background(), engine.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"--data-dir", data, "task", "list"}, &stdout, &stderr)
	}()
	for !strings.Contains(stderr.String(), "waiting for") {
		select {
		case code := <-done:
			t.Fatalf("task list on a locked data dir: exit %d before waiting: %s", code, stderr.String())
		default:
		}
		pause()
	}
	if !strings.Contains(stderr.String(), "--server") {
		t.Errorf("the wait line does not name --server: %q", stderr.String())
	}
	e.Close(context.Background())
	if code := <-done; code != 0 || !strings.Contains(stdout.String(), "breast-cancer") {
		t.Errorf("after the store was freed: exit %d %s%s", code, stdout.String(), stderr.String())
	}
	// A caller that gives up stops waiting, with the lock named.
	e, err = engine.Open(context.Background(), engine.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done2 := make(chan int, 1)
	go func() { done2 <- run(ctx, []string{"--data-dir", data, "task", "list"}, &syncBuffer{}, &errb) }()
	for !strings.Contains(errb.String(), "waiting for") {
		pause()
	}
	cancel()
	if code := <-done2; code == 0 || !strings.Contains(errb.String(), "store in use") || !strings.Contains(errb.String(), "gave up waiting") || strings.Count(errb.String(), "--server") < 2 {
		t.Errorf("cancelled wait: exit %d %s", code, errb.String())
	}
}

// pause lets another goroutine write while a test polls its output (no
// assertion depends on how long anything takes).
func pause() { time.Sleep(5 * time.Millisecond) }

// TestSubmitUsage: the --server flag's placeholder is URL, not a phrase
// pflag took from backquotes.
func TestSubmitUsage(t *testing.T) {
	code, out, _ := cli(t, "submit", "--help")
	if code != 0 || strings.Contains(out, "--server verdict") || !strings.Contains(out, "--server URL") {
		t.Errorf("submit --help: exit %d\n%s\nwant --server URL", code, out)
	}
}

// TestPredictionsOfDuplicate: --predictions on a module already submitted
// writes nothing (it is not run again) and says so, exit 2.
func TestPredictionsOfDuplicate(t *testing.T) {
	dir, data := workspace(t)
	ex := filepath.Join(dir, "examples")
	if code, _, errOut := cli(t, "--data-dir", data, "task", "create", filepath.Join(ex, examples.DemoTask)); code != 0 {
		t.Fatal(errOut)
	}
	model := filepath.Join(ex, examples.Demo()[1].Path)
	first, second := filepath.Join(dir, "p1.csv"), filepath.Join(dir, "p2.csv")
	if code, _, errOut := cli(t, "--data-dir", data, "submit", "--task", "breast-cancer", "--participant", "a", "--predictions", first, model); code != 0 {
		t.Fatalf("first submit: %s", errOut)
	}
	if _, err := os.Stat(first); err != nil {
		t.Fatalf("first submit wrote no predictions: %v", err)
	}
	code, out, errOut := cli(t, "--data-dir", data, "submit", "--task", "breast-cancer", "--participant", "a", "--predictions", second, model)
	if code != exitUsage || !strings.Contains(out, "duplicate") || !strings.Contains(errOut, "--predictions "+second+": nothing written: this module was already submitted") {
		t.Errorf("duplicate with --predictions: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(second); !os.IsNotExist(err) {
		t.Errorf("a file at %s: %v", second, err)
	}
}

// TestLeaderboardWidth prints adversarial rows (long names and DIDs, a
// team, a baseline, negative scores and bounds, three-digit ranks): every
// line fits 100 columns.
func TestLeaderboardWidth(t *testing.T) {
	long := strings.Repeat("x", 80)
	did := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	neg, lo, hi := -0.987654, -0.999999, -0.123456
	rows := []engine.Entry{
		{Rank: 100, Participant: did, Name: long, Score: neg, CI: &engine.Interval{Low: lo, High: hi}, Submissions: 999, Submission: "0123456789abcdef"},
		{Rank: 101, Participant: long, Team: true, Score: neg, CI: &engine.Interval{Low: lo, High: hi}, Submissions: 12, Submission: "0123456789abcdef"},
		{Participant: long, Baseline: true, Score: neg, CI: &engine.Interval{Low: lo, High: hi}, Submission: "0123456789abcdef"},
		{Rank: 102, Participant: did, Score: neg, Submission: "0123456789abcdef"},
	}
	var out strings.Builder
	g := &globals{stdout: &out}
	task := &api.Task{TaskInfo: engine.TaskInfo{ID: strings.Repeat("t", 20), Metric: "r2", HigherIsBetter: true}, PublicRows: 123456}
	printLeaderboard(g, task, rows, false)
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("%d columns, want at most 100: %q", n, line)
		}
	}
	if !strings.Contains(out.String(), "team ") || !strings.Contains(out.String(), "baseline)") || !strings.Contains(out.String(), "did:key:z6Mkh…2doK") {
		t.Errorf("got\n%s\nwant the team, the baseline and the shortened DID", out.String())
	}
}
