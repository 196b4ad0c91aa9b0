package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

func newTaskPhaseCmd(g *globals) *cobra.Command {
	var advance bool
	var reason string
	c := &cobra.Command{
		Use:   "phase ID",
		Short: "show a task's phases, making the transitions their schedule calls for; --advance moves to the next phase now",
		Long: `phase shows a task's phases and the current one. Locally it first makes the
transitions the schedule calls for (what verdict serve does in the background):
entering a final phase freezes every entrant's selections and re-runs them,
uncharged, on the final phase's own data. --advance moves the task into its
next phase now, ahead of the schedule, and is recorded in the audit trail.
An interrupted re-run resumes when the command is run again.`,
		Args: cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			ctx := cliActor(cmd.Context(), reason)
			var ps []engine.Phase
			var err error
			if advance {
				ps, err = e.AdvancePhase(ctx, args[0])
			} else {
				ps, err = e.SettlePhases(ctx, args[0])
			}
			if err != nil {
				return rescoreError(err)
			}
			return printPhases(g, args[0], ps)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			var ps []engine.Phase
			var err error
			if advance {
				ps, err = c.AdvancePhase(cmd.Context(), args[0], reason)
			} else {
				ps, err = c.Phases(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			return printPhases(g, args[0], ps)
		}),
	}
	g.serverFlags(c, false)
	c.Flags().BoolVar(&advance, "advance", false, "move the task into its next phase now (host only)")
	c.Flags().StringVar(&reason, "reason", "", reasonUsage)
	return c
}

// printPhases prints a task's phases, or emits them with --json.
func printPhases(g *globals, task string, ps []engine.Phase) error {
	if g.json {
		return g.emit(map[string]any{"task": task, "phases": ps})
	}
	if len(ps) == 0 {
		fmt.Fprintf(g.stdout, "%s: no phases\n", task)
		return nil
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tPHASE\tSTART\tEND\tSUBMISSIONS\tBEGAN\tNOTE")
	for _, p := range ps {
		cur := ""
		if p.Current {
			cur = "→"
		}
		subs := "yes"
		if !p.Submissions {
			subs = "no"
		}
		began := "not yet"
		if !p.Entered.IsZero() {
			began = when(p.Entered) + " by " + p.By
		}
		note := ""
		if p.Final {
			note = "final"
			if p.OwnData {
				note += ", own data"
			}
			if r := p.Rerun; r != nil {
				state := "re-running"
				if r.Done {
					state = "re-run"
				}
				note += fmt.Sprintf("; %d selections %s", r.Selections, state)
			}
		}
		if l := p.Limits; l != nil {
			if note != "" {
				note += "; "
			}
			note += phaseLimitsNote(*l)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cur, p.ID, when(p.Start), when(p.End), subs, began, note)
	}
	return tw.Flush()
}

// phaseLimitsNote says the limits in force in a phase that sets its own.
func phaseLimitsNote(l engine.LimitsSpec) string {
	lim := func(n int) string {
		if n == 0 {
			return "unlimited"
		}
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("limits %d MiB, %gs, %s a day, %s total", l.MemoryMB, l.TimeoutS, lim(l.DailyLimit), lim(l.TotalLimit))
}
