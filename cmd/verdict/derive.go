package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine/credential"
)

// newDeriveCmd is verdict credential derive: a selective disclosure of a
// model credential, made by its author.
func newDeriveCmd(g *globals) *cobra.Command {
	var (
		reveal []string
		nonce  string
	)
	c := &cobra.Command{
		Use:   "derive CRED --reveal POINTER... [--nonce N]",
		Short: "make a selective disclosure of a model credential (bbs-2023): reveal only the claims named",
		Long: `Derive makes, from a model credential you hold (CRED.json, as verdict
credential show prints it), a derived credential that reveals the mandatory
claims (id, type, issuer, validFrom, validUntil, the model hash, the task's
id, title and type, the revocation status entry) and the claims each
--reveal JSON pointer names, nothing else, with a fresh bbs-2023 proof bound
to --nonce (a verifier's challenge). It prints the derived credential as
JSON on stdout. Two derivations of one credential cannot be linked by their
proofs.

Pointers an author may reveal:
  /credentialSubject/author            who made the model
  /credentialSubject/task/metric       /credentialSubject/task/datasetHash
  /credentialSubject/scores            or /scores/public, /scores/private/value, …/ci
  /credentialSubject/rank              /credentialSubject/rankedParticipants
  /credentialSubject/gates             or /gates/0, …
  /credentialSubject/scoreAtLeast/N    a threshold the score meets ("0.90"), not the score
  /credentialSubject/scoreAtMost/N     the same for a metric where lower is better
  /credentialSubject/rankAtMost/N      a rank bound (1, 3, 5, 10)
  /credentialSubject/engineVersion

With --server, CRED is the credential's id and the server derives it: sign
the request with --key (the author's key; the host may too).`,
		Example: `  verdict credential show urn:uuid:… > cred.json
  verdict credential derive cred.json --reveal /credentialSubject/scoreAtLeast/0 --reveal /credentialSubject/task/metric > proof.json
  verdict credential verify proof.json --issuer did:key:z6Mk… --bbs-key did:key:zUC7…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(reveal) == 0 {
				return badInput(fmt.Errorf("--reveal: name at least one JSON pointer (see verdict credential derive --help)"))
			}
			var derived []byte
			if g.server != "" {
				c, err := g.remoteClient(cmd.Context())
				if err != nil {
					return err
				}
				if derived, err = c.Derive(cmd.Context(), args[0], reveal, nonce); err != nil {
					return remoteErr(err)
				}
			} else {
				signed, err := readBounded(args[0], 1<<20)
				if err != nil {
					return badInput(err)
				}
				if derived, err = credential.Derive(signed, reveal, []byte(nonce)); err != nil {
					return badInput(err)
				}
			}
			_, err := g.stdout.Write(append(trimSpace(derived), '\n'))
			return err
		},
	}
	g.serverFlags(c, true)
	c.Flags().StringArrayVar(&reveal, "reveal", nil, "a JSON pointer to a claim to reveal (repeat)")
	c.Flags().StringVar(&nonce, "nonce", "", "the verifier's challenge the proof is bound to")
	return c
}

// verifyDerived is verdict credential verify for a derived bbs-2023
// credential: the proof against the issuer's BBS key (--bbs-key, or the
// server's /v1/host), revocation against --status-list (or the server's).
func verifyDerived(cmd *cobra.Command, g *globals, derived []byte, opts credential.DerivedOptions) error {
	ctx := cmd.Context()
	if g.server != "" {
		c, err := g.remoteClient(ctx)
		if err != nil {
			return err
		}
		h, err := c.Host(ctx)
		if err != nil {
			return remoteErr(err)
		}
		if opts.Issuer == "" {
			opts.Issuer = h.DID
		}
		if opts.BBSKey == "" {
			opts.BBSKey = h.BBSDID
		}
		if opts.StatusList == nil {
			opts.StatusList = func(ctx context.Context, url string) ([]byte, error) {
				if url != h.StatusList {
					return nil, fmt.Errorf("status list %s is not the server's (%s)", url, h.StatusList)
				}
				return c.StatusList(ctx, path.Base(url))
			}
		}
	}
	res, err := credential.VerifyDerived(ctx, derived, opts)
	if err != nil {
		if g.json {
			_ = g.emit(map[string]any{"verified": false, "proof": credential.KindBBSDerived, "reason": err.Error()})
		} else {
			fmt.Fprintf(g.stdout, "NOT VERIFIED: %v\n", err)
		}
		return errSubmissionFailed
	}
	if g.json {
		return g.emit(map[string]any{
			"verified": true, "proof": credential.KindBBSDerived, "issuer": res.Issuer, "bbs_key": res.VerificationMethod,
			"model": "urn:sha256:" + hex.EncodeToString(res.Model[:]), "revealed": res.Subject,
			"nonce": string(res.Nonce), "status_checked": res.StatusChecked,
		})
	}
	fmt.Fprintf(g.stdout, "VERIFIED   %s (bbs-2023 derived: a selective disclosure)\n", res.ID)
	fmt.Fprintf(g.stdout, "issuer     %s\n", res.Issuer)
	fmt.Fprintf(g.stdout, "signed by  %s\n", strings.SplitN(res.VerificationMethod, "#", 2)[0])
	fmt.Fprintf(g.stdout, "model      urn:sha256:%x\n", res.Model)
	fmt.Fprintf(g.stdout, "valid from %s\n", res.ValidFrom.Format(time.RFC3339))
	for _, line := range revealedLines(res.Subject, "credentialSubject") {
		fmt.Fprintf(g.stdout, "revealed   %s\n", line)
	}
	if len(res.Nonce) > 0 {
		fmt.Fprintf(g.stdout, "nonce      %s\n", res.Nonce)
	}
	if res.StatusChecked {
		fmt.Fprintln(g.stdout, "status     not revoked")
	} else {
		fmt.Fprintln(g.stdout, "note       revocation not checked (no --status-list)")
	}
	return nil
}

// revealedLines prints a revealed subject as "path = value" lines, sorted.
func revealedLines(v any, prefix string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if k == "id" || k == "type" {
				continue
			}
			out = append(out, revealedLines(c, prefix+"."+k)...)
		}
	case []any:
		if len(v) > 0 {
			if _, scalar := v[0].(map[string]any); !scalar {
				return []string{fmt.Sprintf("%s = %v", prefix, v)}
			}
		}
		for i, c := range v {
			out = append(out, revealedLines(c, fmt.Sprintf("%s[%d]", prefix, i))...)
		}
	default:
		out = append(out, fmt.Sprintf("%s = %v", prefix, v))
	}
	sort.Strings(out)
	return out
}

// verifyBBS is verdict credential verify for a document with a single
// bbs-2023 proof: a derived one (a disclosure) or a base one.
func verifyBBS(cmd *cobra.Command, g *globals, signed []byte, kind credential.ProofKind, issuer, bbsKey, module, statusList string) error {
	switch kind {
	case credential.KindBBSDerived:
		opts := credential.DerivedOptions{Issuer: issuer, BBSKey: bbsKey}
		if module != "" {
			m, err := readModule(module)
			if err != nil {
				return badInput(err)
			}
			opts.Module = m
		}
		if statusList != "" {
			list, err := readBounded(statusList, 32<<20)
			if err != nil {
				return badInput(err)
			}
			opts.StatusList = func(context.Context, string) ([]byte, error) { return list, nil }
		}
		return verifyDerived(cmd, g, signed, opts)
	case credential.KindBBSBase:
		vm, err := credential.VerifyBBSBase(signed)
		if err != nil {
			if g.json {
				_ = g.emit(map[string]any{"verified": false, "proof": kind, "reason": err.Error()})
			} else {
				fmt.Fprintf(g.stdout, "NOT VERIFIED: %v\n", err)
			}
			return errSubmissionFailed
		}
		if g.json {
			return g.emit(map[string]any{"verified": true, "proof": kind, "bbs_key": vm})
		}
		fmt.Fprintf(g.stdout, "VERIFIED   bbs-2023 base proof by %s (signature only: not its issuer, validity or revocation)\n", strings.SplitN(vm, "#", 2)[0])
		return nil
	}
	return badInput(fmt.Errorf("proof %q: want eddsa-jcs-2022 or bbs-2023", kind))
}
