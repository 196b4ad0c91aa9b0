package bbs2023

import (
	"sort"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// MaxAmbiguousBlankNodes bounds the work of RDFC-1.0 on a dataset. Blank
// nodes whose first-degree hash is shared with another are resolved by
// the N-degree hashing, which tries permutations of such nodes that are
// connected to one another: factorial in the size of a connected group
// (with json-gold a clique of 8 took 16 s here, one of 6 0.24 s). A dataset in which
// ambiguous blank nodes form a connected group larger than this is
// refused before canonicalization. Ambiguous nodes that touch no other
// ambiguous node (identical objects in an array) cost nothing and are not
// counted.
const MaxAmbiguousBlankNodes = 6

// checkCanonicalizationWork refuses a dataset whose canonicalization could
// take super-polynomial time (see MaxAmbiguousBlankNodes).
func checkCanonicalizationWork(ds *ld.RDFDataset) error {
	byNode := map[string][]*ld.Quad{}
	for _, quads := range ds.Graphs {
		for _, q := range quads {
			seen := map[string]bool{}
			for _, n := range []ld.Node{q.Subject, q.Object, q.Graph} {
				if n != nil && ld.IsBlankNode(n) && !seen[n.GetValue()] {
					seen[n.GetValue()] = true
					byNode[n.GetValue()] = append(byNode[n.GetValue()], q)
				}
			}
		}
	}
	// First-degree signature: the node's quads with itself as _:a and
	// every other blank node as _:z (the spec's Hash First Degree Quads,
	// before hashing).
	ser := &ld.NQuadRDFSerializer{}
	sigs := map[string]string{}
	count := map[string]int{}
	for id, quads := range byNode {
		lines := make([]string, 0, len(quads))
		for _, q := range quads {
			c := *q
			for _, p := range []*ld.Node{&c.Subject, &c.Object, &c.Graph} {
				if *p != nil && ld.IsBlankNode(*p) {
					if (*p).GetValue() == id {
						*p = ld.NewBlankNode("_:a")
					} else {
						*p = ld.NewBlankNode("_:z")
					}
				}
			}
			g := "@default"
			if c.Graph != nil {
				g = c.Graph.GetValue()
			}
			s, err := ser.Serialize(&ld.RDFDataset{Graphs: map[string][]*ld.Quad{g: {&c}}})
			if err != nil {
				return errorf(ErrInput, "serialize N-Quad: %v", err)
			}
			lines = append(lines, s.(string))
		}
		sort.Strings(lines)
		sig := strings.Join(lines, "")
		sigs[id] = sig
		count[sig]++
	}
	ambiguous := func(id string) bool { return count[sigs[id]] > 1 }
	// Connected groups of ambiguous nodes, joined by shared quads.
	visited := map[string]bool{}
	for id := range byNode {
		if visited[id] || !ambiguous(id) {
			continue
		}
		size := 0
		stack := []string{id}
		visited[id] = true
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			if size > MaxAmbiguousBlankNodes {
				return errorf(ErrInput, "document has more than %d connected blank nodes that only their position distinguishes; canonicalizing it would take too long", MaxAmbiguousBlankNodes)
			}
			for _, q := range byNode[n] {
				for _, o := range []ld.Node{q.Subject, q.Object, q.Graph} {
					if o == nil || !ld.IsBlankNode(o) {
						continue
					}
					if v := o.GetValue(); !visited[v] && ambiguous(v) {
						visited[v] = true
						stack = append(stack, v)
					}
				}
			}
		}
	}
	return nil
}
