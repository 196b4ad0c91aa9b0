package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// newcomerLang is one language of TestNewcomer: how its project is built.
type newcomerLang struct {
	lang string
	slow bool // skipped with -short
	// own: build as the test's user, whose toolchain caches (GOCACHE,
	// npm's) are warm; the other languages build as the unprivileged user.
	own   bool
	tools func(t *testing.T) []string // make variables naming the toolchain
}

// newcomerTool returns the path of a build tool, or skips the test when it
// is missing and CI is unset; under CI a missing tool fails the test.
func newcomerTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: %s is needed: %v", name, err)
	}
	t.Skipf("%s not found (the test fails instead under CI): %v", name, err)
	return ""
}

// newcomerLangs are the languages `verdict init model` writes, with the
// toolchains internal/scaffold's TestBuildAndRun uses.
var newcomerLangs = []newcomerLang{
	{"go", false, true, func(t *testing.T) []string { return []string{"GO=" + newcomerTool(t, "go")} }},
	{"c", false, false, func(t *testing.T) []string {
		newcomerTool(t, "wasm-ld")
		return []string{"CC=" + newcomerTool(t, "clang")}
	}},
	{"rust", true, false, func(t *testing.T) []string {
		newcomerTool(t, "wasm-ld")
		rustc := os.Getenv("RUSTC") // Debian's compiler: a rustup one may lack the wasm32 target
		if rustc == "" {
			rustc = newcomerTool(t, "/usr/bin/rustc")
		}
		return []string{"RUSTC=" + rustc}
	}},
	{"assemblyscript", true, true, func(t *testing.T) []string {
		newcomerTool(t, "npx")
		return []string{"NPM=" + newcomerTool(t, "npm")}
	}},
}

// newcomerReadme is where the participant's commands below are written for
// people: TestNewcomer fails if a command it runs is not there verbatim.
const newcomerReadme = "../../README.md"

// TestNewcomer is issue 14's newcomer, end to end with the real binary and
// nothing but the CLI: a host serves a data dir and creates a task over
// HTTP; one participant per language inits a model project, builds it
// with its Makefile, tries it locally, checks it against the server,
// submits it signed, follows it and selects it; the host closes the task
// and gets the credentials; each participant verifies theirs, exports the
// model, and a buyer ingests it into another data dir and predicts with
// it. The participant's commands are the README's walkthrough, word for
// word ($S, $TASK, $ID, $CRED and $ISSUER filled in): the test checks the
// README holds each one. Every verdict command runs as an unprivileged
// user (as TestWalkthroughUnprivileged) on relative paths; so do the C and
// Rust builds.
func TestNewcomer(t *testing.T) {
	readme, err := os.ReadFile(newcomerReadme)
	if err != nil {
		t.Fatal(err)
	}
	cred := unprivileged(t)
	var langs []newcomerLang
	vars := map[string][]string{}
	for _, l := range newcomerLangs {
		if l.slow && testing.Short() {
			continue
		}
		vars[l.lang] = l.tools(t)
		langs = append(langs, l)
	}
	makeBin := newcomerTool(t, "make")

	ws, err := os.MkdirTemp("", "verdict-newcomer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(ws) })
	bin, err := os.ReadFile(verdictBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	binDir := filepath.Join(ws, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(binDir, "verdict"), bin)
	if err := os.Chmod(filepath.Join(binDir, "verdict"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The host's files: a held-out set drawn from the starter models'
	// own logistic regression, so that they score well above chance.
	if err := os.Mkdir(filepath.Join(ws, "host"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(ws, "host", "test.csv"), newcomerRows(300))
	writeFile(t, filepath.Join(ws, "host", "task.yaml"), []byte(`id: newcomer
title: A newcomer's task
type: binary
metric: roc_auc
data: {test: test.csv, id: id, label: label}
split: {public_fraction: 0.5, seed: "the host keeps this one secret"}
gates: {min_score: 0.6, valid_outputs: true}
promote_top: 4
`))
	chown := func(p string) {
		t.Helper()
		if cred == nil {
			return
		}
		err := filepath.Walk(p, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, int(cred.Uid), int(cred.Gid))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	chown(ws)
	if err := os.Chmod(ws, 0o755); err != nil {
		t.Fatal(err)
	}

	userEnv := []string{"HOME=" + ws, "PATH=" + binDir + ":/usr/bin:/bin", "TMPDIR=" + os.TempDir()}
	command := func(dir string, env []string, args ...string) *exec.Cmd {
		name := args[0]
		if name == "verdict" { // what PATH finds for the user
			name = filepath.Join(binDir, "verdict")
		}
		cmd := exec.Command(name, args[1:]...)
		cmd.Dir = filepath.Join(ws, dir)
		cmd.Env = append(append([]string{}, userEnv...), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		return cmd
	}
	values := map[string]string{}
	// expand turns a README line into arguments: fields, with $NAME
	// replaced by its value, and a trailing "> FILE" returned apart.
	expand := func(line string) (args []string, out string) {
		t.Helper()
		fs := strings.Fields(line)
		if n := len(fs); n > 2 && fs[n-2] == ">" {
			fs, out = fs[:n-2], fs[n-1]
		}
		for _, f := range fs {
			if strings.HasPrefix(f, "$") {
				v, ok := values[f[1:]]
				if !ok {
					t.Fatalf("%q: no value for %s yet", line, f)
				}
				f = v
			}
			args = append(args, f)
		}
		return args, out
	}
	// run runs a command line in dir as the unprivileged user, and
	// returns its stdout, failing the test unless it exits with want.
	run := func(dir string, env []string, want int, line string) string {
		t.Helper()
		args, outFile := expand(line)
		cmd := command(dir, env, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if code != want {
			t.Fatalf("%s (in %s): exit %d, want %d\n%s%s", line, dir, code, want, stdout.String(), stderr.String())
		}
		if outFile != "" {
			p := filepath.Join(ws, dir, outFile)
			writeFile(t, p, []byte(stdout.String()))
			chown(p)
		}
		return stdout.String()
	}
	// readmeRun runs a command the README gives (the participant's
	// walkthrough, the host's commands beside a server) as it is written.
	readmeRun := func(dir string, env []string, line string) string {
		t.Helper()
		if !strings.Contains(string(readme), line) {
			t.Errorf("README.md has no line %q: keep it and TestNewcomer in step", line)
		}
		return run(dir, env, 0, line)
	}
	participant := func(dir, line string) string {
		t.Helper()
		return readmeRun(dir, nil, line)
	}

	// The host serves the data dir, ./verdict-data in host/.
	serve := command("host", nil, "verdict", "serve", "--addr", "127.0.0.1:0")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	serve.Stderr = io.Discard
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	t.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve after SIGTERM: %v", err)
			}
		case <-time.After(time.Minute):
			serve.Process.Kill()
			<-done
			t.Errorf("serve did not stop within a minute of SIGTERM")
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			values["S"] = m[1]
			break
		}
	}
	if values["S"] == "" {
		t.Fatal("serve never listened")
	}
	go io.Copy(io.Discard, stdout)

	// The host makes a token beside the server (DATA_DIR/tokens, which
	// the server reads) and, as from any other machine, creates the task
	// over HTTP.
	token := strings.TrimSpace(readmeRun("host", nil, "verdict token create"))
	if !strings.HasPrefix(token, "vdt_") {
		t.Fatalf("token create printed %q, want a vdt_ token", token)
	}
	host := []string{"VERDICT_TOKEN=" + token}
	if got := readmeRun("host", host, "verdict task create task.yaml --server $S"); strings.TrimSpace(got) != "newcomer" {
		t.Fatalf("task create --server printed %q, want the task id", got)
	}
	values["TASK"] = "newcomer"
	if got := participant(".", "verdict task show $TASK --server $S"); !strings.Contains(got, "x0") || !strings.Contains(got, "x2") {
		t.Errorf("task show lacks the features x0..x2:\n%s", got)
	}

	type entrant struct {
		lang, dir, did, id string
		public             float64
	}
	var entrants []*entrant
	for _, l := range langs {
		e := &entrant{lang: l.lang, dir: l.lang + "-model"}
		entrants = append(entrants, e)
		// The README's line is for Go; each language gets its own directory.
		if !strings.Contains(string(readme), "verdict init model --lang go my-model") {
			t.Errorf("README.md has no line %q", "verdict init model --lang go my-model")
		}
		if got := run(".", nil, 0, "verdict init model --lang "+l.lang+" "+e.dir); !strings.Contains(got, "Makefile") ||
			!strings.Contains(got, "verdict keygen --out me.key") || !strings.Contains(got, "verdict check model.wasm") {
			t.Errorf("%s: init printed no Makefile, keygen or check step:\n%s", l.lang, got)
		}
		buildAs := func(target string) {
			t.Helper()
			args := append([]string{makeBin, target}, vars[l.lang]...)
			cmd := command(e.dir, nil, args...)
			if l.own {
				cmd.Env = append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"))
				cmd.SysProcAttr = nil
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: make %s: %v\n%s", l.lang, target, err, out)
			}
		}
		if !strings.Contains(string(readme), "make          # model.wasm") || !strings.Contains(string(readme), "make try      #") {
			t.Errorf("README.md lacks the walkthrough's make and make try lines")
		}
		buildAs("all")
		buildAs("try")
		e.did = strings.TrimSpace(participant(e.dir, "verdict keygen --out me.key"))
		if !strings.HasPrefix(e.did, "did:key:z6Mk") {
			t.Fatalf("%s: keygen printed %q, want a did:key", l.lang, e.did)
		}
		// The key lives in the project: its .gitignore keeps it out of git.
		if ignore, err := os.ReadFile(filepath.Join(ws, e.dir, ".gitignore")); err != nil || !regexp.MustCompile(`(?m)^\*\.key$`).Match(ignore) {
			t.Errorf("%s: .gitignore: got %q (%v), want a line *.key", l.lang, ignore, err)
		}
		for _, line := range []string{
			"verdict check model.wasm --task $TASK --server $S",
			"verdict check model.wasm --task $TASK --server $S --sample sample/rows.csv",
		} {
			if got := participant(e.dir, line); !strings.Contains(got, "every check passed") {
				t.Errorf("%s: %s:\n%s", l.lang, line, got)
			}
		}
		got := participant(e.dir, "verdict submit --task $TASK --key me.key --server $S model.wasm")
		m := regexp.MustCompile(`(?m)^submission\s+(\S+)$`).FindStringSubmatch(got)
		if m == nil || !strings.Contains(got, "scored") || !strings.Contains(got, e.did) {
			t.Fatalf("%s: submit printed no scored submission of %s:\n%s", l.lang, e.did, got)
		}
		e.id, values["ID"] = m[1], m[1]
		got = participant(e.dir, "verdict submission follow $ID --key me.key --server $S")
		if !strings.Contains(got, e.id) || !strings.Contains(got, "scored") {
			t.Errorf("%s: follow:\n%s", l.lang, got)
		}
		var sub struct {
			Status string
			Scores struct{ Public *float64 }
		}
		if err := json.Unmarshal([]byte(run(e.dir, nil, 0, "verdict --json submission show $ID --key me.key --server $S")), &sub); err != nil || sub.Scores.Public == nil {
			t.Fatalf("%s: submission show --json: %v, %+v", l.lang, err, sub)
		}
		e.public = *sub.Scores.Public
		values["ID"] = engine.ShortID(e.id) // the short form is enough
		if got := participant(e.dir, "verdict select --task $TASK --key me.key --server $S $ID"); !strings.Contains(got, "selected "+e.id) {
			t.Errorf("%s: select by short id printed %q, want the full id selected", l.lang, got)
		}
	}
	// The starter models are one logistic regression in every language:
	// one ROC AUC (it ranks, so the last bits of exp cannot move it).
	for _, e := range entrants[1:] {
		if e.public != entrants[0].public {
			t.Errorf("public score: %s %v, %s %v, want equal", e.lang, e.public, entrants[0].lang, entrants[0].public)
		}
	}
	if entrants[0].public < 0.6 {
		t.Errorf("public score %v, want the generating model's (well above 0.6)", entrants[0].public)
	}

	// The host closes the task over HTTP and gets the credentials: one
	// "certified #RANK DID urn:uuid:…" line a place, then the issuer.
	closed := readmeRun("host", host, "verdict task close $TASK --server $S")
	credOf := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^certified\s+#\d+\s+(did:key:\S+)\s+(urn:uuid:\S+)$`).FindAllStringSubmatch(closed, -1) {
		credOf[m[1]] = m[2]
	}
	issuer := regexp.MustCompile(`(?m)^issuer\s+(did:key:\S+)$`).FindStringSubmatch(closed)
	if len(credOf) != len(entrants) || issuer == nil {
		t.Fatalf("task close: got %d certified places and issuer %q, want %d (every gate passes) and a did:key:\n%s", len(credOf), issuer, len(entrants), closed)
	}
	values["ISSUER"] = issuer[1]
	var first [][]string
	for _, e := range entrants {
		id, ok := credOf[e.did]
		if !ok {
			t.Fatalf("%s: no credential for %s", e.lang, e.did)
		}
		values["CRED"] = id
		if got := participant(e.dir, "verdict credential list --task $TASK --server $S"); !strings.Contains(got, strings.TrimPrefix(id, "urn:uuid:")[:8]) {
			t.Errorf("%s: credential list lacks %s:\n%s", e.lang, id, got)
		}
		participant(e.dir, "verdict credential show $CRED --server $S > me.vc.json")
		if got := participant(e.dir, "verdict credential verify me.vc.json --module model.wasm --issuer $ISSUER"); !strings.Contains(got, "VERIFIED") || !strings.Contains(got, e.did) {
			t.Errorf("%s: verify offline:\n%s", e.lang, got)
		}
		if got := participant(e.dir, "verdict credential verify me.vc.json --server $S"); !strings.Contains(got, "not revoked") {
			t.Errorf("%s: verify against the server's status list:\n%s", e.lang, got)
		}
		values["CRED"] = strings.TrimPrefix(id, "urn:uuid:")[:8]
		if got := run(e.dir, nil, 0, "verdict market export $CRED bundle --server $S"); !strings.Contains(got, "exported") {
			t.Errorf("%s: market export:\n%s", e.lang, got)
		}
		// A buyer: another data dir, ingesting the bundle and predicting
		// with it on the sample rows.
		// Its operator trusts the host first (ingest refuses an unknown issuer).
		run(e.dir, nil, 0, "verdict --data-dir buyer market trust add $ISSUER --name host --since 2020-01-01T00:00:00Z")
		if got := run(e.dir, nil, 0, "verdict --data-dir buyer market ingest bundle --issuer $ISSUER"); !strings.Contains(got, "ingested") {
			t.Errorf("%s: market ingest:\n%s", e.lang, got)
		}
		run(e.dir, nil, 0, "verdict --data-dir buyer market predict $CRED sample/rows.csv --out bought.csv")
		// What make try's submission predicted on the same rows, with the
		// same module: the bought model's predictions, to the bit.
		bought := readRecords(t, filepath.Join(ws, e.dir, "bought.csv"))
		tried := readRecords(t, filepath.Join(ws, e.dir, "predictions.csv"))
		if fmt.Sprint(bought) != fmt.Sprint(tried) {
			t.Errorf("%s: the ingested model predicted\n%v\nmake try's submission\n%v", e.lang, bought, tried)
		}
		if len(bought) != 25 {
			t.Errorf("%s: got %d prediction records, want a header and 24 rows", e.lang, len(bought))
		}
		if first == nil {
			first = bought
			continue
		}
		for i := 1; i < min(len(bought), len(first)); i++ {
			a, _ := strconv.ParseFloat(first[i][1], 64)
			b, err := strconv.ParseFloat(bought[i][1], 64)
			if err != nil || math.Abs(a-b) > 1e-12 {
				t.Errorf("%s: row %s: got %s, %s predicted %s", e.lang, bought[i][0], bought[i][1], entrants[0].lang, first[i][1])
			}
		}
	}
}

// newcomerRows is a held-out set of n rows of the starter models' three
// features, each label drawn from their logistic regression,
// P(1) = 1/(1+exp(-(0.1 + 0.8 x0 - 0.5 x1 + 0.3 x2))), with a fixed
// generator (so the same every run).
func newcomerRows(n int) []byte {
	var b strings.Builder
	b.WriteString("id,x0,x1,x2,label\n")
	s := uint64(14)
	next := func() float64 { // splitmix64, in [0, 1)
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return float64((z^z>>31)>>11) / (1 << 53)
	}
	for i := range n {
		x := [3]float64{}
		for j := range x {
			x[j] = math.Round((next()*6-3)*100) / 100
		}
		p := 1 / (1 + math.Exp(-(0.1 + 0.8*x[0] - 0.5*x[1] + 0.3*x[2])))
		label := 0
		if next() < p {
			label = 1
		}
		fmt.Fprintf(&b, "n%03d,%g,%g,%g,%d\n", i, x[0], x[1], x[2], label)
	}
	return []byte(b.String())
}

func readRecords(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}
