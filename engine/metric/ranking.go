package metric

import (
	"math"
	"slices"
)

// ndcg is the mean over queries of sklearn's ndcg_score(k=K) on each query:
// linear gains (the relevance itself), discount 1/log2(rank+1) cut at K,
// tied scores sharing their discounts (ignore_ties=False). A query with no
// relevant row scores 0, as in sklearn.
func ndcg(in Input) (float64, error) {
	for i, y := range in.Truth {
		if y < 0 {
			return 0, invalid(i, "relevance %v is negative; ndcg needs relevance >= 0", y)
		}
	}
	queries := groupRows(in.Group, len(in.Truth))
	var total float64
	for _, v := range queryNDCG(in, queries) {
		total += v
	}
	return total / float64(len(queries)), nil
}

// queryNDCG returns the NDCG@in.K of each query, given by its rows.
func queryNDCG(in Input, queries [][]int) []float64 {
	// One buffer for every query: discounts, then the rows of the query.
	longest := 0
	for _, q := range queries {
		longest = max(longest, len(q))
	}
	disc := make([]float64, 2*longest) // discount of 0-based rank r, 0 from K on
	cum := disc[longest:]              // cum[r] = disc[0] + ... + disc[r]
	disc = disc[:longest]
	var c float64
	for r := range disc {
		if in.K == 0 || r < in.K {
			disc[r] = 1 / math.Log2(float64(r)+2)
		}
		c += disc[r]
		cum[r] = c
	}
	type row struct{ s, y float64 }
	rows := make([]row, longest)
	rel := make([]float64, longest)
	out := make([]float64, len(queries))
	for qi, q := range queries {
		rs := rows[:len(q)]
		ys := rel[:len(q)]
		for j, i := range q {
			rs[j] = row{in.Pred[0][i], in.Truth[i]}
			ys[j] = in.Truth[i]
		}
		// Ideal DCG: relevance in decreasing order (ties are harmless).
		slices.Sort(ys)
		var ideal float64
		for r := range ys {
			ideal += ys[len(ys)-1-r] * disc[r]
		}
		if ideal == 0 {
			continue // all irrelevant: 0
		}
		slices.SortFunc(rs, func(a, b row) int {
			switch {
			case a.s > b.s:
				return -1
			case a.s < b.s:
				return 1
			}
			return 0
		})
		// DCG with tied scores averaging their gains over their ranks.
		var dcg float64
		for a := 0; a < len(rs); {
			b := a
			var gain float64
			for ; b < len(rs) && rs[b].s == rs[a].s; b++ {
				gain += rs[b].y
			}
			d := cum[b-1]
			if a > 0 {
				d -= cum[a-1]
			}
			dcg += gain / float64(b-a) * d
			a = b
		}
		out[qi] = dcg / ideal
	}
	return out
}

// groupRows returns the row indices of each query, queries in order of
// first appearance. A nil group is one query holding every row.
func groupRows(group []string, n int) [][]int {
	if group == nil {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	index := make(map[string]int)
	var queries [][]int
	for i, g := range group {
		q, ok := index[g]
		if !ok {
			q = len(queries)
			index[g] = q
			queries = append(queries, nil)
		}
		queries[q] = append(queries[q], i)
	}
	return queries
}
