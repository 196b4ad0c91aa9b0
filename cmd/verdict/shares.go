package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// teamSharesCmd is verdict team shares: show or agree a team's revenue
// split.
func teamSharesCmd(g *globals, task *string) *cobra.Command {
	var shares []string
	c := &cobra.Command{
		Use:   "shares TEAM [--share MEMBER=PERCENT ...]",
		Short: "show or agree how a team shares what its models earn (equal by default)",
		Long: `Shares shows a team's revenue split, or with --share MEMBER=PERCENT (one
per member, summing to 100, at most two decimals) asks for one.

With --server URL --key FILE a member asks as themself: the split is in
force once every member asked for the same. Run on the data dir (or with
the host's token), the host records a split the team agreed at once.
Each metered use's receipt copies the split in force, so a statement
recomputed from the public log shares the same way; a team whose
members change falls back to equal shares until they agree again.`,
		Args: cobra.ExactArgs(1),
		RunE: g.either(func(cmd *cobra.Command, args []string, e *engine.Engine) error {
			mk := market.New(e)
			defer mk.Close()
			var (
				a   *market.ShareAgreement
				err error
			)
			if len(shares) == 0 {
				a, err = mk.Shares(*task, args[0])
			} else {
				var ws []ledger.Weight
				if ws, err = parseShares(shares); err == nil {
					a, err = mk.AgreeShares(*task, args[0], market.HostCaller, ws)
				}
			}
			if err != nil {
				return badInput(err)
			}
			return printShares(g, a)
		}, func(cmd *cobra.Command, args []string, c *client.Client) error {
			if len(shares) == 0 {
				a, err := c.Shares(cmd.Context(), *task, args[0])
				if err != nil {
					return err
				}
				return printShares(g, a)
			}
			ws, err := parseShares(shares)
			if err != nil {
				return badInput(err)
			}
			in := make([]api.Weight, len(ws))
			for i, w := range ws {
				in[i] = api.Weight{Party: w.Party, BasisPoints: w.BasisPoints}
			}
			a, err := c.AgreeShares(cmd.Context(), *task, args[0], in)
			if err != nil {
				return err
			}
			return printShares(g, a)
		}),
	}
	c.Flags().StringArrayVar(&shares, "share", nil, "MEMBER=PERCENT, once per member (e.g. did:key:z6Mk…=62.5)")
	return c
}

// parseShares reads MEMBER=PERCENT flags into weights in basis points.
func parseShares(flags []string) ([]ledger.Weight, error) {
	ws := make([]ledger.Weight, 0, len(flags))
	for _, f := range flags {
		i := strings.LastIndex(f, "=")
		if i <= 0 {
			return nil, fmt.Errorf("--share %q: want MEMBER=PERCENT", f)
		}
		pct, err := strconv.ParseFloat(f[i+1:], 64)
		bp := math.Round(pct * 100)
		if err != nil || pct < 0 || pct > 100 || math.Abs(bp-pct*100) > 1e-6 {
			return nil, fmt.Errorf("--share %q: percent %q is not 0..100 with at most two decimals", f, f[i+1:])
		}
		ws = append(ws, ledger.Weight{Party: f[:i], BasisPoints: int64(bp)})
	}
	if len(ws) == 0 {
		return nil, errors.New("--share: none given")
	}
	return ws, nil
}

func printShares(g *globals, a *market.ShareAgreement) error {
	if g.json {
		return g.emit(a)
	}
	w := g.stdout
	if len(a.Agreed) == 0 {
		fmt.Fprintf(w, "team %s on %s: equal shares (no split agreed by its members)\n", a.Team, a.Task)
	} else {
		fmt.Fprintf(w, "team %s on %s: agreed by %s at %s\n", a.Team, a.Task, a.AgreedBy, a.AgreedAt.Format("2006-01-02T15:04:05Z"))
		for _, s := range a.Agreed {
			fmt.Fprintf(w, "  %-60s %d.%02d%%\n", s.Party, s.BasisPoints/100, s.BasisPoints%100)
		}
	}
	for _, m := range sortedKeys(a.Asked) {
		if len(a.Agreed) == 0 || !slices.Equal(a.Asked[m], a.Agreed) {
			fmt.Fprintf(w, "  asked by %s: %s\n", m, formatWeights(a.Asked[m]))
		}
	}
	return nil
}

func sortedKeys(m map[string][]ledger.Weight) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func formatWeights(ws []ledger.Weight) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%s=%d.%02d%%", w.Party, w.BasisPoints/100, w.BasisPoints%100)
	}
	return strings.Join(parts, " ")
}
