package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// mediaOf guesses a table's media type from its file name (the server
// sniffs the bytes anyway).
func mediaOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".parquet", ".pq":
		return "application/vnd.apache.parquet"
	case ".arrow", ".arrows", ".ipc", ".feather":
		return market.MediaArrow
	}
	return market.MediaCSV
}

// predictRemote is verdict market predict --server: a metered call.
func predictRemote(g *globals, cmd *cobra.Command, c *client.Client, id, input, out, receipt string) error {
	in, err := os.ReadFile(input)
	if err != nil {
		return badInput(err)
	}
	mp, err := c.PredictMetered(cmd.Context(), id, in, mediaOf(input))
	if err != nil {
		return err
	}
	if receipt != "" {
		b, err := jsonIndent(mp.Receipt)
		if err == nil {
			// It holds the salt that opens the receipt's request
			// digest, the caller's alone.
			err = durable.WriteFile(receipt, b, 0o600)
		}
		if err != nil {
			return fmt.Errorf("write receipt %s: %w", receipt, err)
		}
	}
	if g.json {
		return g.emit(mp)
	}
	p := &engine.Predictions{IDs: mp.IDs, Columns: mp.Columns, Values: mp.Values}
	w := g.stdout
	if out != "" {
		var buf bytes.Buffer
		if err := writePredictionsTo(&buf, mp.IDColumn, p); err != nil {
			return err
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			return badInput(err)
		}
	} else if err := writePredictionsTo(w, mp.IDColumn, p); err != nil {
		return err
	}
	where := "keep it with --receipt FILE"
	if receipt != "" {
		where = "in " + receipt
	}
	fmt.Fprintf(g.stderr, "metered: %d rows; receipt %d in the server's usage ledger (%s)\n", len(mp.IDs), mp.Receipt.Index, where)
	return nil
}

// readReceipt reads a receipt file written by verdict market predict
// --receipt.
func readReceipt(path string) (*api.UsageReceipt, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(err)
	}
	var ur api.UsageReceipt
	if err := jsonStrict(b, &ur); err != nil {
		return nil, badInput(fmt.Errorf("receipt %s: %w", path, err))
	}
	return &ur, nil
}

// errVerify marks a check that failed (exit 1), as against bad usage.
var errVerify = errors.New("verification failed")

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

func jsonStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ledgerSource is where verdict ledger reads a log: --server URL, a
// directory holding a copy of the log's files (--log DIR: a data dir's
// ledger/, or its mirror), or the data dir's own ledger.
type ledgerSource struct {
	fetch      ledger.FetchFunc
	checkpoint func() ([]byte, error)
	what       string
}

func (g *globals) ledgerSource(cmd *cobra.Command, logDir string) (*ledgerSource, error) {
	if g.server != "" {
		c, err := g.remoteClient(cmd.Context())
		if err != nil {
			return nil, err
		}
		ctx := cmd.Context()
		return &ledgerSource{
			fetch:      func(p string) ([]byte, error) { return c.LedgerTile(ctx, p) },
			checkpoint: func() ([]byte, error) { b, _, err := c.LedgerCheckpoint(ctx); return b, err },
			what:       g.server,
		}, nil
	}
	if logDir == "" {
		logDir = filepath.Join(g.dataDir, "ledger")
	}
	return &ledgerSource{
		fetch:      func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(logDir, filepath.FromSlash(p))) },
		checkpoint: func() ([]byte, error) { return os.ReadFile(filepath.Join(logDir, "checkpoint")) },
		what:       logDir,
	}, nil
}

// hostOfOrigin returns the host DID a ledger origin names, and the
// verifier key that DID implies: a checkpoint is checked against the
// key its origin's DID holds, never a key that came with it.
func hostOfOrigin(origin string) (string, string, error) {
	did, ok := strings.CutPrefix(origin, market.LedgerOrigin(""))
	if !ok {
		return "", "", fmt.Errorf("ledger origin %.100q is not a verdict host's", origin)
	}
	vkey, err := market.LedgerVerifierKey(did)
	return did, vkey, err
}

// parseCheckpointOf reads a signed checkpoint, checking it with the key
// of the host its origin names (and, given host, that it is that host's).
func parseCheckpointOf(signed []byte, host string) (ledger.Checkpoint, string, error) {
	text, _, _ := strings.Cut(string(signed), "\n")
	did, vkey, err := hostOfOrigin(text)
	if err != nil {
		return ledger.Checkpoint{}, "", err
	}
	if host != "" && did != host {
		return ledger.Checkpoint{}, "", fmt.Errorf("checkpoint of host %s, want %s", did, host)
	}
	cp, err := ledger.ParseCheckpoint(signed, vkey)
	return cp, did, err
}

func newLedgerCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "ledger",
		Short: "check the public usage ledger and compute revenue statements",
		Long: `The usage ledger is a Merkle transparency log (C2SP tlog-tiles, checkpoints
as signed notes) of every metered use of a marketplace model, signed by
the host; verdict serve publishes it at /ledger/checkpoint and /ledger/tile/.
Verify checks a receipt's inclusion and that the log only grew; statement
computes what each author is owed for a month.`,
	}
	c.AddCommand(ledgerVerifyCmd(g), ledgerStatementCmd(g))
	return c
}

func ledgerVerifyCmd(g *globals) *cobra.Command {
	var logDir, oldFile, host string
	c := &cobra.Command{
		Use:   "verify [RECEIPT] [--checkpoint OLD] [--server URL | --log DIR]",
		Short: "check a receipt's inclusion proof and the consistency of two checkpoints",
		Long: `Verify checks, offline, a receipt written by verdict market predict
--receipt: the checkpoint it carries is signed by the key of the host its
origin names (--host DID: and is that host), and the receipt is in that
tree (its inclusion proof).

With --server URL or --log DIR (a copy of a data dir's ledger/: its
checkpoint and tile/ files), it also reads the log's latest checkpoint
and checks, from the tiles alone, that the receipt is in it and that the
receipt's checkpoint is a prefix of it (consistency); with --checkpoint
OLD, that OLD (a signed checkpoint file) is a prefix of it. Without a
receipt or --checkpoint, it checks the latest checkpoint's signature.
A failed check exits 1.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g.started = true
			w := g.stdout
			var olds []ledger.Checkpoint
			var ur *api.UsageReceipt
			if len(args) == 1 {
				var err error
				if ur, err = readReceipt(args[0]); err != nil {
					return err
				}
				cp, did, err := parseCheckpointOf([]byte(ur.Checkpoint), host)
				if err != nil {
					return fmt.Errorf("receipt's checkpoint: %w: %w", err, errVerify)
				}
				proof := make([]ledger.Hash, len(ur.Proof))
				for i := range ur.Proof {
					copy(proof[i][:], ur.Proof[i])
				}
				if err := ledger.VerifyInclusion(proof, ur.Index, cp, ur.Entry); err != nil {
					return fmt.Errorf("receipt: %w: %w", err, errVerify)
				}
				r, err := ledger.ParseReceipt(ur.Entry)
				if err != nil {
					return fmt.Errorf("receipt: %w: %w", err, errVerify)
				}
				fmt.Fprintf(w, "ok: receipt %d (%d rows of %s by %s, %s) is in the ledger of %s at size %d\n",
					ur.Index, r.Rows, r.Model, r.Caller, r.Time.Format(time.RFC3339), did, cp.Size)
				olds = append(olds, cp)
			}
			if oldFile != "" {
				b, err := os.ReadFile(oldFile)
				if err != nil {
					return badInput(err)
				}
				cp, _, err := parseCheckpointOf(b, host)
				if err != nil {
					return fmt.Errorf("%s: %w: %w", oldFile, err, errVerify)
				}
				olds = append(olds, cp)
			}
			if g.server == "" && logDir == "" && len(args) == 1 {
				return nil // the receipt alone, offline
			}
			src, err := g.ledgerSource(cmd, logDir)
			if err != nil {
				return err
			}
			signed, err := src.checkpoint()
			if err != nil {
				return fmt.Errorf("latest checkpoint of %s: %w", src.what, err)
			}
			latest, did, err := parseCheckpointOf(signed, host)
			if err != nil {
				return fmt.Errorf("latest checkpoint of %s: %w: %w", src.what, err, errVerify)
			}
			fmt.Fprintf(w, "ok: latest checkpoint of %s: size %d, signed by %s\n", src.what, latest.Size, did)
			for _, old := range olds {
				if old.Size > latest.Size {
					return fmt.Errorf("checkpoint of size %d is ahead of the latest, %d: %w", old.Size, latest.Size, errVerify)
				}
				p, err := ledger.ProveConsistencyFromTiles(old, latest, src.fetch)
				if err == nil {
					err = ledger.VerifyConsistency(p, old, latest)
				}
				if err != nil {
					return fmt.Errorf("consistency: %w: %w", err, errVerify)
				}
				fmt.Fprintf(w, "ok: the tree of size %d is a prefix of the tree of size %d (no entry removed or rewritten)\n", old.Size, latest.Size)
			}
			if ur != nil {
				p, err := ledger.ProveInclusionFromTiles(latest, ur.Index, src.fetch)
				if err == nil {
					err = ledger.VerifyInclusion(p, ur.Index, latest, ur.Entry)
				}
				if err != nil {
					return fmt.Errorf("receipt in the latest tree: %w: %w", err, errVerify)
				}
				fmt.Fprintf(w, "ok: receipt %d is in the latest tree (size %d)\n", ur.Index, latest.Size)
			}
			return nil
		},
	}
	g.serverFlags(c, false)
	c.Flags().StringVar(&logDir, "log", "", "read the log from this directory (a copy of a data dir's ledger/) instead of the data dir's")
	c.Flags().StringVar(&oldFile, "checkpoint", "", "an earlier signed checkpoint file: check that the log only grew since")
	c.Flags().StringVar(&host, "host", "", "the host DID the ledger must be signed by")
	return c
}

func ledgerStatementCmd(g *globals) *cobra.Command {
	var period, author, format, check, logDir string
	c := &cobra.Command{
		Use:   "statement --period YYYY-MM [--author DID] [--format json|csv]",
		Short: "what each author is owed for a month, signed by the host, recomputable from the log",
		Long: `Statement computes, from the usage ledger of the data dir at its latest
checkpoint, per author and model: uses, rows, units owed (price per 1,000
rows × rows / 1,000, summed exactly in milli-units), each party's share
(a team's agreed split, equal by default: verdict team shares), who
certified the model and whether that issuer was trusted here. As JSON it is signed by the host and names the
checkpoint it was computed from; as CSV it is the same lines, for a
payment rail.

With --check FILE it verifies a signed statement instead: the host's
signature, then recomputes it from the public log (--server URL, --log
DIR, or the data dir's) and compares. A mismatch exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if check != "" {
				g.started = true
				b, err := os.ReadFile(check)
				if err != nil {
					return badInput(err)
				}
				src, err := g.ledgerSource(cmd, logDir)
				if err != nil {
					return err
				}
				ss, err := market.VerifyStatement(b, src.fetch)
				if err != nil {
					return fmt.Errorf("%s: %w: %w", check, err, errVerify)
				}
				fmt.Fprintf(g.stdout, "ok: statement of %s by %s equals its recomputation from the log at size %d (%d lines)\n", ss.Period, ss.Issuer, ss.Size, len(ss.Lines))
				return nil
			}
			if format != "json" && format != "csv" {
				return badInput(fmt.Errorf("--format %q: want json or csv", format))
			}
			emit := func(signed []byte) error {
				if format == "json" {
					_, err := g.stdout.Write(append(bytes.TrimSpace(signed), '\n'))
					return err
				}
				var ss market.SignedStatement
				if err := json.Unmarshal(signed, &ss); err != nil {
					return fmt.Errorf("statement: %w", err)
				}
				cw := csv.NewWriter(g.stdout)
				_ = cw.Write([]string{"period", "author", "model", "module", "uses", "rows", "units", "party", "share_units", "checkpoint_size", "checkpoint_root", "certified_by", "issuer_trusted"})
				for _, l := range ss.Lines {
					for _, s := range l.Shares {
						_ = cw.Write([]string{ss.Period, l.Author, l.Model, l.Module, strconv.FormatInt(l.Uses, 10), strconv.FormatInt(l.Rows, 10),
							ledger.Units(l.MilliUnits), s.Party, ledger.Units(s.MilliUnits), strconv.FormatInt(ss.Size, 10), ss.Root, l.CertifiedBy, strconv.FormatBool(l.Trusted)})
					}
				}
				cw.Flush()
				return cw.Error()
			}
			return g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
				mk := market.New(e)
				defer mk.Close()
				_, signed, err := mk.Statement(period, author)
				if errors.Is(err, engine.ErrBadRequest) {
					return badInput(err)
				}
				if err != nil {
					return err
				}
				return emit(signed)
			}, func(cmd *cobra.Command, args []string, c *client.Client) error {
				signed, err := c.LedgerStatement(cmd.Context(), period, author)
				if err != nil {
					return err
				}
				return emit(signed)
			})(cmd, args)
		},
	}
	g.serverFlags(c, false)
	c.Flags().StringVar(&period, "period", "", "the UTC month, YYYY-MM")
	c.Flags().StringVar(&author, "author", "", "only this author's models (a DID or participant name)")
	c.Flags().StringVar(&format, "format", "json", "json (signed) or csv")
	c.Flags().StringVar(&check, "check", "", "verify this signed statement against the log instead")
	c.Flags().StringVar(&logDir, "log", "", "with --check: read the log from this directory")
	return c
}

func marketPriceCmd(g *globals) *cobra.Command {
	var per1000 int64 = -1
	c := &cobra.Command{
		Use:   "price ID [UNITS]",
		Short: "show or set a listing's price per 1,000 rows of metered use",
		Long: fmt.Sprintf(`Price shows a listing's price per 1,000 rows of metered use (verdict
market predict --server), in units, or sets it to UNITS (or --per-1000
UNITS; default %d). Run on the data dir, it is the host's decision. With
--server URL --key FILE the model's author (its card's author, or a
member of the team that is its author) sets it by a signed request; the
host may always set it again. Each receipt records the price it was
charged at: a new price applies to calls from now on and never changes a
statement over earlier calls.`, market.DefaultPricePer1000),
		Args: cobra.RangeArgs(1, 2),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			units, set, err := priceArg(args, per1000)
			if err != nil {
				return err
			}
			mk := market.New(e)
			m, err := mk.Entry(args[0])
			if err != nil {
				return badInput(err)
			}
			if set {
				if err := mk.SetPrice(m.ID, units); err != nil {
					return badInput(err)
				}
			}
			price, err := mk.Price(m.ID)
			if err != nil {
				return err
			}
			return printPrice(g, m.ID, price)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			units, set, err := priceArg(args, per1000)
			if err != nil {
				return err
			}
			if !set {
				m, err := c.MarketEntry(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printPrice(g, m.ID, m.PricePer1000)
			}
			p, err := c.SetPrice(cmd.Context(), args[0], units)
			if err != nil {
				return err
			}
			return printPrice(g, p.Model, p.PricePer1000)
		}),
	}
	g.serverFlags(c, true)
	c.Flags().Int64Var(&per1000, "per-1000", -1, "set the price to this many units per 1,000 rows")
	return c
}

// priceArg is the price to set, from UNITS or --per-1000, if any.
func priceArg(args []string, flag int64) (int64, bool, error) {
	switch {
	case len(args) == 2 && flag >= 0:
		return 0, false, badInput(errors.New("give the price as UNITS or --per-1000, not both"))
	case len(args) == 2:
		units, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return 0, false, badInput(fmt.Errorf("price %q: not a whole number of units", args[1]))
		}
		return units, true, nil
	case flag >= 0:
		return flag, true, nil
	}
	return 0, false, nil
}

func printPrice(g *globals, id string, price int64) error {
	if g.json {
		return g.emit(map[string]any{"model": id, "price_per_1000_rows": price})
	}
	fmt.Fprintf(g.stdout, "%s: %d units per 1,000 rows\n", id, price)
	return nil
}
