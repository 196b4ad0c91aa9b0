package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine"
)

func newCheckCmd(g *globals) *cobra.Command {
	var task, sample string
	c := &cobra.Command{
		Use:   "check MODEL.wasm --task ID [--sample FILE] [--server URL]",
		Short: "check a model against a task before submitting it: no submission, no quota",
		Long: `Check runs a model the way an evaluation of the task would, on this machine,
and says what would fail and how to fix it, without submitting it (nothing
is recorded and no quota is used):

  abi          the sandbox's load checks: imports, exports, signatures, reactor
  sample       the rows it runs on: the first 256 of --sample FILE (a CSV such as
               your training data; the task's features are taken by name, other
               columns ignored), else 64 synthetic rows of the task's shape
  run          a run on those rows
  outputs      the outputs as the task's metric checks them
  determinism  the rows again, shuffled in other batches: the same bits
  time         the evaluation's time estimated from the runs, against the limit
  memory       the model's memory, against the limit

The task is read from the data dir, or from a running 'verdict serve' with
--server; only its public face is used, never its held-out rows or labels.
Exit 0 when nothing would fail (warnings allowed), 1 when something would.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			module, err := readModule(args[0])
			if err != nil {
				return badInput(err)
			}
			info, err := checkTaskInfo(ctx, g, task)
			if err != nil {
				return err
			}
			if err := checkONNXFeatures(module, info.Features); err != nil {
				return badInput(fmt.Errorf("%s: %w", args[0], err))
			}
			rep, err := engine.Check(ctx, engine.CheckConfig{Task: info, Module: module, SamplePath: sample,
				CacheDir: os.Getenv("VERDICT_CACHE_DIR")})
			if errors.Is(err, engine.ErrBadRequest) {
				return badInput(err)
			}
			if err != nil {
				return err
			}
			if g.json {
				if err := g.emit(rep); err != nil {
					return err
				}
			} else {
				printCheck(g.stdout, args[0], rep)
			}
			if rep.Failed() {
				return errSubmissionFailed // printed: exit 1 with nothing more to say
			}
			return nil
		},
	}
	c.Flags().StringVar(&task, "task", "", "the `ID` of the task to check against (required)")
	c.Flags().StringVar(&sample, "sample", "", "a CSV `FILE` of your own rows (e.g. your training data) to run on, instead of synthetic rows")
	g.serverFlags(c, false)
	_ = c.MarkFlagRequired("task")
	return c
}

// checkTaskInfo returns the public face of the task to check against:
// from the server with --server (or the server running on the data dir),
// else from the data dir (whose store is closed again before the check
// runs).
func checkTaskInfo(ctx context.Context, g *globals, id string) (engine.TaskInfo, error) {
	c, err := g.remoteClient(ctx)
	if err != nil {
		return engine.TaskInfo{}, err
	}
	if c != nil {
		t, err := c.Task(ctx, id)
		if err != nil {
			return engine.TaskInfo{}, remoteErr(err)
		}
		return t.TaskInfo, nil
	}
	// A participant who forgot --server has no data dir: say so, rather
	// than create an empty one and report the task missing from it.
	if _, err := os.Stat(g.dataDir); errors.Is(err, fs.ErrNotExist) {
		return engine.TaskInfo{}, badInput(fmt.Errorf("no data dir %s to read task %q from: check against the host's server with --server URL (or give --data-dir DIR)", g.dataDir, id))
	}
	e, err := g.open(ctx)
	if err != nil {
		return engine.TaskInfo{}, err
	}
	defer e.Close(ctx)
	t, err := e.Task(id)
	if err != nil {
		return engine.TaskInfo{}, badInput(err)
	}
	return t.Info(), nil
}

// checkWidth is the width printCheck fits its lines to.
const checkWidth = 100

// printCheck prints one entry per check, its message wrapped to
// checkWidth columns, then the outcome.
func printCheck(w io.Writer, path string, r *engine.CheckReport) {
	sha := r.ModuleSHA256
	if len(sha) > 12 {
		sha = sha[:12]
	}
	if sha == "" {
		sha = "-"
	}
	fmt.Fprintf(w, "check %s (sha256 %s, %d bytes) for task %s\n", path, sha, r.ModuleBytes, r.Task)
	const indent = 19 // "FAIL  determinism  "
	count := map[engine.CheckStatus]int{}
	for _, c := range r.Checks {
		count[c.Status]++
		status := string(c.Status)
		if c.Status == engine.CheckFail {
			status = "FAIL"
		}
		lines := wrapWords(c.Message, checkWidth-indent)
		fmt.Fprintf(w, "%-4s  %-11s  %s\n", status, c.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", indent), l)
		}
	}
	switch {
	case count[engine.CheckFail] > 0:
		fmt.Fprintf(w, "a submission would fail: %s failed; fix them before spending quota\n", plural(count[engine.CheckFail], "check"))
	case count[engine.CheckWarn] > 0:
		fmt.Fprintf(w, "a submission would run, with %s\n", plural(count[engine.CheckWarn], "warning"))
	default:
		fmt.Fprintln(w, "every check passed: the model is ready to submit")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// wrapWords breaks s at spaces into lines of at most width characters; a
// word longer than width is cut into pieces of width.
func wrapWords(s string, width int) []string {
	var lines []string
	line, n := "", 0
	for _, word := range strings.Fields(s) {
		runes := []rune(word)
		for len(runes) > width {
			if line != "" {
				lines, line, n = append(lines, line), "", 0
			}
			lines, runes = append(lines, string(runes[:width])), runes[width:]
		}
		switch {
		case n == 0:
			line, n = string(runes), len(runes)
		case n+1+len(runes) <= width:
			line, n = line+" "+string(runes), n+1+len(runes)
		default:
			lines, line, n = append(lines, line), string(runes), len(runes)
		}
	}
	return append(lines, line)
}
