package bbs2023

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"

	"github.com/verdictlab/verdict/engine/credential/bbs"
)

// Cryptosuite is the cryptosuite name of every proof this package makes.
const Cryptosuite = "bbs-2023"

// ProofOptions are the issuer's proof options.
type ProofOptions struct {
	Created            string // XML Schema dateTime, optional
	VerificationMethod string // the issuer's BLS12-381 G2 key URL
	ProofPurpose       string // e.g. "assertionMethod"
}

// proofConfig is the proof without its value, under the document's
// @context (the spec's proof configuration).
func proofConfig(doc map[string]any, proof map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range proof {
		if k != "proofValue" {
			c[k] = cloneJSON(v)
		}
	}
	c["@context"] = cloneJSON(doc["@context"])
	return c
}

func proofMap(o ProofOptions) map[string]any {
	p := map[string]any{
		"type":               "DataIntegrityProof",
		"cryptosuite":        Cryptosuite,
		"verificationMethod": o.VerificationMethod,
		"proofPurpose":       o.ProofPurpose,
	}
	if o.Created != "" {
		p["created"] = o.Created
	}
	return p
}

// proofHash is SHA-256 of the canonical proof configuration.
func proofHash(doc, proof map[string]any) ([]byte, error) {
	lines, err := canonicalNQuads(proofConfig(doc, proof))
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(strings.Join(lines, "")))
	return h[:], nil
}

func hashLines(all []string, idx []int) []byte {
	h := sha256.New()
	for _, i := range idx {
		h.Write([]byte(all[i]))
	}
	return h.Sum(nil)
}

// unsecured returns a shallow copy of doc without its proof.
func unsecured(doc map[string]any) map[string]any {
	d := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "proof" {
			d[k] = v
		}
	}
	return d
}

// baseData is what a base proof signs.
type baseData struct {
	header, proofHash, mandatoryHash []byte
	messages                         [][]byte
	groups                           *grouped
}

func transformBase(doc map[string]any, proof map[string]any, hmacKey []byte, mandatory []string) (*baseData, error) {
	g, err := canonicalizeAndGroup(doc, shuffledLabels(hmacKey), map[string][]string{"mandatory": mandatory})
	if err != nil {
		return nil, err
	}
	ph, err := proofHash(doc, proof)
	if err != nil {
		return nil, err
	}
	m := g.groups["mandatory"]
	d := &baseData{proofHash: ph, mandatoryHash: hashLines(g.nquads, m.matching), groups: g}
	d.header = append(slices.Clone(ph), d.mandatoryHash...)
	for _, i := range m.nonMatching {
		d.messages = append(d.messages, []byte(g.nquads[i]))
	}
	return d, nil
}

// Sign adds a bbs-2023 base proof to a copy of the unsecured document
// doc. hmacKey (32 bytes, fresh per credential) keys the blank-node
// relabelling; mandatoryPointers name what every derived proof must
// reveal. Signing is deterministic.
func Sign(doc map[string]any, o ProofOptions, sk bbs.SecretKey, hmacKey []byte, mandatoryPointers []string) (map[string]any, error) {
	if len(hmacKey) != 32 {
		return nil, errorf(ErrInput, "HMAC key: %d bytes, want 32", len(hmacKey))
	}
	if _, ok := doc["proof"]; ok {
		return nil, errorf(ErrInput, "document already has a proof")
	}
	proof := proofMap(o)
	d, err := transformBase(doc, proof, hmacKey, mandatoryPointers)
	if err != nil {
		return nil, err
	}
	pk := sk.PublicKey()
	sig, err := bbs.Sign(sk, pk, d.header, d.messages)
	if err != nil {
		return nil, err
	}
	pv, err := BaseProof{Signature: sig, Header: d.header, PublicKey: pk.Bytes(), HMACKey: slices.Clone(hmacKey), MandatoryPointers: mandatoryPointers}.Encode()
	if err != nil {
		return nil, err
	}
	proof["proofValue"] = pv
	out := unsecured(doc)
	out["proof"] = proof
	return out, nil
}

// VerifyBase checks a document's bbs-2023 base proof: the holder's check
// before deriving. The public key must be the issuer's and must equal the
// one the proof value carries; the header is recomputed from the document
// and the proof's mandatory pointers.
func VerifyBase(doc map[string]any, pk bbs.PublicKey) error {
	proof, err := proofOf(doc)
	if err != nil {
		return err
	}
	pv, _ := proof["proofValue"].(string)
	base, err := ParseBaseProof(pv)
	if err != nil {
		return err
	}
	if !bytes.Equal(base.PublicKey, pk.Bytes()) {
		return errorf(ErrVerification, "proofValue publicKey is not the issuer's key")
	}
	d, err := transformBase(unsecured(doc), proof, base.HMACKey, base.MandatoryPointers)
	if err != nil {
		return err
	}
	if !bytes.Equal(d.header, base.Header) {
		return errorf(ErrVerification, "proofValue bbsHeader does not match the document's proof config and mandatory statements")
	}
	if err := bbs.Verify(pk, base.Signature, d.header, d.messages); err != nil {
		return errorf(ErrVerification, "BBS signature: %v", err)
	}
	return nil
}

// disclosure is the spec's disclosure data.
type disclosure struct {
	bbsProof            []byte
	labelMap            map[int]int
	mandatoryIndexes    []int // adjusted: positions in the combined quads
	selectiveIndexes    []int // adjusted: positions among non-mandatory quads
	presentationHeader  []byte
	revealDocument      map[string]any
	combined, mandatory []int // absolute indexes, for tests
	selective, nonMand  []int
}

func proofOf(doc map[string]any) (map[string]any, error) {
	p, ok := doc["proof"].(map[string]any)
	if !ok {
		return nil, errorf(ErrInput, "document has no single proof object")
	}
	if p["type"] != "DataIntegrityProof" || p["cryptosuite"] != Cryptosuite {
		return nil, errorf(ErrInput, "proof: type %v, cryptosuite %v, want DataIntegrityProof, %s", p["type"], p["cryptosuite"], Cryptosuite)
	}
	return p, nil
}

// labelNumber parses "c14nN" or "bN" into N.
func labelNumber(label, prefix string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(label, prefix))
	if err != nil || !strings.HasPrefix(label, prefix) || n < 0 {
		return 0, errorf(ErrInput, "blank node label %q is not %sN", label, prefix)
	}
	return n, nil
}

func createDisclosureData(doc map[string]any, selective []string, ph []byte, randomized func(pk bbs.PublicKey, sig, header, ph []byte, msgs [][]byte, idx []int) ([]byte, error)) (*disclosure, error) {
	proof, err := proofOf(doc)
	if err != nil {
		return nil, err
	}
	pv, _ := proof["proofValue"].(string)
	base, err := ParseBaseProof(pv)
	if err != nil {
		return nil, err
	}
	pk, err := bbs.ParsePublicKey(base.PublicKey)
	if err != nil {
		return nil, errorf(ErrEncoding, "proofValue publicKey: %v", err)
	}
	doc = unsecured(doc)
	combinedPointers := append(slices.Clone(base.MandatoryPointers), selective...)
	g, err := canonicalizeAndGroup(doc, shuffledLabels(base.HMACKey), map[string][]string{
		"mandatory": base.MandatoryPointers,
		"selective": selective,
		"combined":  combinedPointers,
	})
	if err != nil {
		return nil, err
	}
	d := &disclosure{
		mandatory:          g.groups["mandatory"].matching,
		selective:          g.groups["selective"].matching,
		combined:           g.groups["combined"].matching,
		nonMand:            g.groups["mandatory"].nonMatching,
		presentationHeader: slices.Clone(ph),
	}
	d.mandatoryIndexes = []int{}
	for _, i := range d.mandatory {
		d.mandatoryIndexes = append(d.mandatoryIndexes, slices.Index(d.combined, i))
	}
	d.selectiveIndexes = []int{}
	for _, i := range d.selective {
		if j := slices.Index(d.nonMand, i); j >= 0 {
			d.selectiveIndexes = append(d.selectiveIndexes, j)
		}
	}
	msgs := make([][]byte, len(d.nonMand))
	for k, i := range d.nonMand {
		msgs[k] = []byte(g.nquads[i])
	}
	d.bbsProof, err = randomized(pk, base.Signature, base.Header, ph, msgs, d.selectiveIndexes)
	if err != nil {
		return nil, err
	}
	d.revealDocument, err = selectJSONLD(doc, combinedPointers)
	if err != nil {
		return nil, err
	}
	if d.revealDocument == nil {
		return nil, errorf(ErrInput, "no mandatory or selective pointers: nothing to reveal")
	}
	// The verifier's label map: the c14n labels it will compute for the
	// revealed statements -> the issuer's HMAC labels.
	ds := g.groups["combined"].deskolemized
	_, cm, err := canonicalize(ds)
	if err != nil {
		return nil, err
	}
	d.labelMap = make(map[int]int, len(cm))
	for input, c14n := range cm {
		k, err := labelNumber(c14n, "c14n")
		if err != nil {
			return nil, err
		}
		v, err := labelNumber(g.labelMap[input], "b")
		if err != nil {
			return nil, err
		}
		d.labelMap[k] = v
	}
	return d, nil
}

// Derive makes a derived proof from a document with a bbs-2023 base
// proof: the returned document reveals the statements the base proof's
// mandatory pointers and selectivePointers select, and carries a
// randomized BBS proof bound to presentationHeader.
func Derive(doc map[string]any, selectivePointers []string, presentationHeader []byte) (map[string]any, error) {
	d, err := createDisclosureData(doc, selectivePointers, presentationHeader, bbs.ProofGen)
	if err != nil {
		return nil, err
	}
	pv, err := DerivedProof{
		Proof: d.bbsProof, LabelMap: d.labelMap, MandatoryIndexes: d.mandatoryIndexes,
		SelectiveIndexes: d.selectiveIndexes, PresentationHeader: d.presentationHeader,
	}.Encode()
	if err != nil {
		return nil, err
	}
	proof := map[string]any{}
	for k, v := range doc["proof"].(map[string]any) {
		proof[k] = cloneJSON(v)
	}
	proof["proofValue"] = pv
	d.revealDocument["proof"] = proof
	return d.revealDocument, nil
}

// verifyData is the spec's createVerifyData: the derived proof value,
// the proof hash, and the revealed document's N-Quads relabelled with the
// proof's label map.
type verifyData struct {
	p         DerivedProof
	proofHash []byte
	nquads    []string
}

func createVerifyData(doc map[string]any) (*verifyData, error) {
	proof, err := proofOf(doc)
	if err != nil {
		return nil, err
	}
	pv, _ := proof["proofValue"].(string)
	p, err := ParseDerivedProof(pv)
	if err != nil {
		return nil, err
	}
	doc = unsecured(doc)
	ph, err := proofHash(doc, proof)
	if err != nil {
		return nil, err
	}
	labels := make(map[string]string, len(p.LabelMap))
	for k, v := range p.LabelMap {
		labels["c14n"+strconv.Itoa(k)] = "b" + strconv.Itoa(v)
	}
	ds, err := toDeskolemizedDataset(doc)
	if err != nil {
		return nil, err
	}
	lines, _, err := labelReplacementCanonicalize(ds, fixedLabels(labels))
	if err != nil {
		return nil, err
	}
	return &verifyData{p: p, proofHash: ph, nquads: lines}, nil
}

// Verify checks a document with a derived bbs-2023 proof against the
// issuer's public key (the caller resolves the proof's verificationMethod
// to it).
func Verify(doc map[string]any, pk bbs.PublicKey) error {
	d, err := createVerifyData(doc)
	if err != nil {
		return err
	}
	p := d.p
	var nonMandatory [][]byte
	h := sha256.New()
	mi := 0
	for i, l := range d.nquads {
		if mi < len(p.MandatoryIndexes) && p.MandatoryIndexes[mi] == i {
			h.Write([]byte(l))
			mi++
		} else {
			nonMandatory = append(nonMandatory, []byte(l))
		}
	}
	if mi != len(p.MandatoryIndexes) {
		return errorf(ErrVerification, "proofValue mandatoryIndexes: index %d beyond the %d revealed statements", p.MandatoryIndexes[mi], len(d.nquads))
	}
	header := append(slices.Clone(d.proofHash), h.Sum(nil)...)
	if err := bbs.ProofVerify(pk, p.Proof, header, p.PresentationHeader, nonMandatory, p.SelectiveIndexes); err != nil {
		return errorf(ErrVerification, "BBS proof: %v", err)
	}
	return nil
}
