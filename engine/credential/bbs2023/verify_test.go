package bbs2023

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// leaves lists the JSON paths of every scalar outside @context and proof.
func leaves(v any, path string, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if path == "" && (k == "@context" || k == "proof") {
				continue
			}
			leaves(e, path+"/"+k, out)
		}
	case []any:
		for i, e := range t {
			leaves(e, fmt.Sprintf("%s/%d", path, i), out)
		}
	default:
		*out = append(*out, path)
	}
}

// tamper changes the scalar at path in a deep copy of doc.
func tamper(t *testing.T, doc map[string]any, path string) map[string]any {
	t.Helper()
	c := cloneJSON(doc).(map[string]any)
	parts, err := parsePointer(path)
	if err != nil {
		t.Fatal(err)
	}
	var parent any = c
	for _, p := range parts[:len(parts)-1] {
		parent, _ = child(parent, p)
	}
	old, _ := child(parent, parts[len(parts)-1])
	var v any
	switch o := old.(type) {
	case string:
		v = o + "x"
	case float64:
		v = o + 1
	default:
		t.Fatalf("%s: unexpected %T", path, old)
	}
	setChild(parent, parts[len(parts)-1], v)
	return c
}

// TestTamperedValues changes every revealed value of the vectors' derived
// documents in turn: each change must fail verification.
func TestTamperedValues(t *testing.T) {
	_, pk := keys(t)
	forExamples(t, func(t *testing.T, e example) {
		var derived map[string]any
		readJSON(t, e.dir+"/derivedRevealDocument.json", &derived)
		if err := Verify(derived, pk); err != nil {
			t.Fatalf("untampered: %v", err)
		}
		var paths []string
		leaves(derived, "", &paths)
		if len(paths) < 5 {
			t.Fatalf("only %d revealed values", len(paths))
		}
		for _, p := range paths {
			t.Run(p, func(t *testing.T) {
				err := Verify(tamper(t, derived, p), pk)
				if err == nil {
					t.Fatal("a tampered revealed value verified")
				}
				if !errors.Is(err, ErrVerification) && !errors.Is(err, ErrInput) {
					t.Fatalf("error %v is neither ErrVerification nor ErrInput", err)
				}
			})
		}
	})
}

func TestVerifyRejects(t *testing.T) {
	var derived map[string]any
	readJSON(t, "wind/derivedRevealDocument.json", &derived)
	_, pk := keys(t)

	mutate := func(f func(d map[string]any)) map[string]any {
		c := cloneJSON(derived).(map[string]any)
		f(c)
		return c
	}
	proof := func(d map[string]any) map[string]any { return d["proof"].(map[string]any) }
	otherSK, err := bbsKeyGen(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		doc  map[string]any
		want error
		pk   bool
	}{
		{"proof created changed", mutate(func(d map[string]any) { proof(d)["created"] = "2024-01-01T00:00:00Z" }), ErrVerification, true},
		{"revealed statement removed", mutate(func(d map[string]any) {
			delete(d["credentialSubject"].(map[string]any), "sailNumber")
		}), ErrVerification, true},
		{"statement added", mutate(func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["extra"] = "x"
		}), ErrVerification, true},
		{"other issuer key", derived, ErrVerification, false},
		{"no proof", mutate(func(d map[string]any) { delete(d, "proof") }), ErrInput, true},
		{"other cryptosuite", mutate(func(d map[string]any) { proof(d)["cryptosuite"] = "ecdsa-sd-2023" }), ErrInput, true},
		{"base proof value", mutate(func(d map[string]any) {
			var s map[string]any
			readJSON(t, "wind/addSignedSDBase.json", &s)
			proof(d)["proofValue"] = proof(s)["proofValue"]
		}), ErrEncoding, true},
		{"unserved context", mutate(func(d map[string]any) {
			d["@context"] = []any{"https://www.w3.org/ns/credentials/v2", "https://example.com/ctx"}
		}), ErrInput, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := pk
			if !c.pk {
				key = otherSK.PublicKey()
			}
			err := Verify(c.doc, key)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestVerifyBaseRejects(t *testing.T) {
	var signed map[string]any
	readJSON(t, "wind/addSignedSDBase.json", &signed)
	_, pk := keys(t)
	other, err := bbsKeyGen(t)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	leaves(signed, "", &paths)
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			if err := VerifyBase(tamper(t, signed, p), pk); !errors.Is(err, ErrVerification) && !errors.Is(err, ErrInput) {
				t.Fatalf("tampered base document: got %v", err)
			}
		})
	}
	if err := VerifyBase(signed, other.PublicKey()); !errors.Is(err, ErrVerification) {
		t.Fatalf("other key: got %v", err)
	}
}

func TestDeriveErrors(t *testing.T) {
	var signed map[string]any
	readJSON(t, "wind/addSignedSDBase.json", &signed)
	for _, c := range []struct {
		name     string
		pointers []string
		want     string
	}{
		{"no such path", []string{"/credentialSubject/nope"}, "does not match"},
		{"index out of range", []string{"/credentialSubject/sails/9"}, "does not match"},
		{"not a pointer", []string{"credentialSubject"}, "must start with '/'"},
		{"through a scalar", []string{"/issuer/x"}, "does not match"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Derive(signed, c.pointers, nil)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrInput containing %q", err, c.want)
			}
		})
	}
}

func TestStatementBound(t *testing.T) {
	many := make([]any, MaxStatements+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	doc := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2", map[string]any{"@vocab": "https://example.org/v#"}},
		"type":              []any{"VerifiableCredential"},
		"issuer":            "https://example.org/i",
		"credentialSubject": map[string]any{"tag": many},
	}
	sk, _ := bbsKeyGen(t)
	_, err := Sign(doc, ProofOptions{VerificationMethod: "https://example.org/i#k", ProofPurpose: "assertionMethod"}, sk, make([]byte, 32), []string{"/issuer"})
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "JSON values") {
		t.Fatalf("got %v, want ErrInput naming the size bound", err)
	}
}

// TestDerivedProofsRandomized: two derived proofs of one credential and
// one disclosure carry BBS proofs that share no 8-byte run (each point
// and scalar is freshly randomized). The label map and indexes are equal
// by construction: see doc.go on what that links.
func TestDerivedProofsRandomized(t *testing.T) {
	var signed map[string]any
	readJSON(t, "wind/addSignedSDBase.json", &signed)
	var selective []string
	readJSON(t, "wind/windSelective.json", &selective)
	var proofs [2]DerivedProof
	for i := range proofs {
		d, err := Derive(signed, selective, []byte("same nonce"))
		if err != nil {
			t.Fatal(err)
		}
		proofs[i], err = ParseDerivedProof(d["proof"].(map[string]any)["proofValue"].(string))
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b := proofs[0].Proof, proofs[1].Proof
	seen := map[string]bool{}
	for i := 0; i+8 <= len(a); i++ {
		seen[string(a[i:i+8])] = true
	}
	for i := 0; i+8 <= len(b); i++ {
		if seen[string(b[i:i+8])] {
			t.Fatalf("the two BBS proofs share the 8 bytes %x", b[i:i+8])
		}
	}
}

// TestCanonicalizationWorkBound: blank nodes that only their position
// tells apart, connected to one another, make RDFC-1.0 factorial (a
// clique of 8 took 16 s with json-gold, one of 6 0.24 s). Such a document
// is refused before canonicalization; identical objects in an array
// (ambiguous but unconnected) are not.
func TestCanonicalizationWorkBound(t *testing.T) {
	clique := func(n int) map[string]any {
		nodes := make([]any, n)
		for i := range nodes {
			var links []any
			for j := 0; j < n; j++ {
				if j != i {
					links = append(links, map[string]any{"id": fmt.Sprintf("_:n%d", j)})
				}
			}
			nodes[i] = map[string]any{"id": fmt.Sprintf("_:n%d", i), "knows": links}
		}
		return map[string]any{
			"@context":          []any{"https://www.w3.org/ns/credentials/v2", map[string]any{"@vocab": "https://example.org/v#"}},
			"type":              []any{"VerifiableCredential"},
			"issuer":            "https://example.org/i",
			"credentialSubject": map[string]any{"nodes": nodes},
		}
	}
	same := make([]any, 20)
	for i := range same {
		same[i] = map[string]any{"value": "0.9"}
	}
	siblings := clique(0)
	siblings["credentialSubject"] = map[string]any{"scores": same}
	sk, _ := bbsKeyGen(t)
	o := ProofOptions{VerificationMethod: "https://example.org/i#k", ProofPurpose: "assertionMethod"}
	for _, c := range []struct {
		name string
		doc  map[string]any
		ok   bool
	}{
		{"clique of 4", clique(4), true},
		{"clique of 7", clique(7), false},
		{"clique of 12", clique(12), false},
		{"20 identical siblings", siblings, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Sign(c.doc, o, sk, make([]byte, 32), []string{"/issuer"})
			if c.ok && err != nil {
				t.Fatal(err)
			}
			if !c.ok && (!errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "connected blank nodes")) {
				t.Fatalf("got %v, want ErrInput naming the connected blank nodes", err)
			}
		})
	}
}

// TestDroppedTermRefused: a property that does not expand to an IRI
// would be dropped from the RDF, and so signed by nothing; safe mode
// makes it an error instead.
func TestDroppedTermRefused(t *testing.T) {
	doc := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2", map[string]any{"@vocab": nil}},
		"type":              []any{"VerifiableCredential"},
		"issuer":            "https://example.org/i",
		"credentialSubject": map[string]any{"unmapped": "x"},
	}
	sk, _ := bbsKeyGen(t)
	_, err := Sign(doc, ProofOptions{VerificationMethod: "https://example.org/i#k", ProofPurpose: "assertionMethod"}, sk, make([]byte, 32), []string{"/issuer"})
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "Dropping property") {
		t.Fatalf("got %v, want ErrInput about the dropped property", err)
	}
}
