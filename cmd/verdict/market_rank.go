package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/onnx"
	"github.com/verdictlab/verdict/sandbox"
)

func marketRankCmd(g *globals) *cobra.Command {
	var (
		q    market.Query
		s    market.Sample
		path string
	)
	c := &cobra.Command{
		Use:   "rank --sample FILE --type T --metric M [--label COL] [--id COL] [--feature NAME]... [--server URL]",
		Short: "which certified models work best on my data: run them on a labelled sample, ranked",
		Long: `Rank runs every certified model of task type T (that the other filters keep)
on FILE, your own labelled rows (CSV, Parquet or Arrow IPC: an id column,
a label column and the models' feature columns by name), in the sandbox
under each model's certified limits, and ranks them by metric M on your
rows with 95% bootstrap intervals: measured, not claimed. M is the
measure, not a filter: a model certified with another metric of the same
task type is ranked too. A model whose features FILE lacks is listed
with the reason.

The sample never leaves this machine: without --server the models come
from the data dir's marketplace; with --server their bundles are
downloaded, every signature checked here (as ingest checks them), and
run here. Each model says who certified it and whether that issuer is
trusted by the marketplace it came from.`,
		Args: cobra.NoArgs,
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			if err := readSample(path, &s); err != nil {
				return err
			}
			mk, err := market.Open(cmd.Context(), e)
			if err != nil {
				return err
			}
			r, err := mk.Rank(cmd.Context(), q, s)
			if err != nil {
				return badInput(err)
			}
			return printRanking(g, r)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := readSample(path, &s); err != nil {
				return err
			}
			r, err := rankRemote(cmd.Context(), c, q, s)
			if err != nil {
				return err
			}
			return printRanking(g, r)
		}),
	}
	g.serverFlags(c, false)
	f := c.Flags()
	f.StringVar(&path, "sample", "", "your labelled rows: CSV, Parquet or Arrow IPC (required)")
	f.StringVar(&q.TaskType, "type", "", "task type: binary, multiclass, regression or ranking (required)")
	f.StringVar(&q.Metric, "metric", "", "the metric to rank by on the sample (required)")
	f.StringVar(&s.ID, "id", market.DefaultSampleID, "the sample's id column")
	f.StringVar(&s.Label, "label", market.DefaultSampleLabel, "the sample's label column")
	f.StringVar(&s.Group, "group", "", "the sample's query column (ranking tasks)")
	f.StringVar(&q.Task, "task", "", "only models of this task")
	f.StringSliceVar(&q.Features, "feature", nil, "only models that read this feature (repeatable)")
	f.StringVar(&q.Text, "text", "", "only models whose task id, title or author contains this")
	f.BoolVar(&q.TrustedOnly, "trusted-only", false, "only models whose issuer the marketplace trusts")
	for _, name := range []string{"sample", "type", "metric"} {
		_ = c.MarkFlagRequired(name)
	}
	return c
}

// readSample reads the sample file, bounded by market.MaxSampleBytes.
func readSample(path string, s *market.Sample) error {
	f, err := os.Open(path)
	if err != nil {
		return badInput(fmt.Errorf("--sample: %w", err))
	}
	defer f.Close()
	s.Data, err = io.ReadAll(io.LimitReader(f, market.MaxSampleBytes+1))
	if err != nil {
		return fmt.Errorf("--sample %s: %w", path, err)
	}
	if len(s.Data) > market.MaxSampleBytes {
		return badInput(fmt.Errorf("--sample %s: larger than %d bytes: a ranking sample is a small labelled sample", path, market.MaxSampleBytes))
	}
	s.Name = filepath.Base(path)
	return nil
}

// rankRemote ranks a server's models on the sample here: it lists them,
// downloads each bundle, verifies it as ingest would (signatures, module
// hash, card, revocation) and runs it in a local sandbox.
func rankRemote(ctx context.Context, c *client.Client, q market.Query, s market.Sample) (*market.Ranking, error) {
	lq := q
	lq.Metric, lq.IncludeRevoked, lq.Limit = "", false, 0
	if q.TaskType == "" || q.Metric == "" {
		return nil, badInput(fmt.Errorf("rank on a sample: a task type and a metric are required"))
	}
	es, err := c.Market(ctx, lq)
	if err != nil {
		return nil, err
	}
	if q.TrustedOnly { // the server's word: its registry
		es = slices.DeleteFunc(es, func(me market.Entry) bool { return !me.Trusted })
	}
	left := max(0, len(es)-market.MaxRankModels)
	es = es[:len(es)-left]
	cands := make([]market.Candidate, 0, len(es))
	for _, me := range es {
		b, err := c.Bundle(ctx, me.ID)
		if err != nil {
			return nil, err
		}
		card, _, err := market.VerifyBundle(ctx, b, market.IngestOptions{Issuer: me.Card.Issuer}, time.Now())
		if err != nil {
			return nil, fmt.Errorf("model %s from %s: %w", me.ID, c.URL(), err)
		}
		me.Card = *card // the card as its issuer signed it, not as the server says
		cands = append(cands, market.Candidate{Entry: me, Module: b.Module})
	}
	rts := &localRuntimes{}
	defer rts.close(context.WithoutCancel(ctx))
	r, err := market.RankCandidates(ctx, rts.get, q.TaskType, q.Metric, cands, s)
	if err != nil {
		return nil, badInput(err)
	}
	r.Left = left
	return r, nil
}

// localRuntimes is a sandbox runtime per memory limit, made on first use.
type localRuntimes struct {
	mu  sync.Mutex
	rts map[sandbox.Limits]*sandbox.Runtime
}

func (l *localRuntimes) get(ctx context.Context, lim sandbox.Limits) (*sandbox.Runtime, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rt, ok := l.rts[lim]; ok {
		return rt, nil
	}
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: os.Getenv("VERDICT_CACHE_DIR"), Limits: lim, Isolation: sandbox.Preferred(),
		TrustedCode: []string{onnx.RuntimeSHA256()}})
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	if l.rts == nil {
		l.rts = map[sandbox.Limits]*sandbox.Runtime{}
	}
	l.rts[lim] = rt
	return rt, nil
}

func (l *localRuntimes) close(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, rt := range l.rts {
		rt.Close(ctx)
	}
}

// printRanking prints a ranking as a table, or emits it as JSON.
func printRanking(g *globals, r *market.Ranking) error {
	if g.json {
		return g.emit(r)
	}
	w := g.stdout
	dir := "lower is better"
	if r.HigherIsBetter {
		dir = "higher is better"
	}
	fmt.Fprintf(w, "%s on your %d rows (%s)\n", r.Metric, r.Rows, dir)
	if len(r.Models) == 0 {
		fmt.Fprintln(w, "no models")
		return nil
	}
	fmt.Fprintf(w, "%-4s %-8s  %-16s %10s  %-28s %10s  %-20s %s\n", "RANK", "ID", "TASK", "SCORE", "95% CI", "CERTIFIED", "AUTHOR", "CERTIFIED BY")
	for _, m := range r.Models {
		by := shortDID(m.Entry.Card.Issuer)
		if m.Entry.Trusted {
			by += " (trusted)"
		} else {
			by += " (NOT trusted)"
		}
		id := m.Entry.ID[:min(8, len(m.Entry.ID))]
		if m.Score == nil {
			fmt.Fprintf(w, "%-4s %-8s  %-16s %10s  %-28s %10s  %-20s %s\n", "-", id, m.Entry.Card.Task.ID, "-", m.Error, formatScore(m.Entry.Score), shortDID(m.Entry.Card.Author), by)
			continue
		}
		ci := "-"
		if m.Interval != nil {
			ci = fmt.Sprintf("[%s, %s]", formatScore(m.Interval.Low), formatScore(m.Interval.High))
		}
		fmt.Fprintf(w, "%-4d %-8s  %-16s %10s  %-28s %10s  %-20s %s\n", m.Rank, id, m.Entry.Card.Task.ID, formatScore(*m.Score), ci, formatScore(m.Entry.Score), shortDID(m.Entry.Card.Author), by)
	}
	if r.Left > 0 {
		fmt.Fprintf(w, "%d more models matched; narrow the search (--feature, --text, --task) to rank them\n", r.Left)
	}
	return nil
}
