package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

func newLeaderboardCmd(g *globals) *cobra.Command {
	var (
		private             bool
		as, server, keyFile string
	)
	c := &cobra.Command{
		Use:   "leaderboard ID",
		Short: "print a task's leaderboard: each participant's best score",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if server == "" {
				return g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
					return leaderboardLocal(g, e, args[0], as, private)
				})(cmd, args)
			}
			if as != "" {
				return errNoRemote("--as")
			}
			c, err := newRemote(server, keyFile)
			if err != nil {
				return err
			}
			t, _, err := c.task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var lb api.Leaderboard
			path := "/v1/tasks/" + url.PathEscape(args[0]) + "/leaderboard?private=" + strconv.FormatBool(private)
			if err := c.call(cmd.Context(), "GET", path, nil, "", &lb); err != nil {
				return err
			}
			return emitLeaderboard(g, t, lb.Entries, private)
		},
	}
	c.Flags().StringVar(&as, "as", "", asUsage)
	c.Flags().StringVar(&server, "server", "", serverUsage)
	c.Flags().StringVar(&keyFile, "key", "", "with --server: sign the requests with this key (verdict keygen): see what its participant sees")
	c.Flags().BoolVar(&private, "private", false, "the private leaderboard: best private score among each participant's final selections (host; everyone after close)")
	return c
}

func leaderboardLocal(g *globals, e *engine.Engine, id, as string, private bool) error {
	t, err := e.Task(id)
	if err != nil {
		return badInput(err)
	}
	rows, err := e.Leaderboard(id, viewer(as), private)
	if errors.Is(err, engine.ErrForbidden) {
		return badInput(err)
	}
	if err != nil {
		return err
	}
	return emitLeaderboard(g, t, rows, private)
}

// emitLeaderboard prints rows, or emits them with --json.
func emitLeaderboard(g *globals, t *engine.Task, rows []engine.Entry, private bool) error {
	if g.json {
		return g.emit(struct {
			Task    string         `json:"task"`
			Metric  string         `json:"metric"`
			Private bool           `json:"private"`
			Entries []engine.Entry `json:"entries"`
		}{t.Spec.ID, t.Spec.Metric, private, rows})
	}
	printLeaderboard(g, t, rows, private)
	return nil
}

func printLeaderboard(g *globals, t *engine.Task, rows []engine.Entry, private bool) {
	part, n := "public", t.PublicRows
	if private {
		part, n = "private", t.PrivateRows
	}
	dir := "lower is better"
	if t.HigherIsBetter {
		dir = "higher is better"
	}
	fmt.Fprintf(g.stdout, "%s leaderboard — %s — %s on %d rows (%s)\n", t.Spec.ID, part, t.Spec.Metric, n, dir)
	if len(rows) == 0 {
		fmt.Fprintln(g.stdout, "  no scored submissions yet")
		return
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tPARTICIPANT\tSCORE\t95% CI\tSUBMISSIONS\tBEST SUBMISSION\tSUBMITTED")
	for _, r := range rows {
		ci := "—"
		if r.CI != nil {
			ci = fmt.Sprintf("[%s, %s]", formatScore(r.CI.Low), formatScore(r.CI.High))
		}
		rank, who, n := fmt.Sprint(r.Rank), displayName(r.Name, r.Participant), fmt.Sprint(r.Submissions)
		switch {
		case r.Baseline:
			rank, who, n = "--", "("+who+", baseline)", "—"
		case r.Team:
			who = "team " + who
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rank, who, formatScore(r.Score), ci, n, r.Submission, r.Submitted.Format("2006-01-02 15:04:05Z"))
	}
	tw.Flush()
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
