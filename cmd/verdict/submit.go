package main

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
)

func newSubmitCmd(g *globals) *cobra.Command {
	var (
		task, participant, predictions, license, name string
		private, baseline                             bool
	)
	c := &cobra.Command{
		Use:   "submit --task ID (--participant NAME | --key FILE) MODEL.wasm",
		Short: "evaluate a model now and print its status and public score",
		Long: `Submit evaluates a WebAssembly model on a task's held-out features in the
sandbox, scores it and records it on the leaderboard. It prints the public
score; the private score is for the host (--private, or
'verdict leaderboard ID --private').

With --key FILE (a key from 'verdict keygen') the submission is signed: the
task id, the module's SHA-256 and the time are signed with the key, the
engine verifies the signature and records the key's did:key as the
participant (and as the author of any credential the model earns). A
signature is good for one submission, within 10 minutes of signing. A task
with require_signed accepts only signed submissions.

--license says what license the model is offered under if it is certified
and enters the marketplace (an SPDX id such as Apache-2.0, or a short
text); without it the model card says "unspecified".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			module, err := readModule(args[0])
			if err != nil {
				return badInput(err)
			}
			keyFile := g.keyFile
			if participant == "" && keyFile == "" {
				return badInput(errors.New("say who submits: --participant NAME, or --key FILE to sign"))
			}
			c, err := g.remoteClient(cmd.Context())
			if err != nil {
				return err
			}
			if c != nil {
				return remoteErr(submitRemote(cmd.Context(), g, c, submitOptions{task: task, participant: participant,
					license: license, name: name, predictions: predictions,
					private: private, baseline: baseline}, module))
			}
			// A participant who forgot --server has no data dir: say so,
			// rather than make an empty one and report the task missing.
			if _, err := os.Stat(g.dataDir); errors.Is(err, fs.ErrNotExist) {
				return badInput(fmt.Errorf("no data dir %s holds task %q: submit to the host's server with --server URL (or give --data-dir DIR)", g.dataDir, task))
			}
			var signed []byte
			if keyFile != "" {
				k, err := credential.ReadKeyFile(keyFile)
				if err != nil {
					return badInput(err)
				}
				sum := sha256.Sum256(module)
				s, err := credential.SignSubmission(k, task, hex.EncodeToString(sum[:]), time.Now())
				if err != nil {
					return badInput(fmt.Errorf("sign submission: %w", err))
				}
				signed = s.Raw
			}
			e, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer e.Close(cmd.Context())
			t, err := taskView(e, task)
			if err != nil {
				return err
			}
			req := engine.SubmitRequest{
				Task: task, Participant: participant, Module: module, Signed: signed,
				KeepPredictions: predictions != "", Baseline: baseline, License: license, Name: name,
			}
			sp := startSpinner(g.stderr) // silent unless stderr is a terminal
			if isTerminal(g.stderr) {
				what := "submission to " + task
				sp.set("%s", statusLine(what, "evaluating", 0, 0))
				req.Progress = func(done, total int) { sp.set("%s", statusLine(what, "running", done, total)) }
			}
			sub, err := e.Submit(cmd.Context(), req)
			sp.stop()
			if sub == nil {
				return badInput(err) // refused: bad request, schedule, quota, queue
			}
			if err != nil {
				return err // the host failed; the submission is recorded as such
			}
			if !private {
				sub.Scores.Private, sub.Scores.PrivateCI = nil, nil
			}
			if sub.Predictions != nil {
				if err := writePredictions(predictions, sub.Predictions); err != nil {
					return err
				}
			}
			var noPredictions error
			if predictions != "" && sub.Predictions == nil && sub.Duplicate {
				// A duplicate is not run again, and no predictions are
				// kept: say so rather than leave the file unwritten
				// silently.
				noPredictions = badInput(fmt.Errorf("--predictions %s: nothing written: this module was already submitted (submission %s), so it was not run again and verdict keeps no predictions; submit a rebuilt module, or run it with verdict market predict once certified", predictions, sub.ID))
			}
			if g.json {
				if err := g.emit(sub); err != nil {
					return err
				}
			} else {
				printSubmission(g.stdout, t, sub)
			}
			if sub.Failed() {
				return errSubmissionFailed
			}
			return noPredictions
		},
	}
	c.Flags().StringVar(&task, "task", "", "task id (required)")
	c.Flags().StringVar(&participant, "participant", "", "participant name (required without --key; with it, the key's did:key or nothing)")
	c.Flags().StringVar(&g.keyFile, "key", "", "sign the submission with this key file (verdict keygen); the participant is its did:key (with --server, every request too)")
	c.Flags().StringVar(&name, "name", "", "display name shown beside your id on the leaderboard (claimed, not verified)")
	c.Flags().StringVar(&license, "license", "", `license of the model if it enters the marketplace (e.g. Apache-2.0; default "unspecified")`)
	c.Flags().BoolVar(&private, "private", false, "also print the private score (host)")
	c.Flags().BoolVar(&baseline, "baseline", false, "submit a reference model (host): shown on the leaderboard, never ranked, not charged")
	c.Flags().StringVar(&predictions, "predictions", "", "write the model's predictions for every test row to this CSV file (host)")
	c.Flags().StringVar(&g.server, "server", "", serverUsage)
	_ = c.MarkFlagRequired("task")
	return c
}

// maxModuleRead bounds what the CLI reads before the task's own limit applies.
const maxModuleRead = 1 << 30

func readModule(path string) ([]byte, error) {
	b, err := readBounded(path, maxModuleRead)
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	return packIfONNX(path, b)
}

func printSubmission(w io.Writer, t *api.Task, s *engine.Submission) {
	fmt.Fprintf(w, "submission  %s\n", s.ID)
	fmt.Fprintf(w, "task        %s\n", s.Task)
	fmt.Fprintf(w, "participant %s\n", s.Participant)
	fmt.Fprintf(w, "module      sha256 %s\n", s.ModuleSHA256)
	if s.Team != "" {
		fmt.Fprintf(w, "team        %s\n", s.Team)
	}
	if s.Baseline {
		fmt.Fprintf(w, "baseline    yes (not ranked)\n")
	}
	if s.Duplicate {
		fmt.Fprintf(w, "duplicate   this module was already submitted; this is the earlier result (not charged again)\n")
	}
	fmt.Fprintf(w, "status      %s (%.0f ms)\n", s.Status, s.ElapsedMS)
	if s.Shown != nil {
		fmt.Fprintf(w, "shown       %s %s (the Ladder's public score)\n", t.Metric, formatScore(*s.Shown))
	}
	if s.Scores.Public != nil {
		fmt.Fprintf(w, "public      %s %s (%d rows) %s\n", t.Metric, formatScore(*s.Scores.Public), t.PublicRows, formatCI(s.Scores.PublicCI))
	}
	if s.Scores.Private != nil {
		fmt.Fprintf(w, "private     %s %s (%d rows) %s\n", t.Metric, formatScore(*s.Scores.Private), t.PrivateRows, formatCI(s.Scores.PrivateCI))
	}
	for _, r := range s.Gates {
		verdict := "pass"
		switch {
		case r.Hidden:
			verdict = "hidden"
		case !r.Passed:
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "gate        %-27s %-4s  %s\n", r.Name, verdict, firstLine(gate.Describe(r, t.HigherIsBetter)))
	}
	if s.Scores.PrivateError != "" {
		fmt.Fprintf(w, "private     none (shown to the host only): %s\n", s.Scores.PrivateError)
	}
	if s.Error != nil {
		fmt.Fprintf(w, "error       %s: %s\n", s.Error.Kind, s.Error.Message)
		if s.Error.Detail != "" {
			fmt.Fprintf(w, "detail      %s (shown to the host only)\n", s.Error.Detail)
		}
	}
}

func formatScore(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// formatCI prints an interval as "95% CI [0.951234, 0.998765]".
func formatCI(iv *engine.Interval) string {
	if iv == nil {
		return ""
	}
	return fmt.Sprintf("%g%% CI [%s, %s]", iv.Level*100, formatScore(iv.Low), formatScore(iv.High))
}

// writePredictions writes id then one column per output, full precision.
func writePredictions(path string, p *engine.Predictions) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	if err := errors.Join(writePredictionsTo(f, "id", p), f.Close()); err != nil {
		return fmt.Errorf("write predictions %s: %w", path, err)
	}
	return nil
}

// writePredictionsTo writes predictions as CSV: the id column (named
// idColumn) then one column per output, full precision.
func writePredictionsTo(out io.Writer, idColumn string, p *engine.Predictions) error {
	w := csv.NewWriter(out)
	rec := append([]string{idColumn}, p.Columns...)
	_ = w.Write(rec)
	for i, id := range p.IDs {
		rec[0] = id
		for k := range p.Values {
			rec[k+1] = strconv.FormatFloat(p.Values[k][i], 'g', -1, 64)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
