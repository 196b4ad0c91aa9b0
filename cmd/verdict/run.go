package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a submission or evaluation failed
	exitUsage  = 2 // bad usage or bad input
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// failed is returned when the command printed its result but the
// submission it reports on failed: exit 1 with nothing more to say.
var errSubmissionFailed = &exitError{code: exitFailed, err: errors.New("submission failed")}

// globals are the flags every command shares.
type globals struct {
	dataDir string
	json    bool
	stdout  io.Writer
	stderr  io.Writer
	started bool // a command's own code began: errors after this are not usage errors

	server  string // --server: act through this server's HTTP API
	keyFile string // --key with --server: sign every request as this key
}

func (g *globals) open(ctx context.Context) (*engine.Engine, error) {
	if g.server != "" {
		return nil, errNoRemote("this command")
	}
	waiting := false
	for {
		e, err := engine.Open(ctx, engine.Config{DataDir: g.dataDir, CacheDir: os.Getenv("VERDICT_CACHE_DIR")})
		if !errors.Is(err, engine.ErrLocked) {
			return e, err
		}
		// Another process holds the store: a running server (whose
		// commands --server reaches) or another command, which will be
		// done soon. Wait for it, as long as the caller does.
		if _, _, ok := served(ctx, g.dataDir); ok {
			return nil, fmt.Errorf("%w: a verdict serve runs on %s: this command has no --server form; stop the server, or act through its HTTP API", err, g.dataDir)
		}
		if !waiting {
			fmt.Fprintf(g.stderr, "verdict: waiting for %s: another verdict command has it open (a server? give --server URL to act through it)\n", g.dataDir)
			waiting = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: gave up waiting (%w); a running verdict serve is reached with --server URL", err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// viewer is who a read command shows things to: the host, unless --as
// names a participant.
func viewer(as string) engine.Viewer {
	if as == "" {
		return engine.Host
	}
	return engine.Viewer{Participant: as}
}

const asUsage = "show what this participant would see (default: the host, who sees everything)"

// emit writes v as indented JSON.
func (g *globals) emit(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// run is the whole command line: main only adds the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errSubmissionFailed) || errors.Is(err, errMismatch) {
		return exitFailed
	}
	code := exitFailed
	if !g.started {
		code = exitUsage // cobra refused the command line before any command ran
	}
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if g.json {
		_ = g.emit(map[string]any{"error": map[string]string{"kind": errorKind(err), "message": engine.Message(err)}})
	} else {
		fmt.Fprintf(stderr, "verdict: %s\n", engine.Message(err))
	}
	return code
}

func errorKind(err error) string {
	switch {
	case errors.Is(err, engine.ErrInvalidSpec):
		return "invalid_spec"
	case errors.Is(err, engine.ErrNotFound):
		return "not_found"
	case errors.Is(err, engine.ErrExists):
		return "exists"
	case errors.Is(err, engine.ErrQuotaExceeded):
		return "quota"
	case errors.Is(err, engine.ErrClosed):
		return "closed"
	case errors.Is(err, engine.ErrNotOpen):
		return "not_open"
	case errors.Is(err, engine.ErrQueueFull):
		return "queue_full"
	case errors.Is(err, engine.ErrTeam):
		return "team"
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.code == exitUsage {
		return "bad_input"
	}
	return "error"
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "verdict",
		Short: "verdict judges WebAssembly models on held-out data",
		Long: `verdict runs evaluation competitions: a host creates a task from a held-out
dataset, participants submit models compiled to WebAssembly, verdict runs each
in a sandbox that sees only the test features, scores the predictions and
ranks them on a leaderboard.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Cobra checks required flags after the pre-run hooks; check them
		// here so that a missing flag is a usage error (exit 2).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return badInput(err)
			}
			g.started = true
			return nil
		},
	}
	def := os.Getenv("VERDICT_DATA_DIR")
	if def == "" {
		def = "./verdict-data"
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", def, "where verdict keeps its store, datasets and modules (env VERDICT_DATA_DIR)")
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print machine-readable JSON")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(newTaskCmd(g), newSubmitCmd(g), newLeaderboardCmd(g), newScoreCmd(g), newMetricsCmd(g), newDemoCmd(g),
		newSelectCmd(g), newSelectionsCmd(g), newTeamCmd(g), newHistoryCmd(g), newSubmissionsCmd(g), newSubmissionCmd(g), newRecoverCmd(g),
		newKeygenCmd(g), newCredentialCmd(g), newMarketCmd(g), newServeCmd(g), newWorkerCmd(g), newTokenCmd(g), newChildCmd(), newInitCmd(g))
	root.AddCommand(newLedgerCmd(g))
	root.AddCommand(newCheckCmd(g))
	root.AddCommand(newPackCmd(g))
	root.AddCommand(newMCPCmd(g))
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes argument-count errors exit 2 like flag errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		inner := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error { return badInput(inner(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// withEngine adapts a command that needs the engine: it opens the data dir
// before fn and closes it after, so each command holds only its own logic.
func (g *globals) withEngine(fn func(cmd *cobra.Command, args []string, e *engine.Engine) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		e, err := g.open(cmd.Context())
		if err != nil {
			return err
		}
		defer e.Close(cmd.Context())
		return fn(cmd, args, e)
	}
}
