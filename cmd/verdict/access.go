package main

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
)

// Access verbs: the host admits, revokes and invites on an invite-only
// task (access.mode: invite); a participant joins with a code.

// accessErr makes the caller's mistakes exit 2.
func accessErr(err error) error {
	if errors.Is(err, engine.ErrBadRequest) || errors.Is(err, engine.ErrNotFound) || errors.Is(err, engine.ErrInvitation) ||
		errors.Is(err, engine.ErrNotAdmitted) || errors.Is(err, engine.ErrClosed) || errors.Is(err, engine.ErrCredentialRefused) {
		return badInput(err)
	}
	return err
}

// emitChanged prints the participants an admission or revocation changed.
func emitChanged(g *globals, task, verb string, ps []string) error {
	if ps == nil {
		ps = []string{}
	}
	if g.json {
		return g.emit(map[string]any{"task": task, verb: ps})
	}
	if len(ps) == 0 {
		fmt.Fprintf(g.stdout, "%s: nobody %s (each was already)\n", task, verb)
		return nil
	}
	for _, p := range ps {
		fmt.Fprintf(g.stdout, "%s: %s %s\n", task, verb, p)
	}
	return nil
}

func newTaskAdmitCmd(g *globals) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "admit ID DID...",
		Short: "admit participants (their did:keys) to an invite-only task",
		Args:  cobra.MinimumNArgs(2),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			added, err := e.Admit(cliActor(cmd.Context(), reason), args[0], args[1:]...)
			if err != nil {
				return accessErr(err)
			}
			return emitChanged(g, args[0], "admitted", added)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			added, err := c.Admit(cmd.Context(), args[0], reason, args[1:]...)
			if err != nil {
				return err
			}
			return emitChanged(g, args[0], "admitted", added)
		}),
	}
	g.serverFlags(c, false)
	c.Flags().StringVar(&reason, "reason", "", reasonUsage)
	return c
}

func newTaskRevokeAccessCmd(g *globals) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "revoke-access ID DID...",
		Short: "withdraw participants' admission to an invite-only task: they may submit no more nor see its pages (their submissions stay)",
		Args:  cobra.MinimumNArgs(2),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			removed, err := e.RevokeAccess(cliActor(cmd.Context(), reason), args[0], args[1:]...)
			if err != nil {
				return accessErr(err)
			}
			return emitChanged(g, args[0], "revoked", removed)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			removed, err := c.RevokeAccess(cmd.Context(), args[0], reason, args[1:]...)
			if err != nil {
				return err
			}
			return emitChanged(g, args[0], "revoked", removed)
		}),
	}
	g.serverFlags(c, false)
	c.Flags().StringVar(&reason, "reason", "", reasonUsage)
	return c
}

func newTaskAdmissionsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "admissions ID",
		Short: "list the participants admitted to an invite-only task, how and when",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			as, err := e.Admissions(args[0])
			if err != nil {
				return accessErr(err)
			}
			return printAdmissions(g, args[0], as)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			as, err := c.Admissions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printAdmissions(g, args[0], as)
		}),
	}
	g.serverFlags(c, false)
	return c
}

func printAdmissions(g *globals, task string, as []engine.Admission) error {
	if as == nil {
		as = []engine.Admission{}
	}
	if g.json {
		return g.emit(map[string]any{"task": task, "admissions": as})
	}
	if len(as) == 0 {
		fmt.Fprintf(g.stdout, "%s: nobody admitted\n", task)
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTICIPANT\tBY\tSINCE")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Participant, a.By, a.Time.Format(time.RFC3339))
	}
	return tw.Flush()
}

func newTaskInviteCmd(g *globals) *cobra.Command {
	var (
		n       int
		expires time.Duration
		reason  string
	)
	c := &cobra.Command{
		Use:   "invite ID",
		Short: "make single-use invitation codes for an invite-only task, each admitting the first did:key that redeems it (verdict task join); shown once",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			invs, err := e.Invite(cliActor(cmd.Context(), reason), args[0], n, expires)
			if err != nil {
				return accessErr(err)
			}
			return printInvitations(g, args[0], invs)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			invs, err := c.Invite(cmd.Context(), args[0], n, expires, reason)
			if err != nil {
				return err
			}
			return printInvitations(g, args[0], invs)
		}),
	}
	g.serverFlags(c, false)
	c.Flags().IntVar(&n, "count", 1, "how many codes to make")
	c.Flags().DurationVar(&expires, "expires", 0, "how long each code is valid (e.g. 72h); default until the task closes")
	c.Flags().StringVar(&reason, "reason", "", reasonUsage)
	return c
}

func printInvitations(g *globals, task string, invs []engine.Invitation) error {
	if g.json {
		return g.emit(map[string]any{"task": task, "invitations": invs})
	}
	for _, in := range invs {
		fmt.Fprintln(g.stdout, in.Code)
	}
	until := "until the task closes"
	if len(invs) > 0 && !invs[0].Expires.IsZero() {
		until = "until " + invs[0].Expires.Format(time.RFC3339)
	}
	fmt.Fprintf(g.stderr, "%d single-use code(s) for %s, valid %s; shown only now (verdict keeps their hashes). A participant joins with: verdict task join %s CODE --server URL --key FILE\n", len(invs), task, until, task)
	return nil
}

func newTaskJoinCmd(g *globals) *cobra.Command {
	var credFile string
	c := &cobra.Command{
		Use:   "join ID (CODE | --credential VC.json)",
		Short: "join an invite-only task: redeem an invitation code, or present a Verifiable Credential the task trusts; admits your did:key (--key)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 2) == (credFile != "") {
				return badInput(errors.New("join: give either an invitation CODE or --credential FILE"))
			}
			var vc []byte
			if credFile != "" {
				var err error
				if vc, err = os.ReadFile(credFile); err != nil {
					return badInput(fmt.Errorf("--credential: %w", err))
				}
			}
			c, err := g.remoteClient(cmd.Context())
			if err != nil {
				return err
			}
			if c != nil {
				if !c.Signed() {
					return badInput(errors.New("join: give --key FILE, the key whose did:key to admit (verdict keygen)"))
				}
				var r *api.Redeemed
				if vc != nil {
					r, err = c.AdmitByCredential(cmd.Context(), args[0], vc)
				} else {
					r, err = c.Redeem(cmd.Context(), args[0], args[1])
				}
				if err != nil {
					return remoteErr(err)
				}
				return emitJoined(g, r.Task, r.Participant)
			}
			if g.keyFile == "" {
				return badInput(errors.New("join: give --key FILE, the key whose did:key to admit (verdict keygen)"))
			}
			k, err := credential.ReadKeyFile(g.keyFile)
			if err != nil {
				return badInput(err)
			}
			return g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
				if vc != nil {
					err = e.AdmitByCredential(cmd.Context(), args[0], k.DID(), vc)
				} else {
					err = e.Redeem(cmd.Context(), args[0], args[1], k.DID())
				}
				if err != nil {
					return accessErr(err)
				}
				return emitJoined(g, args[0], k.DID())
			})(cmd, args)
		},
	}
	g.serverFlags(c, true)
	c.Flags().StringVar(&credFile, "credential", "", "present this Verifiable Credential (JSON) about your did:key instead of a code")
	return c
}

func emitJoined(g *globals, task, did string) error {
	if g.json {
		return g.emit(map[string]any{"task": task, "participant": did})
	}
	fmt.Fprintf(g.stdout, "%s: admitted %s\n", task, did)
	return nil
}
