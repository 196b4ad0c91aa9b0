package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/engine/metric"
)

func newMetricsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "metrics",
		Short: "list the metrics a task can use, with their task types and direction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			type row struct {
				Name           string   `json:"name"`
				Types          []string `json:"types"`
				HigherIsBetter bool     `json:"higher_is_better"`
				Doc            string   `json:"doc"`
			}
			var rows []row
			for _, m := range metric.All() {
				r := row{Name: m.Name, HigherIsBetter: m.HigherIsBetter, Doc: m.Doc}
				for _, t := range m.Types {
					r.Types = append(r.Types, string(t))
				}
				rows = append(rows, r)
			}
			if g.json {
				return g.emit(rows)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "METRIC\tTASK TYPES\tBEST\tDEFINITION")
			for _, r := range rows {
				best := "lowest"
				if r.HigherIsBetter {
					best = "highest"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, strings.Join(r.Types, ","), best, r.Doc)
			}
			return tw.Flush()
		},
	}
}
