package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

func newTaskCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "task", Short: "create and inspect tasks (host)"}
	create := &cobra.Command{
		Use:   "create SPEC.yaml",
		Short: "create a task from a spec; prints its id (with --server: uploads the spec and its data.test file)",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			t, err := e.CreateTask(cmd.Context(), args[0])
			if err != nil {
				return badInput(err)
			}
			return emitCreated(g, t.Info(), t.Warnings)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			spec, err := readBounded(args[0], engine.MaxSpecBytes)
			if err != nil {
				return badInput(err)
			}
			parsed, err := engine.ParseSpec(spec)
			if err != nil {
				return badInput(err)
			}
			// The server takes data.test as a bare name; the file is found
			// as the engine finds it, beside the spec.
			dataPath := parsed.Data.Test
			if !filepath.IsAbs(dataPath) {
				dataPath = filepath.Join(filepath.Dir(args[0]), dataPath)
			}
			f, err := os.Open(dataPath)
			if err != nil {
				return badInput(fmt.Errorf("task create: data.test: %w", err))
			}
			defer f.Close()
			name := filepath.Base(dataPath)
			if name != parsed.Data.Test {
				if spec, err = rewriteDataTest(spec, name); err != nil {
					return badInput(err)
				}
			}
			// Each phase's own data goes along, found beside the spec and
			// named as the spec names it.
			var phases []client.PhaseData
			for _, pd := range phaseDataOf(parsed) {
				pf, err := os.Open(filepath.Join(filepath.Dir(args[0]), pd))
				if err != nil {
					return badInput(fmt.Errorf("task create: a phase's data.test: %w", err))
				}
				defer pf.Close()
				phases = append(phases, client.PhaseData{Name: pd, Data: pf})
			}
			t, err := c.CreatePhasedTask(cmd.Context(), spec, name, f, phases...)
			if err != nil {
				return err
			}
			return emitCreated(g, t.TaskInfo, t.Warnings)
		}),
	}
	g.serverFlags(create, true)
	c.AddCommand(create)
	var seed bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "show what a participant needs to build a model for a task",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if seed {
				t, err := e.Task(args[0])
				if err != nil {
					return badInput(err)
				}
				fmt.Fprintln(g.stdout, t.Spec.Split.Seed)
				return nil
			}
			t, err := taskView(e, args[0])
			if err != nil {
				return err
			}
			var ps []engine.Phase
			if t.State.Phase != "" {
				if ps, err = e.Phases(args[0], engine.Host); err != nil {
					return err
				}
			}
			return emitTask(g, t, ps)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if seed {
				return badInput(fmt.Errorf("task show: --seed reads the local data dir, not a server: the split seed is the host's secret"))
			}
			t, err := c.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var ps []engine.Phase
			if t.State.Phase != "" {
				if ps, err = c.Phases(cmd.Context(), args[0]); err != nil {
					return err
				}
			}
			return emitTask(g, t, ps)
		}),
	}
	g.serverFlags(show, true)
	show.Flags().BoolVar(&seed, "seed", false, "print only the task's split seed, the host's secret (local data dir only)")
	c.AddCommand(show)
	var closeReason string
	closeCmd := &cobra.Command{
		Use:   "close ID",
		Short: "close a task now and certify it: no more submissions; the private leaderboard is revealed; the top entrants that pass the gates get credentials",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			proms, err := e.CloseTask(cliActor(cmd.Context(), closeReason), args[0])
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
			return emitClosed(g, args[0], st, proms, higherIsBetter(e, args[0]), e.HostDID(), e.StatusListPath())
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			cl, err := c.CloseTask(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			h, err := c.Host(cmd.Context())
			if err != nil {
				return err
			}
			return emitClosed(g, args[0], cl.State, cl.Promotions, remoteHigherIsBetter(cmd.Context(), c, args[0]), h.DID, h.StatusList)
		}),
	}
	g.serverFlags(closeCmd, true)
	closeCmd.Flags().StringVar(&closeReason, "reason", "", reasonUsage)
	c.AddCommand(closeCmd)
	promote := &cobra.Command{
		Use:   "promote ID",
		Short: "promote a closed task again (closing certifies already): for a promotion that issued nothing",
		Args:  cobra.ExactArgs(1),
		RunE:  promoteRun(g, func(args []string) string { return args[0] }),
	}
	g.serverFlags(promote, true)
	c.AddCommand(promote)
	list := &cobra.Command{
		Use:   "list",
		Short: "list tasks",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			ts, err := e.Tasks()
			if err != nil {
				return err
			}
			infos := []engine.TaskInfo{}
			for _, t := range ts {
				infos = append(infos, t.Info())
			}
			return emitTasks(g, infos)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			views, err := c.Tasks(cmd.Context())
			if err != nil {
				return err
			}
			infos := []engine.TaskInfo{}
			for _, v := range views {
				infos = append(infos, v.TaskInfo)
			}
			return emitTasks(g, infos)
		}),
	}
	g.serverFlags(list, true)
	c.AddCommand(list)
	c.AddCommand(newTaskRescoreCmd(g), newTaskVerifyCmd(g), newTaskAuditCmd(g), newTaskPhaseCmd(g))
	c.AddCommand(newTaskAdmitCmd(g), newTaskRevokeAccessCmd(g), newTaskAdmissionsCmd(g), newTaskInviteCmd(g), newTaskJoinCmd(g))
	return c
}

// emitCreated prints a new task's id (and its warnings on stderr).
func emitCreated(g *globals, t engine.TaskInfo, warnings []string) error {
	for _, w := range warnings {
		fmt.Fprintf(g.stderr, "verdict: warning: %s\n", w)
	}
	if g.json {
		return g.emit(t)
	}
	fmt.Fprintln(g.stdout, t.ID)
	return nil
}

// rewriteDataTest sets a spec's data.test to name, for an upload (the
// server takes the data file's bare name).
func rewriteDataTest(spec []byte, name string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("task spec: %w", err)
	}
	data, ok := doc["data"].(map[string]any)
	if !ok {
		return nil, errors.New("task spec: no data section")
	}
	data["test"] = name
	return yaml.Marshal(doc)
}

// emitClosed prints the outcome of closing a task.
func emitClosed(g *globals, id string, st engine.State, proms []engine.Promotion, higher bool, issuer, statusList string) error {
	if g.json {
		return g.emit(map[string]any{"task": id, "state": st, "promotions": proms,
			"issuer": issuer, "status_list": statusList})
	}
	fmt.Fprintf(g.stdout, "%s closed at %s; the private leaderboard is revealed\n", id, st.Closed.Format(time.RFC3339))
	printPromotions(g, proms, higher, issuer, statusList)
	return nil
}

// emitTasks prints the task list.
func emitTasks(g *globals, infos []engine.TaskInfo) error {
	if g.json {
		return g.emit(infos)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tMETRIC\tROWS\tTITLE")
	for _, t := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", t.ID, t.Type, t.Metric, t.Rows, t.Title)
	}
	return tw.Flush()
}

// emitTask prints a task and its state, or emits them with --json.
func emitTask(g *globals, t *api.Task, ps []engine.Phase) error {
	if g.json {
		return g.emit(struct {
			engine.TaskInfo
			State  engine.State   `json:"state"`
			Phases []engine.Phase `json:"phases,omitempty"`
		}{t.TaskInfo, t.State, ps})
	}
	printTask(g, t.TaskInfo)
	printState(g, t, ps)
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

func printState(g *globals, t *api.Task, ps []engine.Phase) {
	st := t.State
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
	if st.Phase != "" {
		fmt.Fprintf(w, "phase     %s now%s; verdict task phase %s lists the phases and their rules\n", st.Phase, currentPhaseNote(ps), t.ID)
	}
	lim := func(n int) string {
		if n == 0 {
			return "unlimited"
		}
		return fmt.Sprint(n)
	}
	fmt.Fprintf(w, "quota     %s per UTC day, %s in all; %d final selections\n", lim(t.Limits.DailyLimit), lim(t.Limits.TotalLimit), t.FinalSelections)
	if t.Teams.MaxSize > 0 {
		fmt.Fprintf(w, "teams     up to %d members, merges until %s\n", t.Teams.MaxSize, when(mustTime(t.Teams.MergeDeadline), "the end"))
	}
	if t.Leaderboard.Mode == engine.ModeLadder {
		fmt.Fprintf(w, "board     the Ladder, step %g\n", t.Leaderboard.Step)
	}
	if t.Access.Mode == engine.AccessInvite || (t.Access.Mode != "" && !t.Access.Listed) {
		listed := "listed: visitors see that it exists"
		if !t.Access.Listed {
			listed = "unlisted: hidden from visitors not admitted"
		}
		mode := "open to every participant"
		if t.Access.Mode == engine.AccessInvite {
			mode = "invite-only"
		}
		fmt.Fprintf(w, "access    %s; %s\n", mode, listed)
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

// phaseDataOf returns the data.test of each of the spec's phases with its
// own data, in order.
func phaseDataOf(s engine.Spec) []string {
	var names []string
	for _, p := range s.Phases {
		if p.Data != nil {
			names = append(names, p.Data.Test)
		}
	}
	return names
}

// currentPhaseNote says, of the current phase among ps, its name and the
// limits in force when it sets its own.
func currentPhaseNote(ps []engine.Phase) string {
	for _, p := range ps {
		if !p.Current {
			continue
		}
		note := ""
		if p.Name != p.ID {
			note = " (" + p.Name + ")"
		}
		if p.Limits != nil {
			note += ", " + phaseLimitsNote(*p.Limits)
		}
		return note
	}
	return ""
}
