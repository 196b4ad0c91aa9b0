package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
)

func newKeygenCmd(g *globals) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "make an Ed25519 key and print its did:key",
		Long: `Keygen makes an Ed25519 key pair, writes it to FILE (mode 0600, never
overwriting an existing file) as a Multikey JSON document, and prints the
key's did:key, the identity a participant or host is known by.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := credential.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			if err := credential.WriteKeyFile(out, k); err != nil {
				return badInput(err)
			}
			if g.json {
				return g.emit(map[string]string{"did": k.DID(), "key_file": out})
			}
			fmt.Fprintln(g.stdout, k.DID())
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "key file to write (required)")
	_ = c.MarkFlagRequired("out")
	return c
}

func newCredentialCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "credential", Short: "verdict's W3C Verifiable Credentials: promote, list, show, revoke, verify"}
	c.AddCommand(credentialCmds(g)...)
	var (
		module, issuer, statusList, bbsKey string
	)
	verify := &cobra.Command{
		Use:   "verify CRED.json",
		Short: "check a model credential's proof, issuer, model hash and revocation status",
		Long: `Verify checks a CertifiedModelCredential: the eddsa-jcs-2022 Data Integrity
proof (and the bbs-2023 base proof beside it, in a proof set: both must
verify), that the did:key in the proof is the issuer's, the validity period,
with --module that the credential is about that exact wasm (urn:sha256), with
--issuer that the host you trust issued it, and with --status-list (the
status list credential, a file) that it has not been revoked. It exits 1 with
the reason on any failure.

A derived credential (verdict credential derive: a bbs-2023 selective
disclosure) is checked against the issuer's BBS key, --bbs-key (with
--server, the server's /v1/host tells it and its status list), and it
prints what is revealed. A document with a bbs-2023 base proof alone has its
signature checked.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			signed, err := readBounded(args[0], 1<<20)
			if err != nil {
				return badInput(err)
			}
			// A bbs-2023 disclosure or base proof: verify.go.
			if kinds, err := credential.Kinds(signed); err == nil && len(kinds) == 1 && kinds[0] != credential.KindEdDSA {
				return verifyBBS(cmd, g, signed, kinds[0], issuer, bbsKey, module, statusList)
			}
			if g.server != "" {
				if module != "" || statusList != "" {
					return errNoRemote("--module and --status-list (the server checks against its own status list)")
				}
				return verifyRemote(cmd, g, signed, issuer)
			}
			opts := credential.VerifyOptions{Issuer: issuer}
			if module != "" {
				if opts.Module, err = readModule(module); err != nil {
					return badInput(err)
				}
			}
			if statusList != "" {
				list, err := readBounded(statusList, 32<<20)
				if err != nil {
					return badInput(err)
				}
				opts.StatusList = func(context.Context, string) ([]byte, error) { return list, nil }
			}
			res, err := credential.VerifyModel(cmd.Context(), signed, opts)
			if err != nil {
				if g.json {
					_ = g.emit(map[string]any{"verified": false, "reason": err.Error()})
				} else {
					fmt.Fprintf(g.stdout, "NOT VERIFIED: %v\n", err)
				}
				return errSubmissionFailed
			}
			sub := res.Credential.Subject
			if g.json {
				return g.emit(map[string]any{
					"verified": true, "issuer": res.Issuer, "model": fmt.Sprintf("urn:sha256:%x", sub.Model),
					"author": sub.Author, "task": sub.Task, "rank": sub.Rank,
					"status_checked": res.StatusChecked,
				})
			}
			fmt.Fprintf(g.stdout, "VERIFIED   %s\n", res.Credential.ID)
			fmt.Fprintf(g.stdout, "issuer     %s\n", res.Issuer)
			for _, vm := range res.Proof.BBS {
				fmt.Fprintf(g.stdout, "bbs-2023   base proof by %s verified too (derive a disclosure: verdict credential derive)\n", strings.SplitN(vm, "#", 2)[0])
			}
			fmt.Fprintf(g.stdout, "model      urn:sha256:%x\n", sub.Model)
			fmt.Fprintf(g.stdout, "author     %s\n", sub.Author)
			fmt.Fprintf(g.stdout, "task       %s (%s, %s), rank %d of %d\n", sub.Task.ID, sub.Task.Type, sub.Task.Metric, sub.Rank, sub.RankedParticipants)
			fmt.Fprintf(g.stdout, "valid from %s\n", res.Credential.ValidFrom.Format(time.RFC3339))
			switch {
			case res.StatusChecked:
				fmt.Fprintln(g.stdout, "status     not revoked")
			case module == "":
				fmt.Fprintln(g.stdout, "note       model hash not checked (no --module); revocation not checked (no --status-list)")
			default:
				fmt.Fprintln(g.stdout, "note       revocation not checked (no --status-list)")
			}
			return nil
		},
	}
	g.serverFlags(verify, true)
	verify.Flags().StringVar(&module, "module", "", "the model's wasm: check the credential is about it")
	verify.Flags().StringVar(&issuer, "issuer", "", "the did:key the credential must be issued by")
	verify.Flags().StringVar(&statusList, "status-list", "", "status list credential file: check revocation")
	verify.Flags().StringVar(&bbsKey, "bbs-key", "", "for a bbs-2023 derived credential: the issuer's BBS did:key (did:key:zUC7…, its /v1/host bbs_did)")
	c.AddCommand(verify, newDeriveCmd(g), newHideCmd(g))
	return c
}

// verifyRemote asks the server to verify a credential (issued by its host,
// or issuer) against its status list, and prints the answer as a local
// verify does.
func verifyRemote(cmd *cobra.Command, g *globals, signed []byte, issuer string) error {
	c, err := g.remoteClient(cmd.Context())
	if err != nil {
		return err
	}
	v, err := c.Verify(cmd.Context(), signed, issuer)
	if err != nil {
		return remoteErr(err)
	}
	if !v.Verified {
		reason := "not verified"
		if v.Error != nil {
			reason = v.Error.Message
		}
		if g.json {
			_ = g.emit(map[string]any{"verified": false, "reason": reason})
		} else {
			fmt.Fprintf(g.stdout, "NOT VERIFIED: %s\n", reason)
		}
		return errSubmissionFailed
	}
	s := v.Subject
	if g.json {
		return g.emit(map[string]any{"verified": true, "issuer": v.Issuer, "model": s.Model,
			"author": s.Author, "task": s.Task, "rank": s.Rank, "status_checked": v.StatusChecked})
	}
	fmt.Fprintf(g.stdout, "VERIFIED   %s\n", s.ID)
	fmt.Fprintf(g.stdout, "issuer     %s\n", v.Issuer)
	fmt.Fprintf(g.stdout, "model      %s\n", s.Model)
	fmt.Fprintf(g.stdout, "author     %s\n", s.Author)
	fmt.Fprintf(g.stdout, "task       %s, rank %d\n", s.Task, s.Rank)
	fmt.Fprintf(g.stdout, "valid from %s\n", s.ValidFrom.Format(time.RFC3339))
	if v.StatusChecked {
		fmt.Fprintln(g.stdout, "status     not revoked (checked by the server)")
	} else {
		fmt.Fprintln(g.stdout, "note       revocation not checked by the server")
	}
	return nil
}

// readBounded reads a whole file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, max)
	}
	return b, nil
}

// printPromotions prints the outcome of promotion at close; higher is the
// direction of the task's metric, which the wording of min_score depends
// on.
func printPromotions(g *globals, proms []engine.Promotion, higher bool, issuer, statusList string) {
	w := g.stdout
	if len(proms) == 0 {
		fmt.Fprintln(w, "no ranked participant to certify")
	}
	for _, p := range proms {
		if p.Credential != nil {
			fmt.Fprintf(w, "certified      #%d %-12s %s\n", p.Rank, p.Participant, p.Credential.ID)
			continue
		}
		var failed []string
		for _, r := range p.Gates {
			if !r.Passed {
				failed = append(failed, fmt.Sprintf("%s (%s)", r.Name, firstLine(gate.Describe(r, higher))))
			}
		}
		fmt.Fprintf(w, "not certified  #%d %-12s failed %s\n", p.Rank, p.Participant, strings.Join(failed, "; "))
	}
	fmt.Fprintf(w, "issuer         %s\n", issuer)
	fmt.Fprintf(w, "status list    %s\n", statusList)
}

// higherIsBetter is the direction of a task's metric (true if unknown).
func higherIsBetter(e *engine.Engine, task string) bool {
	t, err := e.Task(task)
	return err != nil || t.HigherIsBetter
}

// remoteHigherIsBetter is higherIsBetter over a server.
func remoteHigherIsBetter(ctx context.Context, c *client.Client, task string) bool {
	t, err := c.Task(ctx, task)
	return err != nil || t.HigherIsBetter
}

func formatGate(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// credentialCmds are the host's credential commands: promote, list, show,
// revoke.
func credentialCmds(g *globals) []*cobra.Command {
	var task, reason string
	promote := &cobra.Command{
		Use:   "promote --task ID",
		Short: "promote a closed task again (closing, by task close, HTTP or the schedule, certifies already): for a promotion that issued nothing",
		Args:  cobra.NoArgs,
		RunE:  promoteRun(g, func([]string) string { return task }),
	}
	g.serverFlags(promote, true)
	promote.Flags().StringVar(&task, "task", "", "task id (required)")
	_ = promote.MarkFlagRequired("task")

	var listTask string
	list := &cobra.Command{
		Use:   "list [--task ID]",
		Short: "list the credentials issued (for one task)",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			cs, err := e.Credentials(listTask)
			if err != nil {
				return err
			}
			return emitCredentials(g, e.HostDID(), cs)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			cs, err := c.Credentials(cmd.Context(), listTask)
			if err != nil {
				return err
			}
			h, err := c.Host(cmd.Context())
			if err != nil {
				return err
			}
			return emitCredentials(g, h.DID, cs)
		}),
	}
	g.serverFlags(list, true)
	list.Flags().StringVar(&listTask, "task", "", "only this task's credentials")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "print an issued credential (the signed JSON document)",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			c, err := e.Credential(args[0])
			if err != nil {
				return badInput(err)
			}
			return writeSigned(g, c)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			cr, err := c.Credential(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return writeSigned(g, cr)
		}),
	}
	g.serverFlags(show, true)

	revoke := &cobra.Command{
		Use:   "revoke ID --reason TEXT",
		Short: "revoke a credential: set its bit in the data dir's status list and sign the list again",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			c, err := e.Revoke(args[0], reason)
			if err != nil {
				return badInput(err)
			}
			return emitRevoked(g, c, e.StatusListPath())
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			cr, err := c.Revoke(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			h, err := c.Host(cmd.Context())
			if err != nil {
				return err
			}
			return emitRevoked(g, cr, h.StatusList)
		}),
	}
	g.serverFlags(revoke, true)
	revoke.Flags().StringVar(&reason, "reason", "", "why (required; kept in the data dir, not in the list)")
	_ = revoke.MarkFlagRequired("reason")
	return []*cobra.Command{promote, list, show, revoke}
}

// promoteRun is task promote's and credential promote's command.
func promoteRun(g *globals, task func(args []string) string) func(*cobra.Command, []string) error {
	emit := func(id string, proms []engine.Promotion, higher bool, issuer, statusList string) error {
		if g.json {
			return g.emit(map[string]any{"task": id, "promotions": proms, "issuer": issuer, "status_list": statusList})
		}
		printPromotions(g, proms, higher, issuer, statusList)
		return nil
	}
	return g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
		proms, err := e.Promote(cliActor(cmd.Context(), ""), task(args))
		if err != nil {
			return badInput(err)
		}
		return emit(task(args), proms, higherIsBetter(e, task(args)), e.HostDID(), e.StatusListPath())
	}, func(cmd *cobra.Command, args []string, c *client.Client) error {
		proms, err := c.Promote(cmd.Context(), task(args))
		if err != nil {
			return err
		}
		h, err := c.Host(cmd.Context())
		if err != nil {
			return err
		}
		return emit(task(args), proms, remoteHigherIsBetter(cmd.Context(), c, task(args)), h.DID, h.StatusList)
	})
}

// emitCredentials prints the credentials issued.
func emitCredentials(g *globals, issuer string, cs []engine.Credential) error {
	if cs == nil {
		cs = []engine.Credential{}
	}
	if g.json {
		for i := range cs {
			cs[i].Signed = nil
		}
		return g.emit(map[string]any{"issuer": issuer, "credentials": cs})
	}
	fmt.Fprintf(g.stdout, "%-46s  %-16s %4s  %-12s %-20s  %s\n", "ID", "TASK", "RANK", "AUTHOR", "VALID FROM", "STATUS")
	for _, c := range cs {
		status := "valid"
		if c.Revoked != nil {
			status = "revoked: " + c.Revoked.Reason
		}
		fmt.Fprintf(g.stdout, "%-46s  %-16s %4d  %-12s %-20s  %s\n", c.ID, c.Task, c.Rank, c.Author, c.ValidFrom.Format(time.RFC3339), status)
	}
	return nil
}

// writeSigned prints a credential's signed document.
// The document is indented by two spaces whichever way it was read (the
// store's file, or inside a server's answer): its proof is over its
// canonical form (JCS), which whitespace does not change.
func writeSigned(g *globals, c *engine.Credential) error {
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, c.Signed); err != nil {
		return fmt.Errorf("credential %s: %w", c.ID, err)
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("credential %s: %w", c.ID, err)
	}
	out.WriteByte('\n')
	_, err := g.stdout.Write(out.Bytes())
	return err
}

// emitRevoked prints a revocation.
func emitRevoked(g *globals, c *engine.Credential, statusList string) error {
	if g.json {
		c.Signed = nil
		return g.emit(map[string]any{"credential": c, "status_list": statusList})
	}
	fmt.Fprintf(g.stdout, "revoked        %s (%s)\n", c.ID, c.Revoked.Reason)
	fmt.Fprintf(g.stdout, "status list    %s (signed again; publish it)\n", statusList)
	return nil
}

// gatesNote lists a task's gates for `task show`; "" for none.
func gatesNote(s gate.Spec) string {
	var parts []string
	if s.MinScore != nil {
		parts = append(parts, "min_score "+formatGate(*s.MinScore))
	}
	if s.BeatsBaseline != nil {
		a := s.BeatsBaseline.Alpha
		if a == 0 {
			a = gate.DefaultAlpha
		}
		parts = append(parts, "beats_baseline (alpha "+formatGate(a)+")")
	}
	if s.MaxLatencyMsPer1kRows != nil {
		parts = append(parts, "max_latency_ms_per_1k_rows "+formatGate(*s.MaxLatencyMsPer1kRows))
	}
	if s.MaxMemoryMB != nil {
		parts = append(parts, "max_memory_mb "+formatGate(*s.MaxMemoryMB))
	}
	if s.Deterministic {
		parts = append(parts, "deterministic")
	}
	if s.ValidOutputs {
		parts = append(parts, "valid_outputs")
	}
	if s.MaxModuleMB != nil {
		parts = append(parts, "max_module_mb "+formatGate(*s.MaxModuleMB))
	}
	return strings.Join(parts, ", ")
}
