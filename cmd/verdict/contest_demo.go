package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
)

// contestSpec is examples/breast-cancer/contest.yaml (a test keeps the two
// equal): the demo task run as a one-week contest.
const contestSpec = `# The contest of ` + "`verdict demo --contest`" + ` (make contest): the demo task run
# as a one-week competition with limits, final selections and teams.
id: breast-cancer-contest
title: Breast cancer diagnosis, a one-week contest
type: binary
metric: roc_auc
data:
  test: ../data/breast_cancer_test.csv
  id: id
  label: target
# A published seed keeps the demo reproducible; a real task leaves it out
# (a random secret is made) or keeps a 16+ byte one secret.
split: {public_fraction: 0.3, seed: "contest-31"}
limits: {memory_mb: 256, timeout_s: 30, max_module_mb: 64, daily_limit: 2, total_limit: 10}
schedule: {start: "2026-03-02T00:00:00Z", end: "2026-03-09T00:00:00Z"}
final_selections: 2
teams: {max_size: 3, merge_deadline: "2026-03-06T00:00:00Z"}
leaderboard: {mode: best}
`

// simClock is the contest's simulated clock: it moves only when the script
// says, so the demo is deterministic and takes no real time.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// playContest is `verdict demo --contest`.
func playContest(ctx context.Context, g *globals, work, dataDir string, keep bool) error {
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
	specPath := filepath.Join(work, "examples", "breast-cancer", "contest.yaml")
	if err := os.WriteFile(specPath, []byte(contestSpec), 0o644); err != nil {
		return err
	}
	model := map[string][]byte{}
	for _, d := range examples.Demo() {
		b, err := fs.ReadFile(examples.FS, d.Path)
		if err != nil {
			return fmt.Errorf("read example %s: %w", d.Path, err)
		}
		model[d.Participant] = b
	}
	logreg, nb, broken := model["alice"], model["bob"], model["carol"]

	say("verdict demo --contest: a one-week contest on a simulated clock (data dir %s)\n", dataDir)
	t, err := e.CreateTask(ctx, specPath)
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
	var subs []*engine.Submission
	submit := func(who, what string, module []byte, baseline bool) *engine.Submission {
		clk.Set(clk.Now().Add(time.Minute))
		sub, err := e.Submit(ctx, engine.SubmitRequest{Task: id, Participant: who, Module: module, Baseline: baseline})
		var qe *engine.QuotaError
		switch {
		case errors.As(err, &qe), errors.Is(err, engine.ErrNotOpen), errors.Is(err, engine.ErrClosed):
			say("%-9s submits %s: REFUSED: %v\n", who, what, err)
			return nil
		case err != nil:
			say("%-9s submits %s: error: %v\n", who, what, err)
			return nil
		}
		subs = append(subs, sub)
		team := ""
		if sub.Team != "" {
			team = " for team " + sub.Team
		}
		switch {
		case sub.Duplicate:
			say("%-9s submits %s%s: already submitted as %s, earlier result returned, not charged\n", who, what, team, short(sub.ID))
		case sub.Failed():
			say("%-9s submits %s%s: FAILED (%s), counts toward the limit\n", who, what, team, sub.Error.Kind)
		case baseline:
			say("%-9s submits %s as a baseline: public %s (not ranked, not charged)\n", who, what, formatScore(*sub.Scores.Public))
		default:
			say("%-9s submits %s%s: %s, public %s %s\n", who, what, team, short(sub.ID), t.Spec.Metric, formatScore(*sub.Scores.Public))
		}
		return sub
	}
	say("host      creates %q: %s\n", id, t.Spec.Title)
	say("          opens %s, ends %s; %d submissions a day; %d final selections; teams of up to %d until %s\n",
		t.Spec.Schedule.Start, t.Spec.Schedule.End, t.Spec.Limits.DailyLimit, t.Spec.FinalSelections, t.Spec.Teams.MaxSize, t.Spec.Teams.MergeDeadline)
	submit("alice", "logistic regression", logreg, false)

	at("2026-03-02T09:00:00Z")
	submit("host", "naive Bayes", nb, true)
	submit("alice", "logistic regression", logreg, false)
	submit("bob", "naive Bayes", nb, false)
	submit("carol", "a broken model", broken, false)
	submit("carol", "logistic regression", logreg, false)
	submit("carol", "naive Bayes", nb, false)

	at("2026-03-03T10:00:00Z")
	submit("dave", "naive Bayes", nb, false)
	submit("erin", "logistic regression", logreg, false)
	tm, err := e.JoinTeam(id, "de", "dave", "erin")
	if err != nil {
		return err
	}
	say("dave+erin form team %q (%v): their submissions and limits are now the team's\n", tm.Name, tm.Members)
	submit("dave", "logistic regression", logreg, false)
	submit("alice", "logistic regression", logreg, false)

	at("2026-03-05T18:00:00Z")
	if bob := subsOf(subs, "bob"); len(bob) > 0 {
		if err := e.Select(id, "bob", []string{bob[0].ID}); err != nil {
			return err
		}
		say("bob       selects %s (naive Bayes) as his final submission\n", short(bob[0].ID))
	}
	say("alice, carol and team de select nothing: their %d best public submissions stand in\n", t.Spec.FinalSelections)

	pub, err := e.Leaderboard(id, engine.Viewer{Participant: "alice"}, false)
	if err != nil {
		return err
	}
	if _, err := e.Leaderboard(id, engine.Viewer{Participant: "alice"}, true); errors.Is(err, engine.ErrForbidden) {
		say("alice     asks for the private leaderboard: refused until the task closes\n")
	}
	if !g.json {
		fmt.Fprintln(w)
		printLeaderboard(g, demoTask(t), pub, false)
	}

	at("2026-03-08T20:00:00Z")
	if _, err := e.CloseTask(ctx, id); err != nil {
		return err
	}
	say("host      closes the task: no more submissions; the private leaderboard is revealed\n")
	submit("bob", "logistic regression", logreg, false)

	priv, err := e.Leaderboard(id, engine.Viewer{Participant: "alice"}, true)
	if err != nil {
		return err
	}
	hist, err := e.History(id, engine.Host)
	if err != nil {
		return err
	}
	if g.json {
		return g.emit(map[string]any{"task": t.Info(), "submissions": subs, "public": pub, "private": priv, "history": hist})
	}
	fmt.Fprintln(w)
	printLeaderboard(g, demoTask(t), priv, true)
	changes := 0
	for _, ev := range hist {
		if !ev.Private {
			changes++
		}
	}
	say("\nthe public leaderboard changed %d times (verdict history %s); ranks differ between public and private: %v\n",
		changes, id, !sameOrder(pub, priv))
	say("done in %.1f s\n", time.Since(start).Seconds())
	if keep {
		say("explore it: verdict --data-dir %s history %s\n", dataDir, id)
	}
	return nil
}

// short is the short form of an id that every command accepts in its
// place (engine.ShortID).
func short(id string) string { return engine.ShortID(id) }

func subsOf(subs []*engine.Submission, who string) []*engine.Submission {
	var out []*engine.Submission
	for _, s := range subs {
		if s.Participant == who && !s.Baseline && !s.Duplicate {
			out = append(out, s)
		}
	}
	return out
}

// sameOrder reports whether two boards rank the same participants in the
// same order (baselines aside).
func sameOrder(a, b []engine.Entry) bool {
	names := func(es []engine.Entry) []string {
		var out []string
		for _, e := range es {
			if !e.Baseline {
				out = append(out, e.Participant)
			}
		}
		return out
	}
	x, y := names(a), names(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
