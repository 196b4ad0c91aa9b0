package main

import (
	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/sandbox"
)

// newChildCmd is the hidden subcommand that serves as the child process of
// sandbox.Process isolation: verdict re-executes itself with
// sandbox.ChildArg, and this hands the process to sandbox.ServeChild. In
// practice the sandbox package's init serves it first (whenever ChildArg is
// the only argument); the subcommand names the argument in the command
// tree, so that it is never taken for anything else.
func newChildCmd() *cobra.Command {
	return &cobra.Command{
		Use:    sandbox.ChildArg,
		Short:  "serve sandbox requests from the parent (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sandbox.ServeChild(cmd.Context())
		},
	}
}
