package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

func newSubmissionCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "submission", Short: "one submission: show it, follow its evaluation"}
	var as string
	show := &cobra.Command{
		Use:   "show ID",
		Short: "print a submission: status, scores, gates, error",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			sub, err := e.Submission(args[0], viewer(as))
			if err != nil {
				return badInput(err)
			}
			t, err := taskView(e, sub.Task)
			if err != nil {
				return err
			}
			return emitSubmission(g, t, sub)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if as != "" {
				return errNoRemote("--as")
			}
			sub, err := c.Submission(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			t, err := c.Task(cmd.Context(), sub.Task)
			if err != nil {
				return err
			}
			return emitSubmission(g, t, sub)
		}),
	}
	show.Flags().StringVar(&as, "as", "", asUsage)
	g.serverFlags(show, true)
	follow := &cobra.Command{
		Use:   "follow ID",
		Short: "follow a submission's evaluation (its event stream) until it is scored or failed, then print it",
		Long: `Follow prints a line each time the submission's status changes (queued,
running with its rows done, scored or failed), reconnecting when the stream
ends early, then the submission as submit prints it. It reads the server's
event stream (GET /v1/submissions/ID/events): give --server, or run it on the
data dir of a running verdict serve. On a data dir no server runs on, nothing
evaluates a queued submission: follow prints it as it is (verdict recover
evaluates what was left queued).`,
		Args: cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			sub, err := e.Submission(args[0], engine.Host)
			if err != nil {
				return badInput(err)
			}
			t, err := taskView(e, sub.Task)
			if err != nil {
				return err
			}
			if !sub.Status.Terminal() {
				fmt.Fprintf(g.stderr, "verdict: submission %s is %s and no verdict serve runs on %s to evaluate it (verdict recover does)\n", sub.ID, sub.Status, g.dataDir)
			}
			return emitSubmission(g, t, sub)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			last := ""
			sub, err := c.Follow(cmd.Context(), args[0], func(ev api.StatusEvent) {
				line := statusLine("submission "+ev.ID, string(ev.Status), ev.RowsDone, ev.RowsTotal)
				if line != last && !g.json {
					fmt.Fprintln(g.stderr, line)
				}
				last = line
			})
			if err != nil {
				return err
			}
			t, err := c.Task(cmd.Context(), sub.Task)
			if err != nil {
				return err
			}
			return emitSubmission(g, t, sub)
		}),
	}
	g.serverFlags(follow, true)
	c.AddCommand(show, follow)
	return c
}

// emitSubmission prints a submission as submit does (exit 1 if it failed).
func emitSubmission(g *globals, t *api.Task, sub *engine.Submission) error {
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
	return nil
}
