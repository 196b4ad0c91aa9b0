package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
)

func newScoreCmd(g *globals) *cobra.Command {
	var (
		sf        engine.ScoreFiles
		ci        bool
		bootstrap metric.BootstrapConfig
	)
	c := &cobra.Command{
		Use:   "score --task-type T --metric M --truth TRUTH.csv --pred PRED.csv",
		Short: "score a prediction file offline, with no sandbox",
		Long: `Score computes a metric of a prediction file against a truth file, the same
way an evaluation does. The truth file has the columns id and label (and group
for ranking); other columns are ignored. The prediction file has id, then one
column per output: the probability of class 1 (binary), one probability per
class in class order (multiclass), or the predicted value. CSV, Parquet and
Arrow IPC files are accepted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if ci {
				sf.CI = &bootstrap
			}
			r, err := sf.Score()
			if err != nil {
				return badInput(err)
			}
			if g.json {
				out := map[string]any{"metric": sf.Metric, "task_type": sf.TaskType, "score": r.Score}
				if r.CI != nil {
					out["ci"] = r.CI
				}
				return g.emit(out)
			}
			fmt.Fprintf(g.stdout, "%s %s", sf.Metric, formatScore(r.Score))
			if r.CI != nil {
				fmt.Fprintf(g.stdout, "  %s", formatCI(r.CI))
			}
			fmt.Fprintln(g.stdout)
			return nil
		},
	}
	c.Flags().StringVar(&sf.TaskType, "task-type", "", "binary, multiclass, regression or ranking (required)")
	c.Flags().StringVar(&sf.Metric, "metric", "", "metric name, e.g. roc_auc (required)")
	c.Flags().StringVar(&sf.Truth, "truth", "", "truth file (required)")
	c.Flags().StringVar(&sf.Pred, "pred", "", "prediction file (required)")
	c.Flags().StringVar(&sf.ID, "id", "id", "id column in both files")
	c.Flags().StringVar(&sf.Label, "label", "label", "label column of the truth file")
	c.Flags().StringVar(&sf.Group, "group", "", "group column of a ranking truth file (default \"group\")")
	c.Flags().IntVar(&sf.K, "k", 0, "ranking cutoff, as in ndcg@K (--metric ndcg --k 10 equals --metric ndcg@10)")
	c.Flags().BoolVar(&ci, "ci", false, "also print a percentile bootstrap confidence interval")
	c.Flags().IntVar(&bootstrap.Resamples, "resamples", metric.DefaultResamples, "bootstrap resamples, with --ci")
	c.Flags().Float64Var(&bootstrap.Level, "level", metric.DefaultLevel, "confidence level, with --ci")
	c.Flags().Uint64Var(&bootstrap.Seed, "seed", 0, "bootstrap seed, with --ci (the same seed gives the same interval)")
	for _, f := range []string{"task-type", "metric", "truth", "pred"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}
