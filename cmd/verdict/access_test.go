package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// cliStep is one command of an access test and what it must print.
// keygen makes name.key in the working directory and returns its did:key.
func keygen(t *testing.T, name string) string {
	t.Helper()
	code, stdout, stderr := cli(t, "keygen", "--out", name+".key")
	if code != 0 {
		t.Fatalf("keygen %s: %s", name, stderr)
	}
	for f := range strings.FieldsSeq(stdout) {
		if strings.HasPrefix(f, "did:key:") {
			return f
		}
	}
	t.Fatalf("keygen %s: no did:key in %q", name, stdout)
	return ""
}

// TestCLIAccess admits, revokes, invites and joins on an invite-only
// task, on the data dir.
func TestCLIAccess(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "test.csv"), src)
	writeFile(t, filepath.Join(dir, "model.wasm"), sandboxtest.Wasm(sandboxtest.Linear))
	writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: guild\ntype: regression\nmetric: rmse\ndata: {test: test.csv}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\naccess: {mode: invite}\n"))
	t.Chdir(dir)
	ada, bob, cy := keygen(t, "ada"), keygen(t, "bob"), keygen(t, "cy")
	d := "--data-dir=data"
	out := runSteps(t, []cliStep{
		{"CreateTask", []string{d, "task", "create", "task.yaml"}, 0, []string{"guild"}, nil},
		{"Show", []string{d, "task", "show", "guild"}, 0, []string{"access    invite-only; listed: visitors see that it exists"}, nil},
		{"SubmitRefused", []string{d, "submit", "--task", "guild", "--participant", ada, "model.wasm"}, 2, nil,
			[]string{`task "guild" is invite-only: ` + ada + ` is not admitted; ask the host for an invitation`}},
		{"AdmitName", []string{d, "task", "admit", "guild", "ada"}, 2, nil, []string{`"ada" is not a did:key`}},
		{"Admit", []string{d, "task", "admit", "guild", ada, "--reason", "roster"}, 0, []string{"guild: admitted " + ada}, nil},
		{"Submit", []string{d, "submit", "--task", "guild", "--participant", ada, "model.wasm"}, 0, nil, nil},
		{"Admissions", []string{d, "task", "admissions", "guild"}, 0, []string{ada, "host"}, nil},
		{"Revoke", []string{d, "task", "revoke-access", "guild", ada}, 0, []string{"guild: revoked " + ada}, nil},
		{"Invite", []string{d, "task", "invite", "guild", "--count", "2", "--expires", "72h"}, 0, nil, []string{"2 single-use code(s) for guild", "shown only now"}},
	})
	codes := strings.Fields(out["Invite"])
	if len(codes) != 2 || len(codes[0]) != 32 {
		t.Fatalf("invite printed %q, want two 32-digit codes", out["Invite"])
	}
	runSteps(t, []cliStep{
		{"JoinNoKey", []string{d, "task", "join", "guild", codes[0]}, 2, nil, []string{"give --key FILE"}},
		{"Join", []string{d, "task", "join", "guild", codes[0], "--key", "bob.key"}, 0, []string{"guild: admitted " + bob}, nil},
		{"JoinTaken", []string{d, "task", "join", "guild", codes[0], "--key", "cy.key"}, 2, nil,
			[]string{`invitation code for task "guild": already redeemed by another participant; each code admits one`}},
		{"Audit", []string{d, "task", "audit", "guild"}, 0, []string{"admit", "roster", "revoke-access", "invite", "redeem", bob}, nil},
	})
	_ = cy
}

// TestCLIAccessServer runs the same verbs through a running server with
// --server: the host's with its token, the join signed with --key.
func TestCLIAccessServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server; -short skips it")
	}
	dir := t.TempDir()
	src, err := os.ReadFile("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "test.csv"), src)
	writeFile(t, filepath.Join(dir, "model.wasm"), sandboxtest.Wasm(sandboxtest.Linear))
	writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: guild\ntype: regression\nmetric: rmse\ndata: {test: test.csv}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\naccess: {mode: invite, listed: false}\n"))
	t.Chdir(dir)
	ada, bob := keygen(t, "ada"), keygen(t, "bob")
	keygen(t, "cy")
	if code, _, stderr := cli(t, "--data-dir=data", "task", "create", "task.yaml"); code != 0 {
		t.Fatalf("task create: %s", stderr)
	}
	url := startServe(t, filepath.Join(dir, "data"))
	token, err := os.ReadFile(filepath.Join(dir, "data", "serve.token"))
	if err != nil {
		t.Fatal(err)
	}
	srv := "--server=" + url
	t.Setenv("VERDICT_TOKEN", strings.TrimSpace(string(token)))
	out := runSteps(t, []cliStep{
		{"Admit", []string{srv, "task", "admit", "guild", ada}, 0, []string{"guild: admitted " + ada}, nil},
		{"Invite", []string{srv, "task", "invite", "guild", "--count", "1"}, 0, nil, []string{"1 single-use code(s) for guild, valid until the task closes"}},
		{"Admissions", []string{srv, "--json", "task", "admissions", "guild"}, 0, []string{ada}, nil},
	})
	code := strings.TrimSpace(out["Invite"])
	t.Setenv("VERDICT_TOKEN", "")
	runSteps(t, []cliStep{
		{"OutsiderSeesNothing", []string{srv, "task", "show", "guild", "--key", "cy.key"}, 2, nil, []string{`task "guild" not found`}},
		{"OutsiderBoard", []string{srv, "leaderboard", "guild", "--key", "cy.key"}, 2, nil, []string{`task "guild" not found`}},
		{"AnonymousList", []string{srv, "task", "list"}, 0, nil, nil},
		{"Join", []string{srv, "task", "join", "guild", code, "--key", "bob.key"}, 0, []string{"guild: admitted " + bob}, nil},
		{"JoinTaken", []string{srv, "task", "join", "guild", code, "--key", "cy.key"}, 2, nil, []string{"already redeemed by another participant"}},
		{"JoinedSees", []string{srv, "task", "show", "guild", "--key", "bob.key"}, 0, []string{"access    invite-only; unlisted: hidden from visitors not admitted"}, nil},
		{"JoinedSubmits", []string{srv, "submit", "--task", "guild", "--key", "bob.key", "model.wasm"}, 0, nil, nil},
	})
	if _, stdout, _ := cli(t, srv, "task", "list"); strings.Contains(stdout, "guild") {
		t.Errorf("an anonymous task list shows the unlisted task:\n%s", stdout)
	}
}

// TestCLIJoinByCredential joins a task that trusts a university's student
// credentials: on the data dir, and through a server with --server.
func TestCLIJoinByCredential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server; -short skips it")
	}
	dir := t.TempDir()
	src, err := os.ReadFile("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ada, bob := keygen(t, "ada"), keygen(t, "bob")
	uni, err := credential.NewKeyPair(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{ada, bob} {
		doc, _ := json.Marshal(map[string]any{
			"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiableCredential", "StudentCredential"},
			"issuer": uni.DID(), "credentialSubject": map[string]string{"id": who},
		})
		vc, err := credential.Sign(doc, uni, credential.ProofOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, who[len(who)-6:]+".vc.json", vc)
	}
	writeFile(t, "test.csv", src)
	writeFile(t, "task.yaml", []byte("id: campus\ntype: regression\nmetric: rmse\ndata: {test: test.csv}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\naccess:\n  mode: invite\n  credentials:\n    - type: StudentCredential\n      issuers: [\""+uni.DID()+"\"]\n"))
	d := "--data-dir=data"
	adaVC, bobVC := ada[len(ada)-6:]+".vc.json", bob[len(bob)-6:]+".vc.json"
	runSteps(t, []cliStep{
		{"CreateTask", []string{d, "task", "create", "task.yaml"}, 0, nil, nil},
		{"Neither", []string{d, "task", "join", "campus", "--key", "ada.key"}, 2, nil, []string{"give either an invitation CODE or --credential FILE"}},
		{"OthersCredential", []string{d, "task", "join", "campus", "--credential", adaVC, "--key", "bob.key"}, 2, nil,
			[]string{`admission by credential to task "campus": the credential's subject is not ` + bob + `, who presents it`}},
		{"Local", []string{d, "task", "join", "campus", "--credential", adaVC, "--key", "ada.key"}, 0, []string{"campus: admitted " + ada}, nil},
	})
	url := startServe(t, filepath.Join(dir, "data"))
	runSteps(t, []cliStep{
		{"Server", []string{"--server=" + url, "task", "join", "campus", "--credential", bobVC, "--key", "bob.key"}, 0, []string{"campus: admitted " + bob}, nil},
		{"Audit", []string{d, "task", "audit", "campus"}, 0, []string{"admit-by-credential", ada, bob}, nil},
	})
}
