package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/internal/httpapi"
)

func newTokenCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "host tokens for verdict serve"}
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
	return c
}
