package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/market"
)

func newMarketCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "market",
		Short: "the marketplace of certified models: list, search, show, export, ingest, predict",
		Long: `The marketplace holds every model a closed task certified (the top
promote_top of its private leaderboard that pass every gate): the wasm, its
W3C credential and a model card the host signs (task, task type, input
features and outputs, metric and scores, author, license, created time).
An entry's id is its credential's UUID; as for every id verdict takes
(submissions, credentials), any prefix of 8 or more characters that only
one id starts with will do.

Export writes an entry as a bundle (model.wasm, credential.json, card.json
and the issuer's status list status.json); ingest adds a bundle to another
data dir's marketplace only if every signature verifies, the wasm is the one
certified, the card agrees with the credential and the credential is not
revoked. Predict runs a model in the sandbox on new rows.`,
	}
	c.AddCommand(marketListCmd(g), marketSearchCmd(g), marketShowCmd(g), marketExportCmd(g),
		marketIngestCmd(g), marketRefreshCmd(g), marketPredictCmd(g), marketTrustCmd(g), marketPriceCmd(g))
	c.AddCommand(marketRankCmd(g))
	return c
}

func marketListCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "list every model in the marketplace, revoked ones marked",
		Args:  cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			ms, err := mk.List(market.Query{IncludeRevoked: true})
			if err != nil {
				return err
			}
			return printMarket(g, ms)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			ms, err := c.Market(cmd.Context(), market.Query{IncludeRevoked: true})
			if err != nil {
				return err
			}
			return printMarket(g, ms)
		}),
	}
	g.serverFlags(c, true)
	return c
}

func marketSearchCmd(g *globals) *cobra.Command {
	var (
		q        market.Query
		minScore float64
	)
	c := &cobra.Command{
		Use:   "search [--type T] [--metric M] [--task ID] [--min-score X] [--feature NAME]... [--text S]",
		Short: "find certified models by task type, metric, score and input features, best first",
		Long: `Search lists the models that match every filter given, ranked by their
certified score (the private one), best first in the metric's direction.
--min-score keeps models at least that good: score >= X for metrics where
higher is better, score <= X for error metrics such as rmse. --feature (repeatable
or comma-separated) keeps models whose input has all those columns. Revoked
models are left out unless --include-revoked.`,
		Args: cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("min-score") {
				q.MinScore = &minScore
			}
			ms, err := mk.List(q)
			if err != nil {
				return badInput(err)
			}
			return printMarket(g, ms)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if cmd.Flags().Changed("min-score") {
				q.MinScore = &minScore
			}
			ms, err := c.Market(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printMarket(g, ms)
		}),
	}
	g.serverFlags(c, true)
	f := c.Flags()
	f.StringVar(&q.TaskType, "type", "", "task type: binary, multiclass, regression or ranking")
	f.StringVar(&q.Metric, "metric", "", "metric name (verdict metrics)")
	f.StringVar(&q.Task, "task", "", "task id")
	f.Float64Var(&minScore, "min-score", 0, "keep models at least this good in the metric's direction")
	f.StringSliceVar(&q.Features, "feature", nil, "input feature the model must read (repeatable)")
	f.StringVar(&q.Text, "text", "", "substring of the task id, title or author")
	f.BoolVar(&q.IncludeRevoked, "include-revoked", false, "keep revoked models (marked)")
	f.IntVar(&q.Limit, "limit", 0, "show at most this many")
	return c
}

// printMarket prints a list of entries, or emits it as JSON.
func printMarket(g *globals, ms []market.Entry) error {
	if g.json {
		return g.emit(map[string]any{"models": ms})
	}
	w := g.stdout
	if len(ms) == 0 {
		fmt.Fprintln(w, "no models")
		return nil
	}
	fmt.Fprintf(w, "%-8s  %-16s %-10s %-9s %10s  %-20s %-14s %s\n", "ID", "TASK", "TYPE", "METRIC", "SCORE", "AUTHOR", "LICENSE", "STATUS")
	for _, m := range ms {
		status := m.Origin
		if m.Revoked != nil {
			status = "REVOKED: " + m.Revoked.Reason
		}
		// Who certified it, and whether that issuer is trusted here.
		if m.Trusted {
			status += ", certified by " + shortDID(m.Card.Issuer) + " (trusted)"
		} else {
			status += ", certified by " + shortDID(m.Card.Issuer) + " (NOT trusted here)"
		}
		fmt.Fprintf(w, "%-8s  %-16s %-10s %-9s %10s  %-20s %-14s %s\n", m.ID[:min(8, len(m.ID))], m.Card.Task.ID, m.Card.Task.Type,
			m.Card.Task.Metric, formatScore(m.Score), shortDID(m.Card.AuthorName()), m.Card.License, status)
	}
	return nil
}

// shortDID shortens a did:key for a table: did:key:z6Mk…abcdef.
func shortDID(s string) string {
	if rest, ok := strings.CutPrefix(s, "did:key:"); ok && len(rest) > 16 {
		return "did:key:" + rest[:4] + "…" + rest[len(rest)-6:]
	}
	if len(s) > 20 {
		return s[:19] + "…"
	}
	return s
}

func marketShowCmd(g *globals) *cobra.Command {
	emit := func(m *market.Entry) error {
		if g.json {
			return g.emit(m)
		}
		printCard(g.stdout, m)
		return nil
	}
	c := &cobra.Command{
		Use:   "show ID",
		Short: "print a model's card, credential id and status",
		Args:  cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			m, err := mk.Entry(args[0])
			if err != nil {
				return badInput(err)
			}
			return emit(m)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			m, err := c.MarketEntry(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return emit(m)
		}),
	}
	g.serverFlags(c, true)
	return c
}

func printCard(w io.Writer, m *market.Entry) {
	c := m.Card
	fmt.Fprintf(w, "model       %s\n", m.ID)
	fmt.Fprintf(w, "wasm        %s (%d KiB)\n", c.Model, (c.ModuleBytes+1023)>>10)
	fmt.Fprintf(w, "task        %s — %s (%s)\n", c.Task.ID, c.Task.Title, c.Task.Type)
	fmt.Fprintf(w, "input       %s, then %d features:\n", c.Input.IDColumn, len(c.Input.Features))
	line := ""
	for i, f := range c.Input.Features {
		if i < len(c.Input.Features)-1 {
			f += ","
		}
		if line != "" && len(line)+1+len(f) > 76 {
			fmt.Fprintf(w, "            %s\n", line)
			line = ""
		}
		line = strings.TrimPrefix(line+" "+f, " ")
	}
	fmt.Fprintf(w, "            %s\n", line)
	fmt.Fprintf(w, "output      %s: %s\n", strings.Join(c.Output.Columns, ", "), c.Output.Meaning)
	score := func(name string, s float64, lo, hi, level float64) {
		fmt.Fprintf(w, "%-11s %s %s (%g%% CI [%s, %s])\n", name, c.Task.Metric, formatScore(s), level*100, formatScore(lo), formatScore(hi))
	}
	if p := c.Scores.Private; p != nil {
		score("private", p.Value, p.CI[0], p.CI[1], p.Level)
	}
	p := c.Scores.Public
	score("public", p.Value, p.CI[0], p.CI[1], p.Level)
	fmt.Fprintf(w, "rank        %d of %d\n", c.Rank, c.RankedParticipants)
	fmt.Fprintf(w, "author      %s\n", c.AuthorName())
	fmt.Fprintf(w, "license     %s\n", c.License)
	fmt.Fprintf(w, "price       %d units per 1,000 rows of metered use\n", m.PricePer1000)
	trust := "trusted here"
	if !m.Trusted {
		trust = "NOT trusted here (verdict market trust add)"
	}
	fmt.Fprintf(w, "issuer      %s (%s)\n", c.Issuer, trust)
	fmt.Fprintf(w, "credential  %s\n", c.Credential)
	fmt.Fprintf(w, "created     %s\n", c.Created.Format(time.RFC3339))
	status := m.Origin + ", valid"
	if m.Revoked != nil {
		status = fmt.Sprintf("REVOKED at %s: %s", m.Revoked.Time.Format(time.RFC3339), m.Revoked.Reason)
	}
	fmt.Fprintf(w, "status      %s\n", status)
}

func marketExportCmd(g *globals) *cobra.Command {
	emit := func(id, dir string) error {
		files := []string{market.BundleModule, market.BundleCredential, market.BundleCard}
		if _, err := os.Stat(filepath.Join(dir, market.BundleStatusList)); err == nil {
			files = append(files, market.BundleStatusList)
		}
		if g.json {
			return g.emit(map[string]any{"id": id, "dir": dir, "files": files})
		}
		fmt.Fprintf(g.stdout, "exported    %s to %s (%s)\n", id, dir, strings.Join(files, ", "))
		return nil
	}
	var hideAuthor bool
	c := &cobra.Command{
		Use:   "export ID DIR [--hide-author]",
		Short: "write a model as a bundle: model.wasm, credential.json, card.json, status.json",
		Long: `Export writes a model as a bundle another marketplace ingests. With
--hide-author (on the host's data dir: the host signs the card) the
credential is a bbs-2023 selective disclosure that reveals all the card
claims but the author, and the card leaves it out: the other marketplace
verifies it with this host's BBS key (verdict market trust add DID
--bbs-did, from trust list) and lists the author as "not disclosed".`,
		Args: cobra.ExactArgs(2),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			if hideAuthor {
				m, b, err := mk.DisclosureBundle(args[0])
				if err != nil {
					return badInput(err)
				}
				if err := b.Write(args[1]); err != nil {
					return badInput(err)
				}
				return emit(m.ID, args[1])
			}
			m, err := mk.ExportBundle(args[0], args[1])
			if err != nil {
				return badInput(err)
			}
			return emit(m.ID, args[1])
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if hideAuthor {
				return badInput(fmt.Errorf("--hide-author: run it on the host's data dir (--data-dir): the host re-signs the card"))
			}
			m, err := c.MarketEntry(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			b, err := c.Bundle(cmd.Context(), m.ID)
			if err != nil {
				return err
			}
			if err := writeBundle(args[1], b); err != nil {
				return err
			}
			return emit(m.ID, args[1])
		}),
	}
	c.Flags().BoolVar(&hideAuthor, "hide-author", false, "export a selective disclosure that hides the model's author")
	g.serverFlags(c, true)
	return c
}

// writeBundle writes a bundle's files in dir (made if missing), each
// durably.
func writeBundle(dir string, b *market.Bundle) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, m := range []struct {
		name string
		data []byte
	}{{market.BundleModule, b.Module}, {market.BundleCredential, b.Credential}, {market.BundleCard, b.Card}, {market.BundleStatusList, b.StatusList}} {
		if m.data == nil {
			continue
		}
		if err := durable.WriteFile(filepath.Join(dir, m.name), m.data, 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

func marketIngestCmd(g *globals) *cobra.Command {
	var issuer, statusList string
	var allowUntrusted bool
	var price int64
	c := &cobra.Command{
		Use:   "ingest DIR",
		Short: "add a bundle to this data dir's marketplace, if it verifies",
		Long: `Ingest adds an exported bundle to this data dir's marketplace. It refuses
the bundle, saying which file and why, unless the credential's proof
verifies and its issuer is the did:key that signed it (and --issuer, if
given), the wasm's SHA-256 is the credential's subject, the credential is
not revoked in the issuer's status list (--status-list FILE, else the
bundle's status.json), and the card is signed by the same issuer and agrees
with the credential. It also refuses a bundle whose issuer is neither this
host nor trusted here for its task, dataset and date (verdict market trust
add DID); --allow-untrusted lists it anyway, flagged as not trusted here.
--issuer pins the issuer; it does not trust it. A refused bundle exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			b, err := market.ReadBundle(args[0])
			if err != nil {
				return badInput(err)
			}
			opts := market.IngestOptions{Issuer: issuer, AllowUntrusted: allowUntrusted, PricePer1000: price}
			if statusList != "" {
				if opts.StatusList, err = readBounded(statusList, market.MaxStatusListSize); err != nil {
					return badInput(err)
				}
			}
			start := time.Now()
			m, err := mk.Ingest(cmd.Context(), b, opts)
			var be *market.BundleError
			if errors.As(err, &be) {
				if g.json {
					_ = g.emit(map[string]any{"accepted": false, "file": be.File, "reason": be.Err.Error()})
				} else {
					fmt.Fprintf(g.stdout, "REFUSED     %s: %v\n", be.File, be.Err)
				}
				return errSubmissionFailed
			}
			if err != nil {
				return badInput(err)
			}
			return emitIngested(g, m, start)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if statusList != "" {
				return errNoRemote("--status-list (the server checks the bundle's own)")
			}
			b, err := market.ReadBundle(args[0])
			if err != nil {
				return badInput(err)
			}
			start := time.Now()
			m, err := c.IngestBundle(cmd.Context(), b, issuer, allowUntrusted)
			var ce *client.Error
			if errors.As(err, &ce) && ce.Kind == "bundle" {
				if g.json {
					_ = g.emit(map[string]any{"accepted": false, "reason": ce.Message})
				} else {
					fmt.Fprintf(g.stdout, "REFUSED     %s\n", ce.Message)
				}
				return errSubmissionFailed
			}
			if err != nil {
				return err
			}
			return emitIngested(g, m, start)
		}),
	}
	g.serverFlags(c, true)
	c.Flags().StringVar(&issuer, "issuer", "", "accept only bundles issued by this did:key")
	c.Flags().BoolVar(&allowUntrusted, "allow-untrusted", false, "accept a bundle whose issuer is not trusted here, listed as untrusted")
	c.Flags().Int64Var(&price, "price", 0, fmt.Sprintf("price per 1,000 rows of metered use, in units (default %d; with --server: set it with verdict market price on the server's data dir)", market.DefaultPricePer1000))
	c.Flags().StringVar(&statusList, "status-list", "", "the issuer's current status list credential (file), instead of the bundle's")
	return c
}

// emitIngested prints an ingested entry.
func emitIngested(g *globals, m *market.Entry, start time.Time) error {
	if g.json {
		return g.emit(map[string]any{"accepted": true, "model": m})
	}
	fmt.Fprintf(g.stdout, "ingested    %s: %s on %s, %s %s, by %s (verified in %.0f ms)\n", m.ID, m.Card.Task.Type, m.Card.Task.ID,
		m.Card.Task.Metric, formatScore(m.Score), shortDID(m.Card.AuthorName()), float64(time.Since(start).Microseconds())/1000)
	return nil
}

func marketRefreshCmd(g *globals) *cobra.Command {
	var statusList string
	c := &cobra.Command{
		Use:   "refresh --status-list FILE",
		Short: "check the ingested models against a newer status list of their issuer",
		Long: `Refresh checks every ingested model against a newer status list from its
issuer (the list verifies, is the one the model's credential points at, and
is valid now) and marks the ones it revokes: a marketplace that ingested a
model learns of a later revocation this way. The list is kept for the
model's next export.`,
		Args: cobra.NoArgs,
		RunE: g.withEngine(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			list, err := readBounded(statusList, market.MaxStatusListSize)
			if err != nil {
				return badInput(err)
			}
			r, err := mk.Refresh(cmd.Context(), list)
			if err != nil {
				return badInput(err)
			}
			if g.json {
				return g.emit(r)
			}
			fmt.Fprintf(g.stdout, "checked     %d ingested models against the status list of %s\n", r.Checked, r.Issuer)
			for _, m := range r.Revoked {
				fmt.Fprintf(g.stdout, "revoked     %s (%s on %s, by %s)\n", m.ID, m.Card.Task.Metric, m.Card.Task.ID, shortDID(m.Card.AuthorName()))
			}
			if len(r.Revoked) == 0 {
				fmt.Fprintln(g.stdout, "revoked     none")
			}
			return nil
		}),
	}
	c.Flags().StringVar(&statusList, "status-list", "", "the issuer's status list credential (file, required)")
	_ = c.MarkFlagRequired("status-list")
	return c
}

func marketPredictCmd(g *globals) *cobra.Command {
	var out, receipt string
	c := &cobra.Command{
		Use:   "predict ID INPUT",
		Short: "run a marketplace model in the sandbox on new rows",
		Long: `Predict runs a certified model in the sandbox on INPUT, a CSV, Parquet or
Arrow IPC table with the model's id column and input features by name
(verdict market show ID lists them; other columns are ignored), and writes
the id column and the model's outputs as CSV to stdout or --out.

With --server URL (and --key FILE to call as your did:key, or the host's
token), the model runs on that server as a metered service: the call
counts against your daily quota there and the server answers with a
usage receipt from its public ledger, which --receipt FILE keeps (check
it with verdict ledger verify FILE). Run on the data dir itself, the
model runs here, unmetered.`,
		Args: cobra.ExactArgs(2),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			f, err := os.Open(args[1])
			if err != nil {
				return badInput(err)
			}
			defer f.Close()
			m, err := mk.Entry(args[0])
			if err != nil {
				return badInput(err)
			}
			p, err := mk.Predict(cmd.Context(), m.ID, f, args[1])
			if errors.Is(err, engine.ErrBadRequest) || errors.Is(err, engine.ErrNotFound) {
				return badInput(err)
			}
			if err != nil {
				return err
			}
			if g.json {
				rows := make([]map[string]any, len(p.IDs))
				for i, id := range p.IDs {
					row := map[string]any{m.Card.Input.IDColumn: id}
					for k, col := range p.Columns {
						row[col] = p.Values[k][i]
					}
					rows[i] = row
				}
				return g.emit(map[string]any{"model": m.ID, "columns": p.Columns, "rows": rows})
			}
			w := g.stdout
			if out != "" {
				file, err := os.Create(out)
				if err != nil {
					return badInput(err)
				}
				if err := errors.Join(writePredictionsTo(file, m.Card.Input.IDColumn, p), file.Close()); err != nil {
					return fmt.Errorf("write %s: %w", out, err)
				}
				return nil
			}
			return writePredictionsTo(w, m.Card.Input.IDColumn, p)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			return predictRemote(g, cmd, c, args[0], args[1], out, receipt)
		}),
	}
	g.serverFlags(c, true)
	c.Flags().StringVar(&receipt, "receipt", "", "with --server: write the usage receipt (JSON, with its inclusion proof) to this file")
	c.Flags().StringVar(&out, "out", "", "write the predictions to this CSV file instead of stdout")
	return c
}
