package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/internal/httpapi"
)

func newTokenCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "host tokens for verdict serve: create, list, revoke"}
	var name string
	create := &cobra.Command{
		Use:   "create [--name NAME]",
		Short: "make a host token and print it (once: only its SHA-256 is kept)",
		Long: `Create makes a new host token for the data dir, appends its SHA-256 to
DATA_DIR/tokens (mode 0600) and prints the token. A running server accepts it
at once. Requests send it as "Authorization: Bearer TOKEN".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := httpapi.NewToken(g.dataDir, name)
			if err != nil {
				return badInput(err)
			}
			if g.json {
				return g.emit(map[string]string{"name": name, "token": token})
			}
			fmt.Fprintln(g.stdout, token)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "host", "a note on who holds the token (one word)")
	c.AddCommand(create)
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "list the host tokens: name, created, SHA-256 prefix (never the token)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := httpapi.ListTokens(g.dataDir)
			if err != nil {
				return err
			}
			if g.json {
				return g.emit(ts)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCREATED\tSHA-256")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%.12s…\n", t.Name, t.Created.Format(time.RFC3339), t.Hash)
			}
			return tw.Flush()
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "revoke NAME",
		Short: "revoke every host token with this name; a running server refuses them at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := httpapi.RevokeTokens(g.dataDir, args[0])
			if err != nil {
				return err
			}
			if n == 0 {
				return badInput(fmt.Errorf("no token named %q", args[0]))
			}
			if g.json {
				return g.emit(map[string]any{"name": args[0], "revoked": n})
			}
			fmt.Fprintf(g.stdout, "revoked %d token(s) named %s\n", n, args[0])
			return nil
		},
	})
	return c
}
