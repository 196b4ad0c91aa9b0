package bbs2023

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readJSON(t *testing.T, path string, v any) {
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

func TestCanonicalizeVectors(t *testing.T) {
	var doc map[string]any
	readJSON(t, "wind/windDoc.json", &doc)
	var want []string
	readJSON(t, "wind/addBaseDocCanon.json", &want)
	got, err := canonicalNQuads(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RDFC-1.0:\n got %q\nwant %q", got, want)
	}
}

func TestGroupVectors(t *testing.T) {
	var doc map[string]any
	readJSON(t, "wind/windDoc.json", &doc)
	var mandatory []string
	readJSON(t, "wind/windMandatory.json", &mandatory)
	var wantHMAC []string
	readJSON(t, "wind/addBaseDocHMACCanon.json", &wantHMAC)
	var tr struct {
		Mandatory, NonMandatory struct{ Value [][2]json.RawMessage }
	}
	readJSON(t, "wind/addBaseTransform.json", &tr)
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
