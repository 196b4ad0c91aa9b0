package bbs2023

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"github.com/verdictlab/verdict/engine/credential/bbs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func hmacKey(t *testing.T) []byte {
	var km struct{ HmacKeyString string }
	readJSON(t, "BBSKeyMaterial.json", &km)
	k, err := hex.DecodeString(km.HmacKeyString)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// example is one of the W3C vectors' credentials.
type example struct{ dir, doc, mandatory, selective string }

var examples = []example{
	{"wind", "windDoc.json", "windMandatory.json", "windSelective.json"},
	// prCredUnsigned.json's description ("Government of Utopia Permanent
	// Resident Card.") is not the one every later prc vector was computed
	// over ("Permanent Resident Card from Government of Utopia.", in
	// addBaseDocCanon.json and addSignedSDBase.json): the unsigned
	// credential is addSignedSDBase.json without its proof.
	{"prc", "addSignedSDBase.json", "prCredMandatory.json", "prCredSelective.json"},
}

func (e example) read(t *testing.T) (doc map[string]any, mandatory, selective []string) {
	t.Helper()
	readJSON(t, e.dir+"/"+e.doc, &doc)
	delete(doc, "proof")
	readJSON(t, e.dir+"/"+e.mandatory, &mandatory)
	readJSON(t, e.dir+"/"+e.selective, &selective)
	return doc, mandatory, selective
}

func forExamples(t *testing.T, f func(t *testing.T, e example)) {
	for _, e := range examples {
		t.Run(e.dir, func(t *testing.T) { f(t, e) })
	}
}

func TestCanonicalizeVectors(t *testing.T) { forExamples(t, testCanonicalize) }
func TestGroupVectors(t *testing.T)        { forExamples(t, testGroup) }
func TestBaseProofVectors(t *testing.T)    { forExamples(t, testBaseProof) }
func TestDerivedVectors(t *testing.T)      { forExamples(t, testDerived) }

func testCanonicalize(t *testing.T, e example) {
	doc, _, _ := e.read(t)
	var want []string
	readJSON(t, e.dir+"/addBaseDocCanon.json", &want)
	got, err := canonicalNQuads(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RDFC-1.0:\n got %q\nwant %q", got, want)
	}
}

func testGroup(t *testing.T, e example) {
	doc, mandatory, _ := e.read(t)
	var wantHMAC []string
	readJSON(t, e.dir+"/addBaseDocHMACCanon.json", &wantHMAC)
	var tr struct {
		Mandatory, NonMandatory struct{ Value [][2]json.RawMessage }
	}
	readJSON(t, e.dir+"/addBaseTransform.json", &tr)
	g, err := canonicalizeAndGroup(doc, shuffledLabels(hmacKey(t)), map[string][]string{"mandatory": mandatory})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.nquads, wantHMAC) {
		t.Errorf("HMAC relabelled N-Quads:\n got %q\nwant %q", g.nquads, wantHMAC)
	}
	check := func(name string, idx []int, want [][2]json.RawMessage) {
		var wi []int
		for _, kv := range want {
			var i int
			var q string
			json.Unmarshal(kv[0], &i)
			json.Unmarshal(kv[1], &q)
			wi = append(wi, i)
			if g.nquads[i] != q {
				t.Errorf("%s[%d]: got %q want %q", name, i, g.nquads[i], q)
			}
		}
		if !reflect.DeepEqual(idx, wi) {
			t.Errorf("%s indexes: got %v want %v", name, idx, wi)
		}
	}
	check("mandatory", g.groups["mandatory"].matching, tr.Mandatory.Value)
	check("nonMandatory", g.groups["mandatory"].nonMatching, tr.NonMandatory.Value)
}

func keys(t *testing.T) (bbs.SecretKey, bbs.PublicKey) {
	t.Helper()
	var km struct{ PublicKeyHex, PrivateKeyHex string }
	readJSON(t, "BBSKeyMaterial.json", &km)
	skb, _ := hex.DecodeString(km.PrivateKeyHex)
	pkb, _ := hex.DecodeString(km.PublicKeyHex)
	sk, err := bbs.ParseSecretKey(skb)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := bbs.ParsePublicKey(pkb)
	if err != nil {
		t.Fatal(err)
	}
	return sk, pk
}

func proofOptions(t *testing.T, e example) ProofOptions {
	var pc struct{ Created, VerificationMethod, ProofPurpose string }
	readJSON(t, e.dir+"/addProofConfig.json", &pc)
	return ProofOptions{Created: pc.Created, VerificationMethod: pc.VerificationMethod, ProofPurpose: pc.ProofPurpose}
}

func testBaseProof(t *testing.T, e example) {
	doc, mandatory, _ := e.read(t)
	sk, _ := keys(t)
	o := proofOptions(t, e)

	wantCanon, err := os.ReadFile("testdata/" + e.dir + "/addProofConfigCanon.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := canonicalNQuads(proofConfig(doc, proofMap(o)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, ""); strings.TrimSpace(got) != strings.TrimSpace(string(wantCanon)) {
		t.Errorf("proof config canonical form:\n got %q\nwant %q", got, wantCanon)
	}

	var hd struct{ ProofHash, MandatoryHash string }
	readJSON(t, e.dir+"/addHashData.json", &hd)
	d, err := transformBase(doc, proofMap(o), hmacKey(t), mandatory)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(d.proofHash); got != hd.ProofHash {
		t.Errorf("proofHash: got %s want %s", got, hd.ProofHash)
	}
	if got := hex.EncodeToString(d.mandatoryHash); got != hd.MandatoryHash {
		t.Errorf("mandatoryHash: got %s want %s", got, hd.MandatoryHash)
	}

	before := cloneJSON(doc)
	signed, err := Sign(doc, o, sk, hmacKey(t), mandatory)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, before) {
		t.Error("Sign changed its input document")
	}
	var want map[string]any
	readJSON(t, e.dir+"/addSignedSDBase.json", &want)
	if got, want := signed["proof"].(map[string]any)["proofValue"], want["proof"].(map[string]any)["proofValue"]; got != want {
		t.Errorf("base proofValue:\n got %s\nwant %s", got, want)
	}
	if !reflect.DeepEqual(signed, want) {
		t.Errorf("signed document differs from addSignedSDBase.json")
	}
	_, pk := keys(t)
	if err := VerifyBase(want, pk); err != nil {
		t.Errorf("VerifyBase of addSignedSDBase.json: %v", err)
	}
}

func testDerived(t *testing.T, e example) {
	var signed map[string]any
	readJSON(t, e.dir+"/addSignedSDBase.json", &signed)
	_, _, selective := e.read(t)
	var dm struct{ PresentationHeaderHex string }
	readJSON(t, "BBSDeriveMaterial.json", &dm)
	ph, _ := hex.DecodeString(dm.PresentationHeaderHex)
	_, pk := keys(t)

	d, err := createDisclosureData(signed, selective, ph, bbs.ProofGen)
	if err != nil {
		t.Fatal(err)
	}
	var gi struct{ CombinedIndexes, MandatoryIndexes, NonMandatoryIndexes, SelectiveIndexes []int }
	readJSON(t, e.dir+"/derivedGroupIndexes.json", &gi)
	for _, c := range []struct {
		name      string
		got, want []int
	}{
		{"combinedIndexes", d.combined, gi.CombinedIndexes},
		{"mandatoryIndexes", d.mandatory, gi.MandatoryIndexes},
		{"nonMandatoryIndexes", d.nonMand, gi.NonMandatoryIndexes},
		{"selectiveIndexes", d.selective, gi.SelectiveIndexes},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v want %v", c.name, c.got, c.want)
		}
	}
	var ai struct{ AdjMandatoryIndexes, AdjSelectiveIndexes []int }
	readJSON(t, e.dir+"/derivedAdjIndexes.json", &ai)
	if !reflect.DeepEqual(d.mandatoryIndexes, ai.AdjMandatoryIndexes) || !reflect.DeepEqual(d.selectiveIndexes, ai.AdjSelectiveIndexes) {
		t.Errorf("adjusted indexes: got %v %v want %v %v", d.mandatoryIndexes, d.selectiveIndexes, ai.AdjMandatoryIndexes, ai.AdjSelectiveIndexes)
	}
	var dd struct {
		LabelMap struct{ Value [][2]string }
	}
	readJSON(t, e.dir+"/derivedDisclosureData.json", &dd)
	wantLM := map[int]int{}
	for _, kv := range dd.LabelMap.Value {
		k, _ := labelNumber(kv[0], "c14n")
		v, _ := labelNumber(kv[1], "b")
		wantLM[k] = v
	}
	if !reflect.DeepEqual(d.labelMap, wantLM) {
		t.Errorf("labelMap: got %v want %v", d.labelMap, wantLM)
	}
	var wantReveal map[string]any
	readJSON(t, e.dir+"/derivedRevealDocument.json", &wantReveal)
	delete(wantReveal, "proof")
	if !reflect.DeepEqual(d.revealDocument, wantReveal) {
		got, _ := json.Marshal(d.revealDocument)
		t.Errorf("reveal document: got %s", got)
	}

	// The vectors' derived document verifies, and fails once any revealed
	// value is changed.
	var derived map[string]any
	readJSON(t, e.dir+"/derivedRevealDocument.json", &derived)
	if err := Verify(derived, pk); err != nil {
		t.Errorf("Verify of the vectors' derived document: %v", err)
	}
	// The vectors' derived proof value decodes to their disclosure data.
	p, err := ParseDerivedProof(derived["proof"].(map[string]any)["proofValue"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var ddp struct{ BbsProof string }
	readJSON(t, e.dir+"/derivedDisclosureData.json", &ddp)
	if hex.EncodeToString(p.Proof) != ddp.BbsProof || !reflect.DeepEqual(p.LabelMap, wantLM) ||
		!reflect.DeepEqual(p.MandatoryIndexes, ai.AdjMandatoryIndexes) || !reflect.DeepEqual(p.SelectiveIndexes, ai.AdjSelectiveIndexes) ||
		!bytes.Equal(p.PresentationHeader, ph) {
		t.Errorf("derived proofValue decodes to %+v", p)
	}
	// Re-encoding their disclosure data gives their proofValue.
	if pv, err := p.Encode(); err != nil || pv != derived["proof"].(map[string]any)["proofValue"] {
		t.Errorf("re-encoded derived proofValue differs: %v", err)
	}

	// Our own derived document verifies too, and deriving leaves the
	// signed document as it was.
	before := cloneJSON(signed)
	ours, err := Derive(signed, selective, ph)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(signed, before) {
		t.Error("Derive changed its input document")
	}
	if err := Verify(ours, pk); err != nil {
		t.Errorf("Verify of our derived document: %v", err)
	}
}

func bbsKeyGen(testing.TB) (bbs.SecretKey, error) {
	return bbs.KeyGen(bytes.Repeat([]byte{7}, 32), nil, nil)
}

// TestPointerValues: the spec's illustration of what the mandatory
// pointers select in the credential subject (addPointerValues.json).
func TestPointerValues(t *testing.T) {
	var doc map[string]any
	readJSON(t, "wind/windDoc.json", &doc)
	var want []struct {
		Pointer string
		Value   any
	}
	readJSON(t, "wind/addPointerValues.json", &want)
	subject := doc["credentialSubject"].(map[string]any)
	for _, w := range want {
		parts, err := parsePointer(w.Pointer)
		if err != nil {
			t.Fatal(err)
		}
		var got any = subject
		for _, p := range parts {
			var ok bool
			if got, ok = child(got, p); !ok {
				t.Fatalf("%s: no value", w.Pointer)
			}
		}
		if !reflect.DeepEqual(got, w.Value) {
			t.Errorf("%s: got %v want %v", w.Pointer, got, w.Value)
		}
	}
}

// TestVerifyVectors: the verifier's intermediates. The base proof value
// decodes to derivedRecoveredBaseData.json (both examples); for prc, the
// derived proof value decodes to verifyDerivedProofValue.json and the
// relabelled N-Quads of the revealed document are verifyNQuads.json.
func TestVerifyVectors(t *testing.T) {
	forExamples(t, func(t *testing.T, e example) {
		var signed map[string]any
		readJSON(t, e.dir+"/addSignedSDBase.json", &signed)
		base, err := ParseBaseProof(signed["proof"].(map[string]any)["proofValue"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			BbsSignature, HmacKey string
			MandatoryPointers     []string
		}
		readJSON(t, e.dir+"/derivedRecoveredBaseData.json", &rec)
		if hex.EncodeToString(base.Signature) != rec.BbsSignature || hex.EncodeToString(base.HMACKey) != rec.HmacKey ||
			!reflect.DeepEqual(base.MandatoryPointers, rec.MandatoryPointers) {
			t.Errorf("base proof value decodes to %x %x %v, want %+v", base.Signature, base.HMACKey, base.MandatoryPointers, rec)
		}
		if e.dir != "prc" {
			return
		}
		var derived map[string]any
		readJSON(t, e.dir+"/derivedRevealDocument.json", &derived)
		d, err := createVerifyData(derived)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		readJSON(t, e.dir+"/verifyNQuads.json", &want)
		if !reflect.DeepEqual(d.nquads, want) {
			t.Errorf("verify N-Quads:\n got %q\nwant %q", d.nquads, want)
		}
		var vp struct {
			BbsProof           string
			LabelMap           [][2]string
			MandatoryIndexes   []int
			AdjSelectedIndexes []int
		}
		readJSON(t, e.dir+"/verifyDerivedProofValue.json", &vp)
		lm := map[int]int{}
		for _, kv := range vp.LabelMap {
			k, _ := labelNumber(kv[0], "c14n")
			v, _ := labelNumber(kv[1], "b")
			lm[k] = v
		}
		if hex.EncodeToString(d.p.Proof) != vp.BbsProof || !reflect.DeepEqual(d.p.LabelMap, lm) ||
			!reflect.DeepEqual(d.p.MandatoryIndexes, vp.MandatoryIndexes) || !reflect.DeepEqual(d.p.SelectiveIndexes, vp.AdjSelectedIndexes) {
			t.Errorf("derived proof value decodes to %+v, want %+v", d.p, vp)
		}
	})
}
