package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/market"
)

func newMCPCmd(g *globals) *cobra.Command {
	var keyFile string
	c := &cobra.Command{
		Use:   "mcp",
		Short: "serve the marketplace to an AI agent over MCP on stdin/stdout",
		Long: `Mcp speaks the Model Context Protocol on stdin and stdout (one JSON-RPC
message per line), for an AI agent's MCP client to start as a subprocess
("command": "verdict", "args": ["mcp", "--data-dir", DIR]). Its tools
search the data dir's marketplace (search_models), read a model's card
(get_model_card), check its certificate (verify_model) and rank the
certified models on the agent's own labelled sample, run in the sandbox
(rank_models_on_sample); its resources are the signed cards and
credentials. Every answer says who certified a model and whether that
issuer is trusted here. Its predict tool uses a model as a metered service:
each call is counted to the did:key of --key FILE (verdict keygen) and
recorded in the data dir's usage ledger, and the answer holds the receipt;
without --key, predict is refused. verdict serve offers the same at /mcp
over HTTP (where predict needs a buyer token or a signed request). It ends
when stdin closes.`,
		Args: cobra.NoArgs,
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			cfg := mcpserver.Config{Market: mk, NoCaller: "start verdict mcp with --key FILE (a did:key from verdict keygen): predict calls are metered to that key's did:key"}
			if keyFile != "" {
				k, err := credential.ReadKeyFile(keyFile)
				if err != nil {
					return badInput(fmt.Errorf("--key: %w", err))
				}
				cfg.Caller = k.DID()
			}
			s := mcpserver.New(cfg)
			err = s.Run(cmd.Context(), &mcp.IOTransport{Reader: io.NopCloser(cmd.InOrStdin()), Writer: nopWriteCloser{g.stdout}})
			if errors.Is(err, io.EOF) || errors.Is(err, cmd.Context().Err()) && cmd.Context().Err() != nil {
				return nil
			}
			return err
		}),
	}
	c.Flags().StringVar(&keyFile, "key", "", "meter predict calls to this key file's did:key (verdict keygen); without it predict is refused")
	return c
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
