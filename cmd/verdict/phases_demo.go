package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/examples"
)

// phasesDevRows is how many rows of the shipped test data the development
// phase of `verdict demo --phases` scores on; the final phase has the
// others, which nobody sees before the end (the memorizer example knows
// the labels of exactly these: examples/breast-cancer/memorizer/seen.csv).
const phasesDevRows = 100

// phasesSpec is the demo's two-phase, invite-only task; %s and %s are
// alice's and bob's did:keys.
const phasesSpec = `# The contest of ` + "`verdict demo --phases`" + `: invite-only, a development
# phase on 100 rows, then a final phase whose 71 rows nobody sees: every
# entrant's final selection is re-run on them, and the final board is decided there.
id: breast-cancer-phases
title: Breast cancer diagnosis, a two-phase invite-only contest
type: binary
metric: roc_auc
data: {test: dev.csv, id: id, label: target}
split: {public_fraction: 0.3, seed: "phases-demo-seed-2026"}
limits: {memory_mb: 256, timeout_s: 30, max_module_mb: 64, daily_limit: 3}
final_selections: 1
gates: {min_score: 0.9}
access:
  mode: invite
  participants: [%s, %s]
phases:
  - {id: development, name: Development, schedule: {start: "2026-03-02T00:00:00Z"}}
  - id: final
    name: Final
    final: true
    data: {test: final.csv}
    schedule: {start: "2026-03-09T00:00:00Z", end: "2026-03-11T00:00:00Z"}
`

// demoKey is a demo participant's key, the same in every run.
func demoKey(name string) credential.KeyPair {
	seed := sha256.Sum256([]byte("verdict demo --phases: " + name))
	k, err := credential.NewKeyPair(seed[:])
	if err != nil {
		panic(err) // a 32-byte seed is always valid
	}
	return k
}

// writePhaseData splits the shipped test data into the development rows
// and the final ones, each a CSV with the header, in dir.
func writePhaseData(dir string) error {
	b, err := fs.ReadFile(examples.FS, "data/breast_cancer_test.csv")
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(strings.TrimRight(string(b), "\n")+"\n", "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	head, rows := lines[0], lines[1:]
	if len(rows) <= phasesDevRows {
		return fmt.Errorf("the shipped test data has %d rows, the demo needs more than %d", len(rows), phasesDevRows)
	}
	for name, part := range map[string][]string{"dev.csv": rows[:phasesDevRows], "final.csv": rows[phasesDevRows:]} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(head+strings.Join(part, "")), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// playPhases is `verdict demo --phases`: a two-phase invite-only contest
// on a simulated clock.
func playPhases(ctx context.Context, g *globals, work, dataDir string, keep bool) error {
	clk := &simClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e, err := engine.Open(ctx, engine.Config{DataDir: dataDir, CacheDir: os.Getenv("VERDICT_CACHE_DIR"), Now: clk.Now})
	if err != nil {
		return err
	}
	defer e.Close(ctx)
	w := g.stdout
	say := func(format string, args ...any) {
		if !g.json {
			fmt.Fprintf(w, format, args...)
		}
	}
	start := time.Now()
	dir := filepath.Join(work, "examples", "breast-cancer", "phases")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writePhaseData(dir); err != nil {
		return err
	}
	keys := map[string]credential.KeyPair{}
	for _, who := range []string{"alice", "bob", "mallory", "eve"} {
		keys[who] = demoKey(who)
	}
	specPath := filepath.Join(dir, "task.yaml")
	if err := os.WriteFile(specPath, fmt.Appendf(nil, phasesSpec, keys["alice"].DID(), keys["bob"].DID()), 0o644); err != nil {
		return err
	}
	model := map[string][]byte{}
	for who, path := range map[string]string{"alice": "breast-cancer/go-logreg/model.wasm", "bob": "breast-cancer/c-model/model.wasm",
		"mallory": "breast-cancer/memorizer/model.wasm", "eve": "breast-cancer/go-logreg/model.wasm"} {
		if model[who], err = fs.ReadFile(examples.FS, path); err != nil {
			return fmt.Errorf("read example %s: %w", path, err)
		}
	}

	say("verdict demo --phases: a two-phase invite-only contest on a simulated clock (data dir %s)\n", dataDir)
	host := engine.WithActor(ctx, engine.Actor{Who: "host", Why: "the demo's script"})
	t, err := e.CreateTask(host, specPath)
	if err != nil {
		return err
	}
	id := t.Spec.ID
	at := func(s string) {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		clk.Set(tm)
		say("\n── %s ──\n", tm.Format("Mon 2 Jan 15:04 MST"))
	}
	subs := map[string]*engine.Submission{}
	submit := func(who, what string) {
		clk.Set(clk.Now().Add(time.Minute))
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: id, Participant: keys[who].DID(), Name: who, Module: model[who]})
		switch {
		case err != nil:
			say("%-8s submits %s: REFUSED: %v\n", who, what, err)
			return
		case sub.Failed():
			say("%-8s submits %s: FAILED (%s)\n", who, what, sub.Error.Kind)
			return
		}
		subs[who] = sub
		say("%-8s submits %s: %s, public %s %s\n", who, what, short(sub.ID), t.Spec.Metric, formatScore(*sub.Scores.Public))
	}
	say("host     creates %q, invite-only: alice and bob are admitted by did:key\n", id)
	ps, err := e.Phases(id, engine.Host)
	if err != nil {
		return err
	}
	for _, p := range ps {
		say("         phase %-11s %s → %s; submissions: %v; own data: %v\n", p.ID, p.Start.Format(time.DateOnly), fmtEnd(p.End), p.Submissions, p.OwnData)
	}

	inv, err := e.Invite(host, id, 1, 0)
	if err != nil {
		return err
	}
	say("host     makes one single-use invitation code and sends it to mallory\n")
	if err := e.Redeem(ctx, id, inv[0].Code, keys["mallory"].DID()); err != nil {
		return err
	}
	say("mallory  redeems it (a signed request): she is admitted\n")
	if err := e.Redeem(ctx, id, inv[0].Code, keys["eve"].DID()); err != nil {
		say("eve      tries the same code: REFUSED: %v\n", err)
	}

	at("2026-03-02T09:00:00Z")
	submit("mallory", "a model that memorised the development labels")
	submit("alice", "logistic regression")
	submit("bob", "naive Bayes")
	submit("eve", "logistic regression") // not admitted

	at("2026-03-05T18:00:00Z")
	for _, who := range []string{"bob", "mallory"} {
		if s := subs[who]; s != nil {
			if err := e.Select(id, keys[who].DID(), []string{s.ID}); err != nil {
				return err
			}
			say("%-8s selects %s as the submission for the final phase\n", who, short(s.ID))
		}
	}
	say("alice    selects nothing: her best public submission stands in\n")
	alice := engine.Viewer{Participant: keys["alice"].DID()}
	dev, err := e.Leaderboard(id, alice, false)
	if err != nil {
		return err
	}
	if !g.json {
		fmt.Fprintln(w)
		printLeaderboard(g, demoTask(t), dev, false)
	}

	at("2026-03-09T00:00:00Z")
	// verdict serve does this in the background when it notices the
	// phase's start; verdict task phase does it on demand.
	if ps, err = e.SettlePhases(host, id); err != nil {
		return err
	}
	final := ps[len(ps)-1]
	say("the schedule enters the final phase: %d final selections frozen and re-run, uncharged, on the %s rows nobody has seen\n",
		final.Rerun.Selections, "final phase's")
	submit("alice", "logistic regression again")
	if _, err := e.Leaderboard(id, alice, true); errors.Is(err, engine.ErrForbidden) {
		say("alice    asks for the final board: refused until the final phase ends; the public board is still the development one\n")
	}

	at("2026-03-11T00:00:00Z")
	// The certifier does this in the background once the task is seen
	// closed; Certification reads its outcome (or makes it now).
	promos, err := e.Certification(host, id)
	if err != nil {
		return err
	}
	say("the final phase ends: the task closes and the final board is certified\n")
	fin, err := e.Leaderboard(id, alice, true)
	if err != nil {
		return err
	}
	trail, err := e.AuditTrail(id, alice)
	if err != nil {
		return err
	}
	if g.json {
		return g.emit(map[string]any{"task": t.Info(), "phases": ps, "development": dev, "final": fin, "promotions": promos, "audit": trail})
	}
	fmt.Fprintln(w)
	closed, err := e.Task(id)
	if err != nil {
		return err
	}
	closed.DevDatasetSHA256 = "" // closed: the final board's part may be told
	printLeaderboard(g, demoTask(closed), fin, true)
	for _, p := range promos {
		cert := "not certified (a gate failed)"
		if p.Credential != nil {
			cert = "certified: " + p.Credential.ID
		}
		say("#%d %s: %s\n", p.Rank, nameOf(fin, p.Participant), cert)
	}
	say("\nthe audit trail, as participants read it:\n")
	var buf bytes.Buffer
	for _, a := range trail {
		fmt.Fprintf(&buf, "  %s  %-8s %s\n", a.Time.Format("Jan 2 15:04"), a.Action, a.Summary)
	}
	say("%s", buf.String())
	say("\nthe final board differs from the development board: %v (mallory's memorised answers are worth a coin toss on unseen rows)\n",
		!sameOrder(dev, fin))
	say("done in %.1f s\n", time.Since(start).Seconds())
	if keep {
		say("explore it: verdict --data-dir %s task phase %s\n", dataDir, id)
	}
	return nil
}

func fmtEnd(t time.Time) string {
	if t.IsZero() {
		return "the host's close"
	}
	return t.Format(time.DateOnly)
}

// nameOf is a participant's display name on a board.
func nameOf(board []engine.Entry, participant string) string {
	for _, en := range board {
		if en.Participant == participant && en.Name != "" {
			return en.Name
		}
	}
	return participant
}
