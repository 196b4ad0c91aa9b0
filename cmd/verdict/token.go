package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/internal/httpapi"
)

func newTokenCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "host and buyer tokens for verdict serve: create, list, revoke"}
	var name, buyer string
	var buyers bool
	create := &cobra.Command{
		Use:   "create [--name NAME | --buyer DID]",
		Short: "make a host token (or a buyer's) and print it (once: only its SHA-256 is kept)",
		Long: `Create makes a new host token for the data dir, appends its SHA-256 to
DATA_DIR/tokens (mode 0600) and prints the token. A running server accepts it
at once. Requests send it as "Authorization: Bearer TOKEN".

With --buyer DID it makes a buyer token instead (DATA_DIR/buyer-tokens): its
holder is that did:key for metered use of the marketplace's models (POST
/v1/market/{id}/predict, and the predict tool on /mcp), every call counted
to that DID, and can do nothing else: every other route refuses it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if buyer != "" {
				token, err := httpapi.NewBuyerToken(g.dataDir, buyer)
				if err != nil {
					return badInput(err)
				}
				if g.json {
					return g.emit(map[string]string{"buyer": buyer, "token": token})
				}
				fmt.Fprintln(g.stdout, token)
				return nil
			}
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
	create.Flags().StringVar(&buyer, "buyer", "", "make a buyer token for this did:key: metered predict only")
	create.MarkFlagsMutuallyExclusive("name", "buyer")
	c.AddCommand(create)
	list := &cobra.Command{
		Use:   "list [--buyer]",
		Short: "list the host tokens (or with --buyer the buyer tokens): name or DID, created, SHA-256 prefix (never the token)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := httpapi.ListTokens(g.dataDir)
			head := "NAME"
			if buyers {
				ts, err = httpapi.ListBuyerTokens(g.dataDir)
				head = "BUYER"
			}
			if err != nil {
				return err
			}
			if g.json {
				return g.emit(ts)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "%s\tCREATED\tSHA-256\n", head)
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%.12s…\n", t.Name, t.Created.Format(time.RFC3339), t.Hash)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&buyers, "buyer", false, "list the buyer tokens")
	c.AddCommand(list)
	var revokeBuyer bool
	revoke := &cobra.Command{
		Use:   "revoke NAME | --buyer DID",
		Short: "revoke every host token with this name (or with --buyer every buyer token of this DID); a running server refuses them at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			revokeTokens := httpapi.RevokeTokens
			if revokeBuyer {
				revokeTokens = httpapi.RevokeBuyerTokens
			}
			n, err := revokeTokens(g.dataDir, args[0])
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
	}
	revoke.Flags().BoolVar(&revokeBuyer, "buyer", false, "revoke the buyer tokens of the did:key given")
	c.AddCommand(revoke)
	return c
}
