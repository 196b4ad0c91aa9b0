package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/examples"
)

func newDemoCmd(g *globals) *cobra.Command {
	var keep, contest, phases bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "run a whole competition on the embedded example task and models",
		Long: `Demo plays a whole competition end to end on embedded defaults: the host
creates the breast-cancer task from shipped real data, three participants
each make a key and submit signed models (Go built with GOOS=wasip1, C built with clang for wasm32-wasi,
and a broken one), each is sandboxed and scored, the leaderboards are
printed, and the host closes the task: the winners get W3C Verifiable
Credentials, which are verified, and enter the marketplace, where one is
revoked, the other found by search, exported, ingested into a second data
dir (a tampered copy and the revoked one refused) and run on new rows.
Last, an AI agent (an MCP client) searches the marketplace through its MCP
server, reads the card, verifies the model and uses it twice as a metered
service; both uses show in the host's signed statement of the month. It
uses a fresh temporary data dir unless --data-dir is given.

With --contest it plays a one-week contest on a simulated clock instead:
schedule, daily limits, a duplicate, baselines, a team, final selections,
the host closing the task, and a private leaderboard that differs from the
public one.

With --phases it plays a two-phase invite-only contest on a simulated clock:
admission by did:key and by invitation, a refused outsider, development
submissions, the automatic re-run of the final selections on rows nobody has
seen when the final phase begins, and certification at its end.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			work, err := os.MkdirTemp("", "verdict-demo-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(work)
			}
			if err := os.CopyFS(filepath.Join(work, "examples"), examples.FS); err != nil {
				return fmt.Errorf("unpack examples: %w", err)
			}
			dataDir, ownDir := filepath.Join(work, "data"), false
			if cmd.Flags().Changed("data-dir") || os.Getenv("VERDICT_DATA_DIR") != "" {
				dataDir, ownDir = g.dataDir, true
			}
			if contest {
				return playContest(cmd.Context(), g, work, dataDir, keep || ownDir)
			}
			if phases {
				return playPhases(cmd.Context(), g, work, dataDir, keep || ownDir)
			}
			cacheDir := os.Getenv("VERDICT_CACHE_DIR")
			if cacheDir == "" {
				cacheDir = filepath.Join(dataDir, "cache", "wazero")
			}
			e, err := engine.Open(ctx, engine.Config{DataDir: dataDir, CacheDir: cacheDir})
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
			say("verdict demo: a whole competition on embedded defaults (data dir %s)\n\n", dataDir)

			t, err := e.CreateTask(ctx, filepath.Join(work, "examples", examples.DemoTask))
			if err != nil {
				return err
			}
			say("host      created task %q — %s\n", t.Spec.ID, t.Spec.Title)
			say("          %s, metric %s, %d features, %d test rows (%d public, %d private)\n",
				t.Spec.Type, t.Spec.Metric, len(t.Features), t.Rows, t.PublicRows, t.PrivateRows)
			say("          dataset sha256 %s\n\n", t.DatasetSHA256)

			var subs []*engine.Submission
			names := map[string]string{} // did:key → display name
			for _, d := range examples.Demo() {
				module, err := fs.ReadFile(examples.FS, d.Path)
				if err != nil {
					return fmt.Errorf("read example %s: %w", d.Path, err)
				}
				// Each participant makes a key (verdict keygen) and signs
				// the submission with it (verdict submit --key): the
				// engine records the key's did:key as the author.
				key, err := credential.GenerateKey(rand.Reader)
				if err != nil {
					return err
				}
				keyFile := filepath.Join(work, "keys", d.Participant+".key")
				if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
					return err
				}
				if err := credential.WriteKeyFile(keyFile, key); err != nil {
					return err
				}
				names[key.DID()] = d.Participant
				sum := sha256.Sum256(module)
				signed, err := credential.SignSubmission(key, t.Spec.ID, hex.EncodeToString(sum[:]), time.Now())
				if err != nil {
					return err
				}
				say("%-9s makes a key: %s\n", d.Participant, key.DID())
				say("          submits %s (%s, %d KiB), signed with it\n", d.Path, d.Language, len(module)>>10)
				sub, err := e.Submit(ctx, engine.SubmitRequest{Task: t.Spec.ID, Name: d.Participant, Signed: signed.Raw,
					Module: module, License: demoLicenses[d.Participant]})
				if err != nil {
					return err
				}
				subs = append(subs, sub)
				if sub.Failed() {
					say("          FAILED (%s): %s\n\n", sub.Error.Kind, firstLine(sub.Error.Message))
					continue
				}
				say("          scored: public %s %s in %.0f ms\n\n", t.Spec.Metric, formatScore(*sub.Scores.Public), sub.ElapsedMS)
			}
			pub, err := e.Leaderboard(t.Spec.ID, engine.Host, false)
			if err != nil {
				return err
			}
			priv, err := e.Leaderboard(t.Spec.ID, engine.Host, true)
			if err != nil {
				return err
			}
			if !g.json {
				printLeaderboard(g, demoTask(t), pub, false)
				fmt.Fprintln(w)
				printLeaderboard(g, demoTask(t), priv, true)
			}
			proms, err := e.CloseTask(ctx, t.Spec.ID)
			if err != nil {
				return err
			}
			say("\nhost      closes the task: the top %d of the private leaderboard that pass every gate get a\n", t.Spec.PromoteTop)
			say("          W3C Verifiable Credential signed by the host %s\n", e.HostDID())
			var verified []map[string]any
			for _, p := range proms {
				if p.Credential == nil {
					say("          #%d %-8s not certified\n", p.Rank, names[p.Participant])
					continue
				}
				var module []byte
				for _, d := range examples.Demo() {
					if d.Participant == names[p.Participant] {
						module, _ = fs.ReadFile(examples.FS, d.Path)
					}
				}
				res, verr := credential.VerifyModel(ctx, p.Credential.Signed, credential.VerifyOptions{
					Issuer: e.HostDID(), Module: module,
					StatusList: func(context.Context, string) ([]byte, error) { return os.ReadFile(e.StatusListPath()) },
				})
				outcome := "VERIFIED (proof, issuer, model hash, not revoked)"
				if verr != nil {
					outcome = "NOT VERIFIED: " + verr.Error()
				} else if !res.StatusChecked {
					outcome = "VERIFIED (revocation not checked)"
				}
				say("          #%d %-8s %s  %s\n", p.Rank, names[p.Participant], short(p.Credential.ID), outcome)
				if len(p.Gates) > 0 {
					say("          gates on the private part:\n%s", gateLines(p.Gates, t.HigherIsBetter, "            "))
				}
				verified = append(verified, map[string]any{"id": p.Credential.ID, "participant": p.Participant, "verified": verr == nil})
			}
			market, err := demoMarket(ctx, g, e, work, cacheDir, proms, names)
			if err != nil {
				return err
			}
			if g.json {
				return g.emit(map[string]any{"task": t.Info(), "submissions": subs, "public": pub, "private": priv,
					"promotions": proms, "verified": verified, "market": market, "participants": didsByName(names)})
			}
			say("\ndone in %.1f s\n", time.Since(start).Seconds())
			if keep || ownDir {
				say("explore it: verdict --data-dir %s leaderboard %s --private\n", dataDir, t.Spec.ID)
				say("            verdict --data-dir %s credential list --task %s\n", dataDir, t.Spec.ID)
				say("            verdict --data-dir %s market list\n", dataDir)
				say("            verdict --data-dir %s market show %s\n", dataDir, market.Found)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&keep, "keep", false, "keep the temporary work dir (examples and data dir)")
	c.Flags().BoolVar(&contest, "contest", false, "play a one-week contest on a simulated clock (make contest)")
	c.Flags().BoolVar(&phases, "phases", false, "play a two-phase invite-only contest on a simulated clock (make phases)")
	return c
}

// firstLine is the first line of a message (a guest's panic is followed by
// its stack trace, which `verdict submit` shows in full).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " […]"
	}
	return s
}

// gateLines are gate results in words, one a line, each starting with
// indent: "min_score       pass  score 0.988, needs ≥ 0.95".
func gateLines(rs []gate.Result, higher bool, indent string) string {
	var b strings.Builder
	for _, r := range rs {
		mark := "pass"
		if !r.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s%-15s %s  %s\n", indent, r.Name, mark, firstLine(gate.Describe(r, higher)))
	}
	return b.String()
}

// didsByName inverts the demo's did:key → name map.
func didsByName(names map[string]string) map[string]string {
	out := make(map[string]string, len(names))
	for did, name := range names {
		out[name] = did
	}
	return out
}
