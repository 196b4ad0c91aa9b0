package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

func newLeaderboardCmd(g *globals) *cobra.Command {
	var (
		private bool
		as      string
		phase   string
	)
	c := &cobra.Command{
		Use:   "leaderboard ID",
		Short: "print a task's leaderboard: each participant's best score",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			return leaderboardLocal(g, e, args[0], as, private, phase)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if as != "" {
				return errNoRemote("--as")
			}
			t, err := c.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			lb, err := c.PhaseLeaderboard(cmd.Context(), args[0], private, phase)
			if err != nil {
				return err
			}
			return emitBoard(g, t, lb.Entries, private, phase)
		}),
	}
	c.Flags().StringVar(&as, "as", "", asUsage)
	g.serverFlags(c, true)
	c.Flags().StringVar(&phase, "phase", "", "the board of this phase (a task with phases; default the current phase's): its submissions, on its data")
	c.Flags().BoolVar(&private, "private", false, "the private leaderboard: best private score among each participant's final selections (host; everyone after close)")
	return c
}

func leaderboardLocal(g *globals, e *engine.Engine, id, as string, private bool, phase string) error {
	t, err := taskView(e, id)
	if err != nil {
		return err
	}
	rows, err := e.PhaseLeaderboard(id, viewer(as), private, phase)
	if errors.Is(err, engine.ErrForbidden) {
		return badInput(err)
	}
	if err != nil {
		return err
	}
	return emitBoard(g, t, rows, private, phase)
}

// emitBoard prints one board's rows, or emits them with --json (phase
// "": the default view, as before phases had boards).
func emitBoard(g *globals, t *api.Task, rows []engine.Entry, private bool, phase string) error {
	if g.json {
		return g.emit(struct {
			Task    string         `json:"task"`
			Metric  string         `json:"metric"`
			Phase   string         `json:"phase,omitempty"`
			Private bool           `json:"private"`
			Entries []engine.Entry `json:"entries"`
		}{t.ID, t.Metric, phase, private, rows})
	}
	if phase != "" {
		printPhaseBoard(g, t, rows, private, phase)
		return nil
	}
	printLeaderboard(g, t, rows, private)
	return nil
}

func printLeaderboard(g *globals, t *api.Task, rows []engine.Entry, private bool) {
	part, n := "public", t.PublicRows
	if private {
		part, n = "private", t.PrivateRows
	}
	dir := "lower is better"
	if t.HigherIsBetter {
		dir = "higher is better"
	}
	fmt.Fprintf(g.stdout, "%s leaderboard — %s — %s on %d rows (%s)\n", t.ID, part, t.Metric, n, dir)
	printRows(g, rows)
}

// printPhaseBoard prints one phase's board: its heading names the phase
// (whose data may have its own row count, so none is given).
func printPhaseBoard(g *globals, t *api.Task, rows []engine.Entry, private bool, phase string) {
	part := "public"
	if private {
		part = "private"
	}
	dir := "lower is better"
	if t.HigherIsBetter {
		dir = "higher is better"
	}
	fmt.Fprintf(g.stdout, "%s leaderboard — phase %s — %s — %s (%s)\n", t.ID, phase, part, t.Metric, dir)
	printRows(g, rows)
}

// printRows prints a leaderboard's rows under its heading.
func printRows(g *globals, rows []engine.Entry) {
	if len(rows) == 0 {
		fmt.Fprintln(g.stdout, "  no scored submissions yet")
		return
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	// Within 100 columns: names clipped, did:keys and submission ids in
	// their short forms (shortID, engine.ShortID; --json has them whole).
	fmt.Fprintln(tw, "RANK\tPARTICIPANT\tSCORE\t95% CI\tSUBS\tBEST\tSUBMITTED")
	for _, r := range rows {
		ci := "—"
		if r.CI != nil {
			ci = fmt.Sprintf("[%s, %s]", formatScore(r.CI.Low), formatScore(r.CI.High))
		}
		rank, who, n := fmt.Sprint(r.Rank), boardName(r.Name, r.Participant), fmt.Sprint(r.Submissions)
		switch {
		case r.Baseline:
			rank, n = "--", "—"
			who = "(" + clip(who, boardWidth-12) + ", baseline)"
		case r.Team:
			who = "team " + clip(who, boardWidth-5)
		default:
			who = clip(who, boardWidth)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rank, who, formatScore(r.Score), ci, n, engine.ShortID(r.Submission), r.Submitted.Format("2006-01-02 15:04Z"))
	}
	tw.Flush()
}

// boardWidth is the most runes a leaderboard line gives a participant, so
// that a line of scores in [-1, 1] fits 100 columns.
const boardWidth = 20

// clip cuts s to n runes, the last an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// boardName is a participant as a leaderboard line shows them: a display
// name with a shortened id, or the shortened id alone.
func boardName(name, id string) string {
	if name == "" {
		return shortID(id)
	}
	return displayName(name, id)
}

// displayName is how a participant is printed: their display name, if
// they gave one, with a shortened id ("alice (did:key:z6Mkf…pp58)"), else
// their id.
func displayName(name, id string) string {
	if name == "" {
		return id
	}
	return name + " (" + shortID(id) + ")"
}

// shortID shortens a did:key to its method, first and last characters.
func shortID(id string) string {
	const prefix = "did:key:"
	if !strings.HasPrefix(id, prefix) || len(id) < len(prefix)+12 {
		return id
	}
	rest := id[len(prefix):]
	return prefix + rest[:5] + "…" + rest[len(rest)-4:]
}

// demoTask is a demo's task as the printers take it.
func demoTask(t *engine.Task) *api.Task {
	v := api.NewTask(*t, engine.State{})
	return &v
}
