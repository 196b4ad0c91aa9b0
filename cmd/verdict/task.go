package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

func newTaskCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "task", Short: "create and inspect tasks (host)"}
	c.AddCommand(&cobra.Command{
		Use:   "create SPEC.yaml",
		Short: "create a task from a spec; prints its id",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			t, err := e.CreateTask(cmd.Context(), args[0])
			if err != nil {
				return badInput(err)
			}
			for _, w := range t.Warnings {
				fmt.Fprintf(g.stderr, "verdict: warning: %s\n", w)
			}
			if g.json {
				return g.emit(t.Info())
			}
			fmt.Fprintln(g.stdout, t.Spec.ID)
			return nil
		}),
	})
	var server string
	var seed bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "show what a participant needs to build a model for a task",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if seed && server != "" {
				return badInput(fmt.Errorf("task show: --seed reads the local data dir, not a server: the split seed is the host's secret"))
			}
			if server != "" {
				c, err := newRemote(server, "")
				if err != nil {
					return err
				}
				t, v, err := c.task(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return emitTask(g, t, v.State)
			}
			return g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
				t, err := e.Task(args[0])
				if err != nil {
					return badInput(err)
				}
				if seed {
					fmt.Fprintln(g.stdout, t.Spec.Split.Seed)
					return nil
				}
				st, err := e.TaskState(args[0])
				if err != nil {
					return err
				}
				return emitTask(g, t, st)
			})(cmd, args)
		},
	}
	show.Flags().StringVar(&server, "server", "", serverUsage)
	show.Flags().BoolVar(&seed, "seed", false, "print only the task's split seed, the host's secret (local data dir only)")
	c.AddCommand(show)
	c.AddCommand(&cobra.Command{
		Use:   "close ID",
		Short: "close a task now and certify it: no more submissions; the private leaderboard is revealed; the top entrants that pass the gates get credentials",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			proms, err := e.CloseTask(cmd.Context(), args[0])
			if errors.Is(err, engine.ErrClosed) || errors.Is(err, engine.ErrNotFound) {
				return badInput(err)
			}
			if err != nil {
				return err
			}
			st, err := e.TaskState(args[0])
			if err != nil {
				return err
			}
			if g.json {
				return g.emit(map[string]any{"task": args[0], "state": st, "promotions": proms,
					"issuer": e.HostDID(), "status_list": e.StatusListPath()})
			}
			fmt.Fprintf(g.stdout, "%s closed at %s; the private leaderboard is revealed\n", args[0], st.Closed.Format(time.RFC3339))
			printPromotions(g, e, proms)
			return nil
		}),
	})
	var listServer string
	list := &cobra.Command{
		Use:   "list",
		Short: "list tasks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var infos []engine.TaskInfo
			if listServer != "" {
				c, err := newRemote(listServer, "")
				if err != nil {
					return err
				}
				var views []api.Task
				if err := c.call(cmd.Context(), "GET", "/v1/tasks", nil, "", &views); err != nil {
					return err
				}
				for _, v := range views {
					infos = append(infos, v.TaskInfo)
				}
			} else {
				err := g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
					ts, err := e.Tasks()
					for _, t := range ts {
						infos = append(infos, t.Info())
					}
					return err
				})(cmd, args)
				if err != nil {
					return err
				}
			}
			if infos == nil {
				infos = []engine.TaskInfo{}
			}
			if g.json {
				return g.emit(infos)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tMETRIC\tROWS\tTITLE")
			for _, t := range infos {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", t.ID, t.Type, t.Metric, t.Rows, t.Title)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&listServer, "server", "", serverUsage)
	c.AddCommand(list)
	return c
}

// emitTask prints a task and its state, or emits them with --json.
func emitTask(g *globals, t *engine.Task, st engine.State) error {
	if g.json {
		return g.emit(struct {
			engine.TaskInfo
			State engine.State `json:"state"`
		}{t.Info(), st})
	}
	printTask(g, t.Info())
	printState(g, t.Spec, st)
	return nil
}

func printTask(g *globals, t engine.TaskInfo) {
	dir := "lower is better"
	if t.HigherIsBetter {
		dir = "higher is better"
	}
	w := g.stdout
	fmt.Fprintf(w, "task      %s — %s\n", t.ID, t.Title)
	fmt.Fprintf(w, "type      %s\n", t.Type)
	fmt.Fprintf(w, "metric    %s (%s)\n", t.Metric, dir)
	fmt.Fprintf(w, "rows      %d test rows\n", t.Rows)
	fmt.Fprintf(w, "outputs   %d per row (%s)\n", t.Outputs, outputsNote(t))
	fmt.Fprintf(w, "limits    memory %d MiB, %gs per evaluation, modules up to %g MiB\n", t.Limits.MemoryMB, t.Limits.TimeoutS, t.Limits.MaxModuleMB)
	fmt.Fprintf(w, "dataset   sha256 %s\n", t.DatasetSHA256)
	if g := gatesNote(t.Gates); g != "" {
		fmt.Fprintf(w, "gates     %s; the top %d at close that pass them are certified\n", g, t.PromoteTop)
	}
	fmt.Fprintf(w, "features  %d, in ABI order (x column j):\n", len(t.Features))
	for j, f := range t.Features {
		fmt.Fprintf(w, "  %3d  %s\n", j, f)
	}
}

func printState(g *globals, spec engine.Spec, st engine.State) {
	w := g.stdout
	when := func(t time.Time, none string) string {
		if t.IsZero() {
			return none
		}
		return t.Format(time.RFC3339)
	}
	status := "open"
	switch {
	case !st.Closed.IsZero():
		status = "closed at " + st.Closed.Format(time.RFC3339) + "; private leaderboard revealed"
	case !st.Open:
		status = "not open yet"
	}
	fmt.Fprintf(w, "schedule  %s to %s (%s)\n", when(st.Start, "creation"), when(st.End, "closed by the host"), status)
	lim := func(n int) string {
		if n == 0 {
			return "unlimited"
		}
		return fmt.Sprint(n)
	}
	fmt.Fprintf(w, "quota     %s per UTC day, %s in all; %d final selections\n", lim(spec.Limits.DailyLimit), lim(spec.Limits.TotalLimit), spec.FinalSelections)
	if spec.Teams.MaxSize > 0 {
		fmt.Fprintf(w, "teams     up to %d members, merges until %s\n", spec.Teams.MaxSize, when(mustTime(spec.Teams.MergeDeadline), "the end"))
	}
	if spec.Leaderboard.Mode == engine.ModeLadder {
		fmt.Fprintf(w, "board     the Ladder, step %g\n", spec.Leaderboard.Step)
	}
}

func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func outputsNote(t engine.TaskInfo) string {
	switch t.Type {
	case "binary":
		return "probability of class 1"
	case "multiclass":
		cls := make([]string, t.Classes)
		for k := range cls {
			cls[k] = fmt.Sprint(k)
		}
		return "probability of each class " + strings.Join(cls, ", ")
	case "ranking":
		return "relevance score; higher ranks first"
	default:
		return "predicted value"
	}
}
