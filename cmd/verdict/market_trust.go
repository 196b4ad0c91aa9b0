package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// marketTrustCmd manages the marketplace's registry of trusted issuers
// (market.TrustedIssuer), on the data dir or with --server through the
// API (changes need the host token, VERDICT_TOKEN).
func marketTrustCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "trust",
		Short: "the issuers this marketplace trusts: add, list, remove, log",
		Long: `Trust keeps the registry of the issuers this marketplace trusts to certify
models: each by its host did:key (trust list on a data dir prints its
own), with a name, the period whose credentials it vouches for, and
optionally the only tasks or dataset SHA-256s it may certify. This data
dir's own host is always trusted for its own credentials. Every add and
remove is appended to the trust log (trust log): when, what, the local
user (through a server: the host and its address) and --reason. With
--server URL they act on that server's marketplace; list --verify checks
the registry the server publishes signed by its host, as a buyer would.`,
	}
	c.AddCommand(marketTrustAddCmd(g), marketTrustListCmd(g), marketTrustRemoveCmd(g), marketTrustLogCmd(g))
	return c
}

func marketTrustAddCmd(g *globals) *cobra.Command {
	var (
		ti                   market.TrustedIssuer
		since, until, reason string
	)
	parse := func(args []string, now time.Time) error {
		ti.DID = args[0]
		var err error
		if ti.Since, err = trustTime("since", since, now); err != nil {
			return badInput(err)
		}
		if until != "" {
			if ti.Until, err = trustTime("until", until, time.Time{}); err != nil {
				return badInput(err)
			}
		}
		return nil
	}
	emit := func() error {
		if g.json {
			return g.emit(ti)
		}
		fmt.Fprintf(g.stdout, "trusted     %s (%s) since %s\n", ti.DID, ti.Name, ti.Since.Format(time.RFC3339))
		return nil
	}
	c := &cobra.Command{
		Use:   "add DID --name NAME [--bbs-did DID] [--since TIME] [--until TIME] [--task ID]... [--dataset SHA256]...",
		Short: "trust an issuer (or replace its entry)",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if err := parse(args, e.Now()); err != nil {
				return err
			}
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			if err := mk.Trust(cliActor(cmd.Context(), reason), ti); err != nil {
				return badInput(err)
			}
			return emit()
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := parse(args, time.Now()); err != nil {
				return err
			}
			if _, err := c.Trust(cmd.Context(), ti, reason); err != nil {
				return err
			}
			return emit()
		}),
	}
	g.serverFlags(c, false)
	f := c.Flags()
	f.StringVar(&ti.Name, "name", "", "who the issuer is (required)")
	f.StringVar(&since, "since", "", "trust credentials issued from this time on (RFC 3339; default now)")
	f.StringVar(&until, "until", "", "trust credentials issued before this time only (RFC 3339; default no end)")
	f.StringSliceVar(&ti.Tasks, "task", nil, "a task id the issuer may certify (repeatable; default any)")
	f.StringSliceVar(&ti.Datasets, "dataset", nil, "a dataset SHA-256 the issuer may certify on (repeatable; default any)")
	f.StringVar(&ti.BBSDID, "bbs-did", "", "the issuer's BBS did:key (did:key:zUC7…, its /v1/host bbs_did): its selective disclosures verify here against it")
	f.StringVar(&reason, "reason", "", "why, for the trust log")
	_ = c.MarkFlagRequired("name")
	return c
}

// trustTime parses a --since or --until flag; "" is def.
func trustTime(flag, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def.UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("--%s %q: not an RFC 3339 time (2026-12-07T21:00:00Z)", flag, v)
	}
	return t.UTC(), nil
}

func marketTrustListCmd(g *globals) *cobra.Command {
	var verify bool
	c := &cobra.Command{
		Use:   "list [--server URL [--verify]]",
		Short: "the trusted issuers",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if verify {
				return badInput(errors.New("--verify checks the registry a server publishes: give --server URL"))
			}
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			reg, err := mk.Registry()
			if err != nil {
				return err
			}
			return printRegistry(g, reg, false, e.HostBBSDID())
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if verify {
				reg, _, err := c.SignedRegistry(cmd.Context(), "")
				if err != nil {
					return err
				}
				return printRegistry(g, reg, true, "")
			}
			reg, err := c.Trusted(cmd.Context())
			if err != nil {
				return err
			}
			return printRegistry(g, reg, false, "")
		}),
	}
	g.serverFlags(c, false)
	c.Flags().BoolVar(&verify, "verify", false, "read the registry the server publishes signed (GET /v1/market/issuers) and check its signature")
	return c
}

// printRegistry prints the registry, or emits it as JSON (its host and
// issuers, and verified when its signature was checked).
// hostBBS is the host's BBS did:key when known ("" over --server).
func printRegistry(g *globals, reg *market.Registry, verified bool, hostBBS string) error {
	if g.json {
		out := map[string]any{"host": reg.Issuer, "issuers": reg.Issuers}
		if hostBBS != "" {
			out["host_bbs_did"] = hostBBS
		}
		if verified {
			out["verified"], out["issued"] = true, reg.Issued
		}
		return g.emit(out)
	}
	if verified {
		fmt.Fprintf(g.stdout, "signed by   %s at %s: signature verified\n", reg.Issuer, reg.Issued.Format(time.RFC3339))
	}
	fmt.Fprintf(g.stdout, "this host   %s (always trusted for its own credentials)", reg.Issuer)
	if hostBBS != "" {
		fmt.Fprintf(g.stdout, " bbs %s", hostBBS)
	}
	fmt.Fprintln(g.stdout)
	for _, ti := range reg.Issuers {
		period := "since " + ti.Since.Format(time.RFC3339)
		if !ti.Until.IsZero() {
			period += " until " + ti.Until.Format(time.RFC3339)
		}
		fmt.Fprintf(g.stdout, "trusted     %s (%s) %s", ti.DID, ti.Name, period)
		if len(ti.Tasks) > 0 {
			fmt.Fprintf(g.stdout, " tasks %v", ti.Tasks)
		}
		if len(ti.Datasets) > 0 {
			fmt.Fprintf(g.stdout, " datasets %v", ti.Datasets)
		}
		if ti.BBSDID != "" {
			fmt.Fprintf(g.stdout, " bbs %s", ti.BBSDID)
		}
		fmt.Fprintln(g.stdout)
	}
	return nil
}

func marketTrustRemoveCmd(g *globals) *cobra.Command {
	var reason string
	emit := func(did string) error {
		if g.json {
			return g.emit(map[string]string{"removed": did})
		}
		fmt.Fprintf(g.stdout, "removed     %s\n", did)
		return nil
	}
	c := &cobra.Command{
		Use:   "remove DID",
		Short: "stop trusting an issuer",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			if err := mk.Untrust(cliActor(cmd.Context(), reason), args[0]); err != nil {
				if errors.Is(err, engine.ErrNotFound) {
					return badInput(err)
				}
				return err
			}
			return emit(args[0])
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.Untrust(cmd.Context(), args[0], reason); err != nil {
				return err
			}
			return emit(args[0])
		}),
	}
	g.serverFlags(c, false)
	c.Flags().StringVar(&reason, "reason", "", "why, for the trust log")
	return c
}

func marketTrustLogCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "log",
		Short: "every change of the trusted issuers, oldest first: when, what, who and why",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			log, err := mk.TrustLog()
			if err != nil {
				return err
			}
			return printTrustLog(g, log)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			log, err := c.TrustLog(cmd.Context())
			if err != nil {
				return err
			}
			return printTrustLog(g, log)
		}),
	}
	g.serverFlags(c, false)
	return c
}

func printTrustLog(g *globals, log []market.TrustChange) error {
	if g.json {
		return g.emit(log)
	}
	for _, c := range log {
		fmt.Fprintf(g.stdout, "%s  %-7s %s (%s) by %s", c.Time.Format(time.RFC3339), c.Action, c.Issuer.DID, c.Issuer.Name, c.Actor)
		if c.Reason != "" {
			fmt.Fprintf(g.stdout, ": %s", c.Reason)
		}
		fmt.Fprintln(g.stdout)
	}
	return nil
}
