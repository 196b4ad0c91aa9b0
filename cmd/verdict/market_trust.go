package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// marketTrustCmd manages the marketplace's registry of trusted issuers
// (market.TrustedIssuer), on the data dir (no --server yet).
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
user and --reason.`,
	}
	c.AddCommand(marketTrustAddCmd(g), marketTrustListCmd(g), marketTrustRemoveCmd(g), marketTrustLogCmd(g))
	return c
}

func marketTrustAddCmd(g *globals) *cobra.Command {
	var (
		ti                   market.TrustedIssuer
		since, until, reason string
	)
	c := &cobra.Command{
		Use:   "add DID --name NAME [--bbs-did DID] [--since TIME] [--until TIME] [--task ID]... [--dataset SHA256]...",
		Short: "trust an issuer (or replace its entry)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			ti.DID = args[0]
			var err error
			if ti.Since, err = trustTime("since", since, e.Now()); err != nil {
				return badInput(err)
			}
			if until != "" {
				if ti.Until, err = trustTime("until", until, time.Time{}); err != nil {
					return badInput(err)
				}
			}
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			if err := mk.Trust(cliActor(cmd.Context(), reason), ti); err != nil {
				return badInput(err)
			}
			if g.json {
				return g.emit(ti)
			}
			fmt.Fprintf(g.stdout, "trusted     %s (%s) since %s\n", ti.DID, ti.Name, ti.Since.Format(time.RFC3339))
			return nil
		}),
	}
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
	return &cobra.Command{
		Use:   "list",
		Short: "the trusted issuers",
		Args:  cobra.NoArgs,
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			list, err := mk.Issuers()
			if err != nil {
				return err
			}
			if g.json {
				return g.emit(map[string]any{"host": e.HostDID(), "host_bbs_did": e.HostBBSDID(), "issuers": list})
			}
			fmt.Fprintf(g.stdout, "this host   %s (always trusted for its own credentials) bbs %s\n", e.HostDID(), e.HostBBSDID())
			for _, ti := range list {
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
		}),
	}
}

func marketTrustRemoveCmd(g *globals) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "remove DID",
		Short: "stop trusting an issuer",
		Args:  cobra.ExactArgs(1),
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
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
			if g.json {
				return g.emit(map[string]string{"removed": args[0]})
			}
			fmt.Fprintf(g.stdout, "removed     %s\n", args[0])
			return nil
		}),
	}
	c.Flags().StringVar(&reason, "reason", "", "why, for the trust log")
	return c
}

func marketTrustLogCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "log",
		Short: "every change of the trusted issuers, oldest first: when, what, who and why",
		Args:  cobra.NoArgs,
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			log, err := mk.TrustLog()
			if err != nil {
				return err
			}
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
		}),
	}
}
