package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine/credential"
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
	c := &cobra.Command{Use: "credential", Short: "verify verdict's W3C Verifiable Credentials"}
	var (
		module, issuer, statusList string
	)
	verify := &cobra.Command{
		Use:   "verify CRED.json",
		Short: "check a model credential's proof, issuer, model hash and revocation status",
		Long: `Verify checks a CertifiedModelCredential: the eddsa-jcs-2022 Data Integrity
proof, that the did:key in the proof is the issuer's, the validity period,
with --module that the credential is about that exact wasm (urn:sha256), with
--issuer that the host you trust issued it, and with --status-list (the
status list credential, a file) that it has not been revoked. It exits 1 with
the reason on any failure.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			signed, err := readBounded(args[0], 1<<20)
			if err != nil {
				return badInput(err)
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
	verify.Flags().StringVar(&module, "module", "", "the model's wasm: check the credential is about it")
	verify.Flags().StringVar(&issuer, "issuer", "", "the did:key the credential must be issued by")
	verify.Flags().StringVar(&statusList, "status-list", "", "status list credential file: check revocation")
	c.AddCommand(verify)
	return c
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
