package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine/credential/bbs2023"
)

// bbsCredential is revocableCredential with its thresholds, as the engine
// issues it.
func bbsCredential() ModelCredential {
	c := revocableCredential()
	c.Subject.Thresholds = NewThresholds(c.Subject.Scores.Private.Value, true, c.Subject.Rank)
	return c
}

var testHMACKey = bytes.Repeat([]byte{0x5a}, 32)

func signBBS(t testing.TB) []byte {
	t.Helper()
	signed, err := bbsCredential().SignWithBBS(vectorKey(t), w3cBBSKey(t), testHMACKey)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// derivedOpts verifies against the test keys, at the issue time, with
// the test status list (bit 94567 clear unless revoked).
func derivedOpts(t testing.TB, revoked bool) DerivedOptions {
	k := vectorKey(t)
	list, _ := NewStatusList(0)
	if revoked {
		_ = list.Set(94567, true)
	}
	sl, err := IssueStatusList(testListURL, list, k, testIssued)
	if err != nil {
		t.Fatal(err)
	}
	return DerivedOptions{
		Issuer: k.DID(), BBSKey: w3cBBSKey(t).DID(), Now: testIssued.AddDate(0, 1, 0),
		StatusList: statusServer(map[string][]byte{testListURL: sl}),
	}
}

func TestSignWithBBS(t *testing.T) {
	signed := signBBS(t)
	golden(t, "bbs.json", signed)
	kinds, err := Kinds(signed)
	if err != nil || fmt.Sprint(kinds) != "[eddsa-jcs-2022 bbs-2023 base]" {
		t.Fatalf("Kinds: got %v, %v; want [eddsa-jcs-2022 bbs-2023 base]", kinds, err)
	}
	res, err := VerifyModel(context.Background(), signed, VerifyOptions{Issuer: vectorKey(t).DID(), Now: testIssued.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatalf("VerifyModel: %v", err)
	}
	if len(res.Proof.BBS) != 1 || res.Proof.BBS[0] != w3cBBSKey(t).VerificationMethod() {
		t.Errorf("BBS proofs verified: got %v, want the host's BBS key", res.Proof.BBS)
	}
	if got := res.Credential.Subject.Thresholds.ScoreAtLeast; fmt.Sprint(got) != "[0.50 0.60 0.70 0.75 0.80 0.85 0.90]" {
		t.Errorf("scoreAtLeast: got %v", got)
	}

	// The eddsa proof of the set is the one Sign makes alone: a verifier
	// that knows only eddsa-jcs-2022 sees the same proof.
	alone, err := bbsCredential().Sign(vectorKey(t))
	if err != nil {
		t.Fatal(err)
	}
	var a, s struct{ Proof json.RawMessage }
	var set []json.RawMessage
	if json.Unmarshal(alone, &a) != nil || json.Unmarshal(signed, &s) != nil || json.Unmarshal(s.Proof, &set) != nil {
		t.Fatal("decode proofs")
	}
	if !jsonEqual(t, a.Proof, set[0]) {
		t.Errorf("eddsa proof in the set:\n%s\nwant the one Sign makes:\n%s", set[0], a.Proof)
	}

	t.Run("ErrBadSignature/bbs proof", func(t *testing.T) {
		var doc map[string]any
		_ = json.Unmarshal(signed, &doc)
		other, err := bbsCredential().SignWithBBS(vectorKey(t), w3cBBSKey(t), bytes.Repeat([]byte{1}, 32))
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		_ = json.Unmarshal(other, &o)
		// A base proof over another document (a different HMAC key)
		// spliced into the set.
		bad := doc["proof"].([]any)
		bad[1].(map[string]any)["proofValue"] = o["proof"].([]any)[1].(map[string]any)["proofValue"]
		c := bbsCredential()
		c.Subject.Rank = 2
		c.Subject.Thresholds = NewThresholds(0.9312, true, 2)
		other, _ = c.SignWithBBS(vectorKey(t), w3cBBSKey(t), testHMACKey)
		_ = json.Unmarshal(other, &o)
		bad[1].(map[string]any)["proofValue"] = o["proof"].([]any)[1].(map[string]any)["proofValue"]
		b, _ := json.Marshal(doc)
		if _, err := Verify(b, nil); !errors.Is(err, ErrBadSignature) {
			t.Errorf("got %v, want %v", err, ErrBadSignature)
		}
	})
	t.Run("ErrNoProof/two bbs base", func(t *testing.T) {
		// Copies of a valid base proof appended to the set: each would be
		// verified (canonicalization and pairings) for anyone who asks.
		var doc map[string]any
		_ = json.Unmarshal(signed, &doc)
		set := doc["proof"].([]any)
		doc["proof"] = []any{set[0], set[1], set[1]}
		b, _ := json.Marshal(doc)
		if _, err := Verify(b, nil); !errors.Is(err, ErrNoProof) {
			t.Errorf("got %v, want %v", err, ErrNoProof)
		}
	})
	t.Run("ErrNoProof/two eddsa", func(t *testing.T) {
		var doc map[string]any
		_ = json.Unmarshal(signed, &doc)
		set := doc["proof"].([]any)
		doc["proof"] = []any{set[0], set[0]}
		b, _ := json.Marshal(doc)
		if _, err := Verify(b, nil); !errors.Is(err, ErrNoProof) {
			t.Errorf("got %v, want %v", err, ErrNoProof)
		}
	})
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatal("decode JSON")
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func TestDeriveVerify(t *testing.T) {
	signed := signBBS(t)
	ctx := context.Background()
	derived, err := Derive(signed, []string{"/credentialSubject/scoreAtLeast/6", "/credentialSubject/task/metric"}, []byte("challenge-1"))
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	t.Logf("%s", derived)
	kinds, _ := Kinds(derived)
	if fmt.Sprint(kinds) != "[bbs-2023 derived]" {
		t.Errorf("Kinds: got %v", kinds)
	}
	for _, hidden := range []string{testAuthorID, "rank", "scores", "0.9312", "gates", "datasetHash"} {
		if bytes.Contains(derived, []byte(hidden)) {
			t.Errorf("derived credential shows %q", hidden)
		}
	}
	opts := derivedOpts(t, false)
	opts.Nonce = []byte("challenge-1")
	res, err := VerifyDerived(ctx, derived, opts)
	if err != nil {
		t.Fatalf("VerifyDerived: %v", err)
	}
	if !res.StatusChecked || res.Issuer != vectorKey(t).DID() || fmt.Sprint(res.Subject["scoreAtLeast"]) != "[0.90]" {
		t.Errorf("got %+v", res)
	}
	if _, ok := res.Subject["author"]; ok {
		t.Error("author revealed")
	}

	t.Run("ErrRevoked", func(t *testing.T) {
		if _, err := VerifyDerived(ctx, derived, derivedOpts(t, true)); !errors.Is(err, ErrRevoked) {
			t.Errorf("got %v, want %v", err, ErrRevoked)
		}
	})
	// VerifyDerived binds the key by checkBBSBinding, VerifyCredential's
	// rule: no key known is ErrBBSKeyUnknown, another key ErrIssuerMismatch.
	t.Run("ErrBBSKeyUnknown/unbound BBS key", func(t *testing.T) {
		o := derivedOpts(t, false)
		o.BBSKey = ""
		if _, err := VerifyDerived(ctx, derived, o); !errors.Is(err, ErrBBSKeyUnknown) {
			t.Errorf("got %v, want %v", err, ErrBBSKeyUnknown)
		}
	})
	t.Run("ErrIssuerMismatch/another BBS key", func(t *testing.T) {
		other, err := GenerateBBSKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
		if err != nil {
			t.Fatal(err)
		}
		o := derivedOpts(t, false)
		o.BBSKey = other.DID()
		_, err = VerifyDerived(ctx, derived, o)
		if !errors.Is(err, ErrIssuerMismatch) || !strings.Contains(err.Error(), "but the BBS key of issuer") {
			t.Errorf("got %v, want %v with checkBBSBinding's message", err, ErrIssuerMismatch)
		}
	})
	t.Run("ErrBadSignature/nonce", func(t *testing.T) {
		o := derivedOpts(t, false)
		o.Nonce = []byte("challenge-2")
		if _, err := VerifyDerived(ctx, derived, o); !errors.Is(err, ErrBadSignature) {
			t.Errorf("got %v, want %v", err, ErrBadSignature)
		}
	})
	t.Run("ErrDisclosure/pointer", func(t *testing.T) {
		if _, err := Derive(signed, []string{"/credentialSubject/nothing"}, nil); !errors.Is(err, ErrDisclosure) {
			t.Errorf("got %v, want %v", err, ErrDisclosure)
		}
	})
	t.Run("ErrDisclosure/eddsa only", func(t *testing.T) {
		alone, _ := bbsCredential().Sign(vectorKey(t))
		if _, err := Derive(alone, nil, nil); !errors.Is(err, ErrDisclosure) {
			t.Errorf("got %v, want %v", err, ErrDisclosure)
		}
	})
	if strings.Contains(string(derived), "eddsa") {
		t.Error("derived credential keeps the eddsa proof")
	}
}

// pointerLeaves lists the JSON pointers of v's scalar values under prefix.
func pointerLeaves(v any, prefix string) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for k, c := range v {
			out = append(out, pointerLeaves(c, prefix+"/"+k)...)
		}
		return out
	case []any:
		var out []string
		for i, c := range v {
			out = append(out, pointerLeaves(c, fmt.Sprintf("%s/%d", prefix, i))...)
		}
		return out
	}
	return []string{prefix}
}

// revealedIndex is where element p of an array is in a derived document
// that reveals only it: a derived document compacts arrays.
func revealedIndex(p string, n int) int {
	var i int
	fmt.Sscan(p, &i)
	if i >= n {
		return n - 1
	}
	return i
}

// tamper changes the scalar at pointer in doc.
func tamper(t *testing.T, doc map[string]any, pointer string) {
	t.Helper()
	parts := strings.Split(pointer, "/")[1:]
	var cur any = doc
	for _, p := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			cur = c[revealedIndex(p, len(c))]
		}
	}
	last := parts[len(parts)-1]
	change := func(v any) any {
		switch v := v.(type) {
		case string:
			return v + "x"
		case float64:
			return v + 1
		case bool:
			return !v
		}
		t.Fatalf("%s: cannot change %T", pointer, v)
		return nil
	}
	switch c := cur.(type) {
	case map[string]any:
		if _, ok := c[last]; !ok {
			t.Fatalf("%s: not in the derived document", pointer)
		}
		c[last] = change(c[last])
	case []any:
		i := revealedIndex(last, len(c))
		c[i] = change(c[i])
	default:
		t.Fatalf("%s: parent is %T", pointer, cur)
	}
}

// TestDisclosureCoversEveryField: every claim of a model credential is
// signed by the bbs-2023 proof. A term JSON-LD expansion dropped would be
// silently unsigned, so for each scalar of the credential (subject,
// status, issuer, dates) a derived proof that reveals it is made, the
// value is changed, and verification must fail.
func TestDisclosureCoversEveryField(t *testing.T) {
	signed := signBBS(t)
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "proof")
	pointers := pointerLeaves(doc, "")
	if len(pointers) < 40 {
		t.Fatalf("got %d leaves, want the whole credential", len(pointers))
	}
	ctx := context.Background()
	for _, p := range pointers {
		if strings.HasPrefix(p, "/@context") {
			continue
		}
		t.Run(p, func(t *testing.T) {
			if testing.Short() && !strings.HasSuffix(p, "/0") && strings.Count(p, "/") > 3 {
				t.Skip("-short: one pointer per list")
			}
			reveal := p
			derived, err := Derive(signed, []string{reveal}, nil)
			if err != nil {
				t.Fatalf("Derive(%s): %v", reveal, err)
			}
			if _, err := VerifyDerived(ctx, derived, derivedOpts(t, false)); err != nil {
				t.Fatalf("untampered: %v", err)
			}
			var d map[string]any
			if err := json.Unmarshal(derived, &d); err != nil {
				t.Fatal(err)
			}
			tamper(t, d, p)
			b, _ := json.Marshal(d)
			_, err = VerifyDerived(ctx, b, derivedOpts(t, false))
			// A changed type no longer expands: refused before any
			// signature is checked.
			if !errors.Is(err, ErrBadSignature) && !(strings.HasSuffix(p, "type") || strings.Contains(p, "/type/")) {
				t.Errorf("changed %s: got %v, want %v", p, err, ErrBadSignature)
			}
			if err == nil {
				t.Errorf("changed %s: verified", p)
			}
		})
	}
}

// TestDerivedUnlinkable: two disclosures of one credential, revealing the
// same claims under the same nonce, share no run of 16 bytes in their BBS
// proofs, nor between one's proof and anything of the other document: the
// only common bytes are the revealed claims and the disclosure's public
// structure (which statements are revealed: the indexes and label map,
// equal because the disclosure is).
func TestDerivedUnlinkable(t *testing.T) {
	signed := signBBS(t)
	const window = 16
	var proofs [2][]byte
	var docs [2][]byte
	var rest [2]string
	for i := range proofs {
		d, err := Derive(signed, benchReveal, []byte("same nonce"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Proof struct {
				ProofValue string `json:"proofValue"`
			} `json:"proof"`
		}
		if err := json.Unmarshal(d, &doc); err != nil {
			t.Fatal(err)
		}
		p, err := bbs2023.ParseDerivedProof(doc.Proof.ProofValue)
		if err != nil {
			t.Fatal(err)
		}
		proofs[i], docs[i] = p.Proof, d
		rest[i] = fmt.Sprint(p.LabelMap, p.MandatoryIndexes, p.SelectiveIndexes, p.PresentationHeader)
		// The documents without their proof values are the revealed
		// claims, the same in both.
		docs[i] = bytes.Replace(d, []byte(doc.Proof.ProofValue), nil, 1)
	}
	if len(proofs[0]) < 200 {
		t.Fatalf("BBS proof of %d bytes", len(proofs[0]))
	}
	if !bytes.Equal(docs[0], docs[1]) || rest[0] != rest[1] {
		t.Fatalf("the two disclosures reveal different things")
	}
	for i := 0; i+window <= len(proofs[0]); i++ {
		w := proofs[0][i : i+window]
		if bytes.Contains(proofs[1], w) || bytes.Contains(docs[1], w) {
			t.Fatalf("bytes %d..%d of the first proof (%x) appear in the second disclosure", i, i+window, w)
		}
	}
	// Another credential of the same author (another model, id and HMAC
	// key), author hidden: its disclosure's proof shares nothing with
	// the first either.
	c := bbsCredential()
	c.ID = "urn:uuid:0b2c4d6e-8f10-4a2b-9c3d-5e7f9a1b3c5d"
	c.Subject.Model[0] ^= 1
	other, err := c.SignWithBBS(vectorKey(t), w3cBBSKey(t), bytes.Repeat([]byte{0x17}, 32))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Derive(other, benchReveal, []byte("same nonce"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(d, []byte(testAuthorID)) {
		t.Fatal("author revealed")
	}
	var od struct {
		Proof struct {
			ProofValue string `json:"proofValue"`
		} `json:"proof"`
	}
	if err := json.Unmarshal(d, &od); err != nil {
		t.Fatal(err)
	}
	op, err := bbs2023.ParseDerivedProof(od.Proof.ProofValue)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+window <= len(proofs[0]); i++ {
		if w := proofs[0][i : i+window]; bytes.Contains(op.Proof, w) {
			t.Fatalf("bytes %d..%d of the first proof appear in a disclosure of another credential", i, i+window)
		}
	}
	// And the assertion can fail: a proof shares its windows with itself.
	if !bytes.Contains(proofs[0], proofs[0][40:40+window]) {
		t.Fatal("window check is vacuous")
	}
}

// TestVerifyModelBBSBinding: a full credential's bbs-2023 base proof must
// be by the BBS key bound to its issuer when the verifier knows it
// (VerifyOptions.BBSKey), by checkBBSBinding's rule; a proof set whose
// base proof another BLS key made is refused, naming both keys.
func TestVerifyModelBBSBinding(t *testing.T) {
	ctx := context.Background()
	other, err := GenerateBBSKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	resigned, err := bbsCredential().SignWithBBS(vectorKey(t), other, testHMACKey)
	if err != nil {
		t.Fatal(err)
	}
	at := testIssued.AddDate(0, 1, 0)
	tests := []struct {
		name   string
		signed []byte
		bbsKey string
		want   error
	}{
		{"BoundKey", signBBS(t), w3cBBSKey(t).DID(), nil},
		{"NoKeyKnown", resigned, "", nil},
		{"ErrIssuerMismatch", resigned, w3cBBSKey(t).DID(), ErrIssuerMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyModel(ctx, tc.signed, VerifyOptions{Issuer: vectorKey(t).DID(), BBSKey: tc.bbsKey, Now: at})
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil && (!strings.Contains(err.Error(), other.DID()) || !strings.Contains(err.Error(), w3cBBSKey(t).DID())) {
				t.Errorf("the refusal does not name both keys: %v", err)
			}
		})
	}
}
