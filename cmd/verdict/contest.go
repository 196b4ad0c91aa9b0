package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

func newSelectCmd(g *globals) *cobra.Command {
	var task, participant string
	c := &cobra.Command{
		Use:   "select --task ID --participant NAME [SUBMISSION...]",
		Short: "choose the submissions that count for the private leaderboard",
		Long: `Select replaces the participant's (or their team's) final selections with
the given submissions: at most the task's final_selections, each a scored
submission of theirs. With no submissions it clears the selection, and the
participant's best public submissions stand in. Allowed until the task
closes. A submission is its id or a prefix of 8 or more characters that
only one of the participant's submissions starts with (the short form
verdict prints); the full ids selected are printed.`,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if participant == "" {
				return badInput(errors.New("select: say whose selection: --participant NAME"))
			}
			if err := e.Select(task, participant, args); err != nil {
				return badInput(err)
			}
			if len(args) > 0 {
				sel, err := e.Selections(task, participant)
				if err != nil {
					return err
				}
				args = sel
			}
			return emitSelected(g, task, participant, args)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			sel, err := c.Select(cmd.Context(), task, participant, args)
			if err != nil {
				return err
			}
			return emitSelected(g, task, sel.Participant, sel.Submissions)
		}),
	}
	c.Flags().StringVar(&task, "task", "", "task id (required)")
	c.Flags().StringVar(&participant, "participant", "", "participant name (required, but with --server --key: the key's)")
	g.serverFlags(c, true)
	_ = c.MarkFlagRequired("task")
	return c
}

func newSelectionsCmd(g *globals) *cobra.Command {
	var task, participant string
	emit := func(who string, ids []string) error {
		if ids == nil {
			ids = []string{}
		}
		if g.json {
			return g.emit(map[string]any{"task": task, "participant": who, "selected": ids})
		}
		if len(ids) == 0 {
			fmt.Fprintf(g.stdout, "%s: nothing selected; the best public submissions will count\n", who)
			return nil
		}
		fmt.Fprintf(g.stdout, "%s: selected %s\n", who, strings.Join(ids, ", "))
		return nil
	}
	c := &cobra.Command{
		Use:   "selections --task ID --participant NAME",
		Short: "print the submissions a participant (or their team) selected for the private leaderboard",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if participant == "" {
				return badInput(errors.New("selections: say whose: --participant NAME"))
			}
			if _, err := e.Task(task); err != nil {
				return badInput(err)
			}
			ids, err := e.Selections(task, participant)
			if err != nil {
				return badInput(err)
			}
			return emit(participant, ids)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			sel, err := c.Selections(cmd.Context(), task, participant)
			if err != nil {
				return err
			}
			return emit(sel.Participant, sel.Submissions)
		}),
	}
	c.Flags().StringVar(&task, "task", "", "task id (required)")
	c.Flags().StringVar(&participant, "participant", "", "participant name (required, but with --server --key: the key's)")
	g.serverFlags(c, true)
	_ = c.MarkFlagRequired("task")
	return c
}

// emitSelected prints a participant's final selections.
func emitSelected(g *globals, task, participant string, ids []string) error {
	if ids == nil {
		ids = []string{}
	}
	if g.json {
		return g.emit(map[string]any{"task": task, "participant": participant, "selected": ids})
	}
	if len(ids) == 0 {
		fmt.Fprintf(g.stdout, "%s: selection cleared; the best public submissions will count\n", participant)
		return nil
	}
	fmt.Fprintf(g.stdout, "%s: selected %s\n", participant, strings.Join(ids, ", "))
	return nil
}

func newTeamCmd(g *globals) *cobra.Command {
	var task string
	c := &cobra.Command{Use: "team", Short: "form, join and merge teams"}
	c.PersistentFlags().StringVar(&task, "task", "", "task id (required)")
	_ = c.MarkPersistentFlagRequired("task")
	show := func(tm *engine.Team) error {
		if g.json {
			return g.emit(tm)
		}
		fmt.Fprintf(g.stdout, "team %s: %s\n", tm.Name, strings.Join(tm.Members, ", "))
		return nil
	}
	create := &cobra.Command{
		Use:   "create NAME MEMBER...",
		Short: "create a team; each member's submissions move to it",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if len(args) < 2 {
				return badInput(errors.New("team create: name the team and its members"))
			}
			teams, err := e.Teams(task)
			if err != nil {
				return badInput(err)
			}
			if teamExists(teams, args[0]) {
				return badInput(fmt.Errorf("team %q already exists (use team join): %w", args[0], engine.ErrExists))
			}
			tm, err := e.JoinTeam(task, args[0], args[1:]...)
			if err != nil {
				return badInput(err)
			}
			return show(tm)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			teams, err := c.Teams(cmd.Context(), task)
			if err != nil {
				return err
			}
			if teamExists(teams, args[0]) {
				return badInput(fmt.Errorf("team %q already exists (use team join): %w", args[0], engine.ErrExists))
			}
			tm, err := c.Join(cmd.Context(), task, args[0], args[1:]...)
			if err != nil {
				return err
			}
			return show(tm)
		}),
	}
	join := &cobra.Command{
		Use:   "join NAME [PARTICIPANT...]",
		Short: "add participants to a team; their submissions move to it (with --server --key: join it yourself)",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if len(args) < 2 {
				return badInput(errors.New("team join: name the participants to add"))
			}
			tm, err := e.JoinTeam(task, args[0], args[1:]...)
			if err != nil {
				return badInput(err)
			}
			return show(tm)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			tm, err := c.Join(cmd.Context(), task, args[0], args[1:]...)
			if err != nil {
				return err
			}
			return show(tm)
		}),
	}
	merge := &cobra.Command{
		Use:   "merge FROM INTO",
		Short: "merge team FROM into team INTO (before the merge deadline, within the limits)",
		Args:  cobra.ExactArgs(2),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			tm, err := e.MergeTeams(task, args[0], args[1])
			if err != nil {
				return badInput(err)
			}
			return show(tm)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			tm, err := c.Merge(cmd.Context(), task, args[0], args[1])
			if err != nil {
				return err
			}
			return show(tm)
		}),
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "list the task's teams",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			teams, err := e.Teams(task)
			if err != nil {
				return badInput(err)
			}
			return emitTeams(g, teams)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			teams, err := c.Teams(cmd.Context(), task)
			if err != nil {
				return err
			}
			return emitTeams(g, teams)
		}),
	}
	for _, sub := range []*cobra.Command{create, join, merge, list, teamSharesCmd(g, &task)} {
		g.serverFlags(sub, true)
		c.AddCommand(sub)
	}
	return c
}

func teamExists(teams []engine.Team, name string) bool {
	for _, t := range teams {
		if t.Name == name {
			return true
		}
	}
	return false
}

// emitTeams prints a task's teams.
func emitTeams(g *globals, teams []engine.Team) error {
	if teams == nil {
		teams = []engine.Team{}
	}
	if g.json {
		return g.emit(teams)
	}
	for _, t := range teams {
		fmt.Fprintf(g.stdout, "%s\t%s\n", t.Name, strings.Join(t.Members, ", "))
	}
	return nil
}

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		private bool
		as      string
	)
	c := &cobra.Command{
		Use:   "history ID",
		Short: "every leaderboard change: best score and rank over time",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			evs, err := e.History(args[0], viewer(as))
			if err != nil {
				return badInput(err)
			}
			return emitHistory(g, args[0], private, evs)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if as != "" {
				return errNoRemote("--as")
			}
			evs, err := c.History(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return emitHistory(g, args[0], private, evs)
		}),
	}
	c.Flags().BoolVar(&private, "private", false, "the private board's history (host; everyone after close)")
	c.Flags().StringVar(&as, "as", "", asUsage)
	g.serverFlags(c, true)
	return c
}

// emitHistory prints a task's leaderboard changes on one board.
func emitHistory(g *globals, task string, private bool, evs []engine.Event) error {
	shown := evs[:0:0]
	for _, ev := range evs {
		if ev.Private == private {
			shown = append(shown, ev)
		}
	}
	if g.json {
		return g.emit(map[string]any{"task": task, "private": private, "events": shown})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPARTICIPANT\tBEST\tRANK\tSUBMISSION")
	for _, ev := range shown {
		who := shortID(ev.Participant)
		if ev.Team {
			who = "team " + who
		}
		if ev.Submission == "" {
			fmt.Fprintf(tw, "%s\t%s\t—\tleft\t—\n", ev.Time.Format(time.RFC3339), who)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", ev.Time.Format(time.RFC3339), who, formatScore(ev.Score), ev.Rank, engine.ShortID(ev.Submission))
	}
	return tw.Flush()
}

func newSubmissionsCmd(g *globals) *cobra.Command {
	var task, participant, as string
	c := &cobra.Command{
		Use:   "submissions --task ID [--participant NAME]",
		Short: "list a task's submissions (or one participant's or team's)",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			subs, err := e.Submissions(task, viewer(as), participant)
			if err != nil {
				return badInput(err)
			}
			return emitSubmissions(g, subs)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if as != "" {
				return errNoRemote("--as")
			}
			subs, err := c.Submissions(cmd.Context(), task, participant)
			if err != nil {
				return err
			}
			return emitSubmissions(g, subs)
		}),
	}
	c.Flags().StringVar(&task, "task", "", "task id (required)")
	c.Flags().StringVar(&participant, "participant", "", "only this participant's (or their team's) submissions")
	c.Flags().StringVar(&as, "as", "", asUsage)
	g.serverFlags(c, true)
	_ = c.MarkFlagRequired("task")
	return c
}

// emitSubmissions prints a list of submissions.
func emitSubmissions(g *globals, subs []engine.Submission) error {
	if subs == nil {
		subs = []engine.Submission{}
	}
	if g.json {
		return g.emit(subs)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBMISSION\tPARTICIPANT\tTEAM\tSTATUS\tPUBLIC\tSHOWN\tPRIVATE\tCREATED")
	opt := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return formatScore(*v)
	}
	for _, s := range subs {
		team := s.Team
		if s.Baseline {
			team = "(baseline)"
		}
		if team == "" {
			team = "—"
		}
		status := string(s.Status)
		if s.Error != nil {
			status += " (" + s.Error.Kind + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", engine.ShortID(s.ID), shortID(s.Participant), team, status,
			opt(s.Scores.Public), opt(s.Shown), opt(s.Scores.Private), s.Created.Format(time.RFC3339))
	}
	return tw.Flush()
}

func newRecoverCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "recover",
		Short: "evaluate again every submission a crash left queued or running",
		Args:  cobra.NoArgs,
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			n, err := e.Recover(cmd.Context())
			if g.json {
				if err2 := g.emit(map[string]any{"recovered": n}); err2 != nil {
					return err2
				}
			} else {
				fmt.Fprintf(g.stdout, "%d submissions evaluated again\n", n)
			}
			return err
		}),
	}
}
