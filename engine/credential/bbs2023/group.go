package bbs2023

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"sort"
	"strconv"

	"github.com/piprate/json-gold/ld"
)

// labelMapFunc maps the canonical id map (input label -> c14n label) to
// the final label of every input label.
type labelMapFunc func(canonicalIDMap map[string]string) (map[string]string, error)

// shuffledLabels is the spec's createShuffledIdLabelMapFunction: each
// c14n label is HMAC-SHA-256'd under key, and the labels are renumbered
// bN in the order of their base64url digests, so the labels of a base
// proof leak nothing of the credential's shape beyond its count of
// blank nodes.
func shuffledLabels(key []byte) labelMapFunc {
	return func(cm map[string]string) (map[string]string, error) {
		digest := make(map[string]string, len(cm))
		sorted := make([]string, 0, len(cm))
		for input, c14n := range cm {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(c14n))
			d := "u" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
			digest[input] = d
			sorted = append(sorted, d)
		}
		sort.Strings(sorted)
		rank := make(map[string]int, len(sorted))
		for i, d := range sorted {
			rank[d] = i
		}
		out := make(map[string]string, len(cm))
		for input, d := range digest {
			out[input] = "b" + strconv.Itoa(rank[d])
		}
		return out, nil
	}
}

// fixedLabels is the spec's createLabelMapFunction: labels from a map of
// c14n label -> final label (the derived proof's label map).
func fixedLabels(labelMap map[string]string) labelMapFunc {
	return func(cm map[string]string) (map[string]string, error) {
		out := make(map[string]string, len(cm))
		for input, c14n := range cm {
			l, ok := labelMap[c14n]
			if !ok {
				return nil, errorf(ErrVerification, "the proof's label map has no label for blank node _:%s", c14n)
			}
			out[input] = l
		}
		return out, nil
	}
}

// labelReplacementCanonicalize canonicalizes ds, relabels its blank nodes
// through f and returns the sorted N-Quads and the map input label ->
// final label.
func labelReplacementCanonicalize(ds *ld.RDFDataset, f labelMapFunc) ([]string, map[string]string, error) {
	quads, cm, err := canonicalize(ds)
	if err != nil {
		return nil, nil, err
	}
	labels, err := f(cm)
	if err != nil {
		return nil, nil, err
	}
	byC14n := make(map[string]string, len(cm))
	for input, c := range cm {
		byC14n[c] = labels[input]
	}
	lines, err := nquads(quads, byC14n)
	if err != nil {
		return nil, nil, err
	}
	return lines, labels, nil
}

// group is one group of canonicalizeAndGroup: the indexes (into the
// document's N-Quads) of the quads its pointers select, and of the rest.
type group struct {
	matching, nonMatching []int
	// deskolemized is the selection's dataset with its input labels.
	deskolemized *ld.RDFDataset
}

type grouped struct {
	nquads   []string
	labelMap map[string]string // input label -> final label
	groups   map[string]group
}

// canonicalizeAndGroup is the spec's algorithm of that name.
func canonicalizeAndGroup(doc map[string]any, f labelMapFunc, groups map[string][]string) (*grouped, error) {
	expanded, compact, err := skolemizedCompact(doc)
	if err != nil {
		return nil, err
	}
	ds, err := toDeskolemizedDataset(expanded)
	if err != nil {
		return nil, err
	}
	lines, labels, err := labelReplacementCanonicalize(ds, f)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(lines))
	for i, l := range lines {
		index[l] = i
	}
	out := &grouped{nquads: lines, labelMap: labels, groups: map[string]group{}}
	for name, pointers := range groups {
		sel, err := selectJSONLD(compact, pointers)
		if err != nil {
			return nil, err
		}
		var g group
		selected := map[int]bool{}
		if sel != nil {
			g.deskolemized, err = toDeskolemizedDataset(sel)
			if err != nil {
				return nil, err
			}
			var quads []*ld.Quad
			for _, qs := range g.deskolemized.Graphs {
				quads = append(quads, qs...)
			}
			selLines, err := nquads(quads, labels)
			if err != nil {
				return nil, err
			}
			for _, l := range selLines {
				if i, ok := index[l]; ok {
					selected[i] = true
				}
			}
		}
		for i := range lines {
			if selected[i] {
				g.matching = append(g.matching, i)
			} else {
				g.nonMatching = append(g.nonMatching, i)
			}
		}
		out.groups[name] = g
	}
	return out, nil
}
