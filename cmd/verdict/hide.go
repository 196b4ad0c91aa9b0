package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
)

// newHideCmd is verdict credential hide: the author's opt-in to be shown
// to visitors only through a selective disclosure without their name.
func newHideCmd(g *globals) *cobra.Command {
	var reveal []string
	c := &cobra.Command{
		Use:   "hide ID [--reveal POINTER...]",
		Short: "show a credential to visitors only without its author (a bbs-2023 selective disclosure)",
		Long: `Hide makes the server show the credential ID to everyone but its author
and the host only as a derived credential (bbs-2023) that reveals the
mandatory claims (id, type, issuer, validity, the model hash, the task's id,
title and type, the revocation status entry) and the claims each --reveal
JSON pointer names (see verdict credential derive --help), never the author:
on the credential routes and pages, the marketplace entry and its bundle,
and MCP. The author and the host still get it in full. Hiding again
replaces the pointers. It cannot be undone by a visitor's copy: what was
fetched before stays fetched.

What stays visible: the task's leaderboards name every ranked participant
with their score and rank; a marketplace listing shows the card's scores and
rank. Anyone who reads both can tell who holds the rank a listing shows
(README, "What hiding hides").

With --server, sign the request with --key (the author's key; the host may
too); without it, the data dir's host hides it.`,
		Example: `  verdict credential hide urn:uuid:… --reveal /credentialSubject/scoreAtLeast/0 --server https://verdict.example --key me.key`,
		Args:    cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			c, err := e.HideCredential(args[0], reveal)
			if err != nil {
				return badInput(err)
			}
			return emitHidden(g, c)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			cr, err := c.Hide(cmd.Context(), args[0], reveal)
			if err != nil {
				return err
			}
			return emitHidden(g, cr)
		}),
	}
	g.serverFlags(c, true)
	c.Flags().StringArrayVar(&reveal, "reveal", nil, "a JSON pointer to a claim visitors may see (repeat)")
	return c
}

func emitHidden(g *globals, c *engine.Credential) error {
	if g.json {
		return g.emit(c)
	}
	reveal := "the mandatory claims only"
	if c.Hidden != nil && len(c.Hidden.Reveal) > 0 {
		reveal = "the mandatory claims and " + strings.Join(c.Hidden.Reveal, ", ")
	}
	_, err := fmt.Fprintf(g.stdout, "credential %s hidden: visitors see %s, not the author\n", c.ID, reveal)
	return err
}
