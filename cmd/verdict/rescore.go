package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
)

const submissionsUsage = `what to re-run: "all" (every evaluated submission), "selected" (those the final leaderboard is decided among), or submission ids`

// errMismatch is task verify's exit 1: the report is printed, and some
// stored value did not reproduce.
var errMismatch = &exitError{code: exitFailed, err: errors.New("verification failed: a re-run did not reproduce a stored value")}

func newTaskRescoreCmd(g *globals) *cobra.Command {
	var opts engine.RescoreOptions
	var reason string
	c := &cobra.Command{
		Use:   "rescore ID",
		Short: "re-run a task's submissions with their stored modules (after fixing its dataset or metric) and report what changed",
		Long: `rescore re-runs a task's submissions with their stored modules, records their
new scores (never charged to a quota; the old scores are kept) and reports the
submissions whose score changed and the entrants whose rank changed, on the
public and the private board. --dataset replaces the task's held-out dataset
first: it must have the task's feature columns and pass the checks of task
creation. An interrupted rescore (Ctrl-C, a crash) resumes where it stopped
when the command is run again.`,
		Args: cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			rep, err := e.Rescore(cliActor(cmd.Context(), reason), args[0], opts)
			if err != nil {
				return rescoreError(err)
			}
			return printRescore(g, rep)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			in := api.RescoreOptions{Submissions: opts.Submissions, Reason: reason}
			var data io.Reader
			if opts.Dataset != "" {
				f, err := os.Open(opts.Dataset)
				if err != nil {
					return badInput(err)
				}
				defer f.Close()
				data = f
			}
			rep, err := c.Rescore(cmd.Context(), args[0], in, filepath.Base(opts.Dataset), data)
			if err != nil {
				return err
			}
			return printRescore(g, rep)
		}),
	}
	g.serverFlags(c, false)
	c.Flags().StringVar(&opts.Dataset, "dataset", "", "a corrected held-out dataset (CSV, Parquet or Arrow IPC) to replace the task's")
	c.Flags().StringSliceVar(&opts.Submissions, "submissions", nil, submissionsUsage+` (default "all")`)
	c.Flags().StringVar(&reason, "reason", "", reasonUsage)
	return c
}

func newTaskVerifyCmd(g *globals) *cobra.Command {
	var opts engine.VerifyOptions
	c := &cobra.Command{
		Use:   "verify ID",
		Short: "re-run a task's submissions without storing anything and compare every score and interval bit for bit; exit 1 on a mismatch",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			rep, err := e.Verify(cmd.Context(), args[0], opts)
			if err != nil {
				return rescoreError(err)
			}
			return printVerify(g, rep)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			rep, err := c.VerifyTask(cmd.Context(), args[0], api.VerifyOptions{Submissions: opts.Submissions})
			if err != nil {
				return err
			}
			return printVerify(g, rep)
		}),
	}
	g.serverFlags(c, false)
	c.Flags().StringSliceVar(&opts.Submissions, "submissions", nil, submissionsUsage+` (default "all")`)
	return c
}

// rescoreError makes the caller's mistakes (a bad dataset or selection,
// an unknown task) exit 2, and says how to resume an interrupted rescore.
func rescoreError(err error) error {
	var pe *datasets.ParseError
	switch {
	case errors.Is(err, engine.ErrBadRequest), errors.Is(err, engine.ErrNotFound), errors.Is(err, engine.ErrInvalidSpec),
		errors.Is(err, datasets.ErrBadSchema), errors.As(err, &pe), errors.Is(err, os.ErrNotExist):
		return badInput(err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%w; what was re-run is recorded", err)
	}
	return err
}

// printRescore prints a rescore's report, or emits it with --json.
func printRescore(g *globals, rep *engine.RescoreReport) error {
	if g.json {
		return g.emit(rep)
	}
	w := g.stdout
	resumed := ""
	if rep.Resumed {
		resumed = ", resuming an interrupted rescore"
	}
	fmt.Fprintf(w, "rescore %s of %s: %d submissions re-run (%d by this run%s)\n", rep.ID, rep.Task, rep.Rescored, rep.Ran, resumed)
	if rep.DatasetBefore == rep.DatasetAfter {
		fmt.Fprintf(w, "dataset  sha256 %s (unchanged)\n", rep.DatasetAfter)
	} else {
		fmt.Fprintf(w, "dataset  sha256 %s replaced by %s\n", rep.DatasetBefore, rep.DatasetAfter)
	}
	for _, id := range rep.Missing {
		fmt.Fprintf(w, "not re-run  %s: its module is not in the data dir; it keeps its outcome\n", id)
	}
	if len(rep.Changes) == 0 && len(rep.Ranks) == 0 {
		fmt.Fprintln(w, "no score or rank changed")
		return nil
	}
	if len(rep.Changes) > 0 {
		fmt.Fprintf(w, "\n%d scores changed:\n", len(rep.Changes))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SUBMISSION\tPARTICIPANT\tPUBLIC\tΔ\tPRIVATE\tΔ")
		for _, c := range rep.Changes {
			who := shortID(c.Participant)
			if c.Team != "" {
				who += " (" + c.Team + ")"
			}
			if c.Baseline {
				who += " (baseline)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", engine.ShortID(c.Submission), who,
				transition(c.Before, c.After, func(o engine.Outcome) *float64 { return o.Public }), signed(c.PublicDelta),
				transition(c.Before, c.After, func(o engine.Outcome) *float64 { return o.Private }), signed(c.PrivateDelta))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Ranks) > 0 {
		fmt.Fprintf(w, "\n%d ranks changed:\n", len(rep.Ranks))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "BOARD\tPARTICIPANT\tBEFORE\tAFTER\tMOVE")
		for _, r := range rep.Ranks {
			who := shortID(r.Participant)
			if r.Team {
				who += " (team)"
			}
			move := "-"
			if r.Before > 0 && r.After > 0 {
				move = fmt.Sprintf("%+d", r.Before-r.After)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Board, who, place(r.Before), place(r.After), move)
		}
		return tw.Flush()
	}
	return nil
}

// transition formats one score of a change: "0.91 -> 0.93", with a
// failure shown as its status and error kind.
func transition(before, after engine.Outcome, score func(engine.Outcome) *float64) string {
	one := func(o engine.Outcome) string {
		if o.Status != engine.StatusScored {
			return string(o.Status) + " (" + o.Error + ")"
		}
		if v := score(o); v != nil {
			return strconv.FormatFloat(*v, 'g', 6, 64)
		}
		return "none"
	}
	return one(before) + " -> " + one(after)
}

func signed(d *float64) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%+.4g", *d)
}

func place(rank int) string {
	if rank == 0 {
		return "off"
	}
	return strconv.Itoa(rank)
}

// printVerify prints a verification's report, or emits it with --json;
// it returns errMismatch when a value did not reproduce.
func printVerify(g *globals, rep *engine.VerifyReport) error {
	if g.json {
		if err := g.emit(rep); err != nil {
			return err
		}
	} else {
		w := g.stdout
		fmt.Fprintf(w, "verify %s (dataset sha256 %s): %d submissions re-run, %d reproduced every stored score and interval bit for bit\n",
			rep.Task, rep.DatasetSHA256, rep.Checked, rep.Matched)
		if !rep.OK() {
			fmt.Fprintf(w, "\n%d mismatches:\n", len(rep.Mismatches))
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SUBMISSION\tPARTICIPANT\tFIELD\tSTORED\tRE-RUN")
			for _, m := range rep.Mismatches {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", engine.ShortID(m.Submission), shortID(m.Participant), m.Field, m.Stored, m.Got)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if !rep.OK() {
		return errMismatch
	}
	return nil
}
