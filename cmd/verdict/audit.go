package main

import (
	"context"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

// cliActor is who a host action taken from the command line is recorded
// as in the audit trail: the local user, with the reason given.
func cliActor(ctx context.Context, reason string) context.Context {
	who := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = "cli: " + u.Username
	}
	return engine.WithActor(ctx, engine.Actor{Who: who, Why: reason})
}

const reasonUsage = "why, for the task's audit trail (the host reads it; participants see the action and its summary)"

func newTaskAuditCmd(g *globals) *cobra.Command {
	var as string
	c := &cobra.Command{
		Use:   "audit ID",
		Short: "the host actions that changed a task's outcome (close, promote, rescore, credential revoke): when, what, who and why",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			trail, err := e.AuditTrail(args[0], viewer(as))
			if err != nil {
				return badInput(err)
			}
			return printAudit(g, args[0], trail)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if as != "" {
				return errNoRemote("--as")
			}
			trail, err := c.Audit(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printAudit(g, args[0], trail)
		}),
	}
	g.serverFlags(c, true)
	c.Flags().StringVar(&as, "as", "", asUsage)
	return c
}

// printAudit prints an audit trail, or emits it with --json.
func printAudit(g *globals, task string, trail []engine.AuditEntry) error {
	if g.json {
		return g.emit(map[string]any{"task": task, "entries": trail})
	}
	if len(trail) == 0 {
		fmt.Fprintf(g.stdout, "%s: no host action recorded\n", task)
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tBY\tWHY\tSUMMARY")
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	for _, a := range trail {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Time.Format(time.RFC3339), a.Action, dash(a.Actor), dash(a.Reason), a.Summary)
	}
	return tw.Flush()
}
