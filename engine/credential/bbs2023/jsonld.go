package bbs2023

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"
)

//go:embed contexts/credentials-v2.jsonld
var credentialsV2 []byte

// contexts maps the URL of every JSON-LD context this package serves to
// its content: the ones embedded from contexts/ and the ones added by
// RegisterContext. Nothing else is ever loaded: there is no network access
// at sign, derive or verify time.
var contexts = map[string][]byte{
	"https://www.w3.org/ns/credentials/v2": credentialsV2,
}

// contextsMu guards contexts against RegisterContext.
var contextsMu sync.RWMutex

// RegisterContext makes the static document loader serve the JSON-LD
// context doc at url, so that credentials using it can be signed, derived
// and verified. A package that defines a vocabulary registers its context
// once, in an init function (like database/sql.Register); registering a
// URL twice, or a document that is not a JSON object, panics.
func RegisterContext(url string, doc []byte) {
	var v map[string]any
	if err := json.Unmarshal(doc, &v); err != nil {
		panic(fmt.Sprintf("bbs2023: RegisterContext %s: %v", url, err))
	}
	contextsMu.Lock()
	defer contextsMu.Unlock()
	if _, dup := contexts[url]; dup {
		panic("bbs2023: RegisterContext called twice for " + url)
	}
	contexts[url] = bytes.Clone(doc)
}

// staticLoader is a json-gold DocumentLoader that serves only the
// embedded contexts.
type staticLoader struct{}

func (staticLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	contextsMu.RLock()
	b, ok := contexts[u]
	contextsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: JSON-LD context %q is not served by the static loader (no network access)", ErrInput, u)
	}
	doc, err := ld.DocumentFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("bbs2023: parse embedded context %s: %w", u, err)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

func ldOptions() *ld.JsonLdOptions {
	o := ld.NewJsonLdOptions("")
	o.ProcessingMode = ld.JsonLd_1_1
	o.DocumentLoader = staticLoader{}
	o.Algorithm = ld.AlgorithmURDNA2015
	o.SafeMode = true
	return o
}

// MaxStatements bounds the JSON values and the RDF statements of a
// document this package canonicalizes. It caps what an untrusted derived
// document costs before its proof is checked: json-gold's JSON-LD to RDF
// step grows quadratically with the statements (about 0.3 s for 2000 on
// the development machine, 1.4 s for 4000). A model credential has tens.
const MaxStatements = 1 << 11

// skolemPrefix names the IRIs that stand for blank nodes while a document
// is skolemized (spec: skolemizeExpandedJsonLd).
const skolemPrefix = "urn:bnid:"

// countJSON counts the values in a JSON document, stopping past limit.
func countJSON(v any, limit int) int {
	n := 1
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if n > limit {
				break
			}
			n += countJSON(e, limit-n)
		}
	case map[string]any:
		for _, e := range t {
			if n > limit {
				break
			}
			n += countJSON(e, limit-n)
		}
	}
	return n
}

// checkSize refuses a document of more than MaxStatements JSON values
// before any JSON-LD processing (whose cost grows faster than its size).
func checkSize(doc any) error {
	if n := countJSON(doc, MaxStatements); n > MaxStatements {
		return errorf(ErrInput, "document has more than %d JSON values", MaxStatements)
	}
	return nil
}

// expand runs JSON-LD expansion with the static loader.
func expand(doc any) ([]any, error) {
	if err := checkSize(doc); err != nil {
		return nil, err
	}
	out, err := ld.NewJsonLdProcessor().Expand(doc, ldOptions())
	if err != nil {
		return nil, fmt.Errorf("%w: JSON-LD expansion: %v", ErrInput, err)
	}
	return out, nil
}

// skolemize gives every node object of an expanded document an @id: blank
// node ids _:x become urn:bnid:x, nodes without one get urn:bnid:sN.
func skolemize(v any, n *int) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			skolemize(e, n)
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			return
		}
		if _, isList := t["@list"]; !isList {
			id, ok := t["@id"].(string)
			switch {
			case !ok:
				t["@id"] = skolemPrefix + "s" + strconv.Itoa(*n)
				*n++
			case strings.HasPrefix(id, "_:"):
				t["@id"] = skolemPrefix + id[2:]
			}
		}
		for k, e := range t {
			if k == "@id" || k == "@type" {
				continue
			}
			skolemize(e, n)
		}
	}
}

// skolemizedCompact returns the document's skolemized expanded form and
// its compaction under the document's own @context.
func skolemizedCompact(doc map[string]any) (expanded []any, compact map[string]any, err error) {
	expanded, err = expand(doc)
	if err != nil {
		return nil, nil, err
	}
	n := 0
	skolemize(expanded, &n)
	c, err := ld.NewJsonLdProcessor().Compact(expanded, map[string]any{"@context": doc["@context"]}, ldOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: JSON-LD compaction: %v", ErrInput, err)
	}
	return expanded, c, nil
}

// toDeskolemizedDataset converts JSON-LD (expanded or compact) to RDF and
// turns urn:bnid: IRIs back into blank nodes.
func toDeskolemizedDataset(doc any) (*ld.RDFDataset, error) {
	if err := checkSize(doc); err != nil {
		return nil, err
	}
	r, err := ld.NewJsonLdProcessor().ToRDF(doc, ldOptions())
	if err != nil {
		return nil, fmt.Errorf("%w: JSON-LD to RDF: %v", ErrInput, err)
	}
	ds, ok := r.(*ld.RDFDataset)
	if !ok {
		return nil, fmt.Errorf("bbs2023: JSON-LD to RDF returned %T, not a dataset", r)
	}
	n := 0
	for _, quads := range ds.Graphs {
		n += len(quads)
	}
	if n > MaxStatements {
		return nil, errorf(ErrInput, "document has %d RDF statements, more than %d", n, MaxStatements)
	}
	for _, quads := range ds.Graphs {
		for _, q := range quads {
			for _, p := range []*ld.Node{&q.Subject, &q.Object, &q.Graph} {
				if *p != nil && ld.IsIRI(*p) && strings.HasPrefix((*p).GetValue(), skolemPrefix) {
					*p = ld.NewBlankNode("_:" + strings.TrimPrefix((*p).GetValue(), skolemPrefix))
				}
			}
		}
	}
	return ds, nil
}

// canonicalize runs RDFC-1.0 (URDNA2015) over ds. It returns the quads
// (their blank nodes relabelled _:c14nN, in canonical order) and the
// canonical id map: input label -> c14n label, both without "_:".
// ds is consumed. A dataset whose canonicalization could take too long
// is refused (checkCanonicalizationWork).
func canonicalize(ds *ld.RDFDataset) ([]*ld.Quad, map[string]string, error) {
	if err := checkCanonicalizationWork(ds); err != nil {
		return nil, nil, err
	}
	type orig struct {
		q     *ld.Quad
		nodes [3]string
	}
	var before []orig
	for _, quads := range ds.Graphs {
		for _, q := range quads {
			var o orig
			o.q = q
			for i, n := range []ld.Node{q.Subject, q.Object, q.Graph} {
				if n != nil && ld.IsBlankNode(n) {
					o.nodes[i] = n.GetValue()
				}
			}
			before = append(before, o)
		}
	}
	na := ld.NewNormalisationAlgorithm(ld.AlgorithmURDNA2015)
	na.Normalize(ds)
	idMap := map[string]string{}
	for _, o := range before {
		for i, n := range []ld.Node{o.q.Subject, o.q.Object, o.q.Graph} {
			if o.nodes[i] != "" && n != nil {
				idMap[strings.TrimPrefix(o.nodes[i], "_:")] = strings.TrimPrefix(n.GetValue(), "_:")
			}
		}
	}
	return na.Quads(), idMap, nil
}

// nquads serializes quads with blank node labels replaced through
// relabel (label without "_:" -> new label without "_:"), sorted.
func nquads(quads []*ld.Quad, relabel map[string]string) ([]string, error) {
	lines := make([]string, 0, len(quads))
	ser := &ld.NQuadRDFSerializer{}
	for _, q := range quads {
		c := *q
		for _, p := range []*ld.Node{&c.Subject, &c.Object, &c.Graph} {
			if *p == nil || !ld.IsBlankNode(*p) {
				continue
			}
			old := strings.TrimPrefix((*p).GetValue(), "_:")
			nl, ok := relabel[old]
			if !ok {
				return nil, fmt.Errorf("%w: blank node _:%s has no label in the label map", ErrInput, old)
			}
			*p = ld.NewBlankNode("_:" + nl)
		}
		g := "@default"
		if c.Graph != nil {
			g = c.Graph.GetValue()
		}
		s, err := ser.Serialize(&ld.RDFDataset{Graphs: map[string][]*ld.Quad{g: {&c}}})
		if err != nil {
			return nil, fmt.Errorf("bbs2023: serialize N-Quad: %w", err)
		}
		lines = append(lines, s.(string))
	}
	sort.Strings(lines)
	return lines, nil
}

// canonicalNQuads is RDFC-1.0 of a JSON-LD document as sorted N-Quads with
// _:c14nN labels.
func canonicalNQuads(doc any) ([]string, error) {
	ds, err := toDeskolemizedDataset(doc)
	if err != nil {
		return nil, err
	}
	quads, idMap, err := canonicalize(ds)
	if err != nil {
		return nil, err
	}
	same := map[string]string{}
	for _, c := range idMap {
		same[c] = c
	}
	return nquads(quads, same)
}

// cloneJSON deep-copies a JSON value (maps, slices, scalars).
func cloneJSON(v any) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = cloneJSON(e)
		}
		return out
	}
	return v
}
