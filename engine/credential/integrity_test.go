package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential/internal/jcs"
)

// vectorKey returns the key pair of the W3C test vectors.
func vectorKey(t testing.TB) KeyPair {
	t.Helper()
	var kp struct{ PublicKeyMultibase, PrivateKeyMultibase string }
	if err := json.Unmarshal(readFile(t, "testdata/keyPair.json"), &kp); err != nil {
		t.Fatal(err)
	}
	k, err := ParseSecretKeyMultibase(kp.PrivateKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	if got := PublicKeyMultibase(k.PublicKey()); got != kp.PublicKeyMultibase {
		t.Fatalf("public key: got %s, want %s", got, kp.PublicKeyMultibase)
	}
	return k
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readVector reads a .txt vector without its trailing newline.
func readVector(t testing.TB, name string) string {
	t.Helper()
	return strings.TrimRight(string(readFile(t, filepath.Join("testdata", "eddsa-jcs-2022", name))), "\r\n")
}

var vectorCreated = time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)

// TestVectors reproduces every intermediate value of the W3C eddsa-jcs-2022
// test vectors (w3c/vc-di-eddsa TestVectors/) byte for byte.
func TestVectors(t *testing.T) {
	k := vectorKey(t)
	unsigned := readFile(t, "testdata/unsigned.json")
	config := readFile(t, "testdata/eddsa-jcs-2022/proofConfigJCS.json")

	canonDoc, err := jcs.Canonicalize(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	canonConfig, err := jcs.Canonicalize(config)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hashData(config, unsigned)
	if err != nil {
		t.Fatal(err)
	}
	sig := k.sign(hash)
	signed, err := Sign(unsigned, k, ProofOptions{Created: vectorCreated})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Proof struct{ ProofValue string }
	}
	if err := json.Unmarshal(signed, &got); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ file, got string }{
		{"canonDocJCS.txt", string(canonDoc)},
		{"proofCanonJCS.txt", string(canonConfig)},
		{"proofHashJCS.txt", hex.EncodeToString(hash[:32])},
		{"docHashJCS.txt", hex.EncodeToString(hash[32:])},
		{"combinedHashJCS.txt", hex.EncodeToString(hash)},
		{"sigHexJCS.txt", hex.EncodeToString(sig)},
		{"sigBTC58JCS.txt", "z" + encodeBase58(sig)},
		{"sigBTC58JCS.txt (Sign proofValue)", got.Proof.ProofValue},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if want := readVector(t, strings.Fields(tc.file)[0]); tc.got != want {
				t.Errorf("got  %s\nwant %s", tc.got, want)
			}
		})
	}
	t.Run("signedJCS.json", func(t *testing.T) {
		want, err := jcs.Canonicalize(readFile(t, "testdata/eddsa-jcs-2022/signedJCS.json"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := jcs.Canonicalize(signed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

func TestVerifyProofVector(t *testing.T) {
	signed := readFile(t, "testdata/eddsa-jcs-2022/signedJCS.json")
	res, err := VerifyProof(signed, nil)
	if err != nil {
		t.Fatalf("VerifyProof: %v", err)
	}
	k := vectorKey(t)
	if res.Controller != k.DID() {
		t.Errorf("controller: got %s, want %s", res.Controller, k.DID())
	}
	if !res.Created.Equal(vectorCreated) {
		t.Errorf("created: got %v, want %v", res.Created, vectorCreated)
	}
	if want := readVector(t, "canonDocJCS.txt"); string(res.Document) != want {
		t.Errorf("document: got %s, want %s", res.Document, want)
	}
	// The vector's issuer is an https URL, not the key's DID: the proof is
	// valid, the issuer binding is not.
	if _, err := Verify(signed, nil); !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("Verify: got %v, want %v", err, ErrIssuerMismatch)
	}
}

// selfIssued is the vector credential issued by the vector key itself, so
// that Verify (with its issuer check) accepts it.
func selfIssued(t testing.TB) []byte {
	t.Helper()
	k := vectorKey(t)
	var doc map[string]any
	if err := json.Unmarshal(readFile(t, "testdata/unsigned.json"), &doc); err != nil {
		t.Fatal(err)
	}
	doc["issuer"] = map[string]any{"id": k.DID(), "name": "Example University"}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(b, k, ProofOptions{Created: vectorCreated})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestSignVerifyRoundTrip(t *testing.T) {
	signed := selfIssued(t)
	res, err := Verify(signed, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := vectorKey(t).DID(); res.Issuer != want {
		t.Errorf("issuer: got %s, want %s", res.Issuer, want)
	}
	// Whitespace, key order and escaping are not part of what is signed.
	var v any
	if err := json.Unmarshal(signed, &v); err != nil {
		t.Fatal(err)
	}
	reencoded, err := json.Marshal(v) // sorted keys, \u003c escapes, no indentation
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(reencoded, nil); err != nil {
		t.Errorf("Verify re-encoded: %v", err)
	}
	// A proof set of one is the same proof.
	var m map[string]any
	json.Unmarshal(signed, &m)
	m["proof"] = []any{m["proof"]}
	asSet, _ := json.Marshal(m)
	if _, err := Verify(asSet, nil); err != nil {
		t.Errorf("Verify proof set of one: %v", err)
	}
}

func TestSignErrors(t *testing.T) {
	k := vectorKey(t)
	tests := []struct {
		name string
		doc  string
		key  KeyPair
		want error
	}{
		{"ErrInvalidKey", `{}`, KeyPair{}, ErrInvalidKey},
		{"ErrMalformed/not an object", `[]`, k, ErrMalformed},
		{"ErrMalformed/duplicate key", `{"a":1,"a":2}`, k, ErrMalformed},
		{"ErrMalformed/already signed", `{"proof":{}}`, k, ErrMalformed},
		{"ErrMalformed/invalid JSON", `{"a":}`, k, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Sign([]byte(tc.doc), tc.key, ProofOptions{}); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("empty object", func(t *testing.T) {
		signed, err := Sign([]byte(`{}`), k, ProofOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyProof(signed, nil); err != nil {
			t.Errorf("VerifyProof: %v", err)
		}
	})
}

// mutate returns signed, decoded, changed by f and re-encoded.
func mutate(t testing.TB, signed []byte, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(signed))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyErrors(t *testing.T) {
	signed := selfIssued(t)
	other, err := GenerateKey(bytes.NewReader(make([]byte, 64)))
	if err != nil {
		t.Fatal(err)
	}
	proof := func(f func(p map[string]any)) func(map[string]any) {
		return func(doc map[string]any) { f(doc["proof"].(map[string]any)) }
	}
	tests := []struct {
		name    string
		doc     []byte
		resolve Resolver
		want    error
		field   string
	}{
		{"ErrMalformed/not JSON", []byte(`{`), nil, ErrMalformed, ""},
		{"ErrMalformed/array", []byte(`[]`), nil, ErrMalformed, ""},
		{"ErrMalformed/too large", append(bytes.Repeat([]byte(" "), MaxDocumentSize), signed...), nil, ErrMalformed, ""},
		{"ErrMalformed/duplicate key", append([]byte(`{"id":"a",`), signed[1:]...), nil, ErrMalformed, ""},
		{"ErrMalformed/proof not an object", mutate(t, signed, func(d map[string]any) { d["proof"] = "x" }), nil, ErrMalformed, "proof"},
		{"ErrMalformed/proofValue not base58", mutate(t, signed, proof(func(p map[string]any) { p["proofValue"] = "z0OIl" })), nil, ErrMalformed, "proof.proofValue"},
		{"ErrMalformed/proofValue not multibase", mutate(t, signed, proof(func(p map[string]any) { p["proofValue"] = "u" + p["proofValue"].(string)[1:] })), nil, ErrMalformed, "proof.proofValue"},
		{"ErrMalformed/proofValue short", mutate(t, signed, proof(func(p map[string]any) { p["proofValue"] = "z2Hn" })), nil, ErrMalformed, "proof.proofValue"},
		{"ErrMalformed/proofValue missing", mutate(t, signed, proof(func(p map[string]any) { delete(p, "proofValue") })), nil, ErrMalformed, "proof.proofValue"},
		{"ErrMalformed/created", mutate(t, signed, proof(func(p map[string]any) { p["created"] = "yesterday" })), nil, ErrMalformed, "proof.created"},
		{"ErrBadSignature/issuer removed", mutate(t, signed, func(d map[string]any) { delete(d, "issuer") }), nil, ErrBadSignature, "proof.proofValue"},
		{"ErrNoProof", mutate(t, signed, func(d map[string]any) { delete(d, "proof") }), nil, ErrNoProof, "proof"},
		{"ErrNoProof/empty set", mutate(t, signed, func(d map[string]any) { d["proof"] = []any{} }), nil, ErrNoProof, "proof"},
		{"ErrNoProof/two proofs", mutate(t, signed, func(d map[string]any) { d["proof"] = []any{d["proof"], d["proof"]} }), nil, ErrNoProof, "proof"},
		{"ErrUnsupportedProof/type", mutate(t, signed, proof(func(p map[string]any) { p["type"] = "Ed25519Signature2020" })), nil, ErrUnsupportedProof, "proof.type"},
		{"ErrUnsupportedProof/cryptosuite", mutate(t, signed, proof(func(p map[string]any) { p["cryptosuite"] = "eddsa-rdfc-2022" })), nil, ErrUnsupportedProof, "proof.cryptosuite"},
		{"ErrProofPurpose", mutate(t, signed, proof(func(p map[string]any) { p["proofPurpose"] = "authentication" })), nil, ErrProofPurpose, "proof.proofPurpose"},
		{"ErrContextMismatch", mutate(t, signed, proof(func(p map[string]any) { p["@context"] = []any{"https://www.w3.org/ns/credentials/v2"} })), nil, ErrContextMismatch, "proof.@context"},
		{"ErrContextMismatch/document", mutate(t, signed, func(d map[string]any) { d["@context"] = append(d["@context"].([]any), "https://evil.example/v1") }), nil, ErrContextMismatch, "proof.@context"},
		{"ErrVerificationMethod/not did:key", mutate(t, signed, proof(func(p map[string]any) { p["verificationMethod"] = "https://example.com/keys/1" })), nil, ErrVerificationMethod, "proof.verificationMethod"},
		{"ErrVerificationMethod/no fragment", mutate(t, signed, proof(func(p map[string]any) { p["verificationMethod"] = controllerOf(p["verificationMethod"].(string)) })), nil, ErrVerificationMethod, "proof.verificationMethod"},
		{"ErrVerificationMethod/resolver", signed, func(string) (ed25519.PublicKey, error) { return nil, errors.New("offline") }, ErrVerificationMethod, "proof.verificationMethod"},
		{"ErrBadSignature/other key", mutate(t, signed, proof(func(p map[string]any) { p["verificationMethod"] = other.VerificationMethod() })), nil, ErrBadSignature, "proof.proofValue"},
		{"ErrBadSignature/claim", mutate(t, signed, func(d map[string]any) { d["name"] = "Doctorate" }), nil, ErrBadSignature, "proof.proofValue"},
		{"ErrBadSignature/created", mutate(t, signed, proof(func(p map[string]any) { p["created"] = "2023-02-24T23:36:39Z" })), nil, ErrBadSignature, "proof.proofValue"},
		{"ErrBadSignature/extra proof option", mutate(t, signed, proof(func(p map[string]any) { p["domain"] = "example.com" })), nil, ErrBadSignature, "proof.proofValue"},
		{"ErrIssuerMismatch", resignedWithIssuer(t, other, "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"), nil, ErrIssuerMismatch, "issuer"},
		{"ErrMalformed/issuer missing signed", resignedWithIssuer(t, other, ""), nil, ErrMalformed, "issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(tc.doc, tc.resolve)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", res, err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T, want *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Errorf("field: got %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}

// resignedWithIssuer signs the vector credential with k and the given
// issuer ("" removes it).
func resignedWithIssuer(t testing.TB, k KeyPair, issuer string) []byte {
	t.Helper()
	doc := mutate(t, readFile(t, "testdata/unsigned.json"), func(d map[string]any) {
		if issuer == "" {
			delete(d, "issuer")
		} else {
			d["issuer"] = issuer
		}
	})
	signed, err := Sign(doc, k, ProofOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// leaves returns the JSON paths of every scalar in v.
func leaves(v any, path []any, out *[][]any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			leaves(c, append(append([]any{}, path...), k), out)
		}
	case []any:
		for i, c := range v {
			leaves(c, append(append([]any{}, path...), i), out)
		}
	default:
		*out = append(*out, path)
	}
}

func setPath(v any, path []any, f func(any) any) any {
	if len(path) == 0 {
		return f(v)
	}
	switch k := path[0].(type) {
	case string:
		m := v.(map[string]any)
		m[k] = setPath(m[k], path[1:], f)
	case int:
		a := v.([]any)
		a[k] = setPath(a[k], path[1:], f)
	}
	return v
}

// TestTamper changes every leaf of the signed vector (and of a self-issued
// credential) and checks that verification fails.
func TestTamper(t *testing.T) {
	docs := []struct {
		name   string
		signed []byte
		verify func([]byte, Resolver) (*VerifyResult, error)
	}{
		{"signedJCS", readFile(t, "testdata/eddsa-jcs-2022/signedJCS.json"), VerifyProof},
		{"self-issued", selfIssued(t), Verify},
	}
	for _, d := range docs {
		var root any
		if err := json.Unmarshal(d.signed, &root); err != nil {
			t.Fatal(err)
		}
		var paths [][]any
		leaves(root, nil, &paths)
		if len(paths) < 10 {
			t.Fatalf("%s: only %d leaves", d.name, len(paths))
		}
		for _, path := range paths {
			for _, change := range []struct {
				name string
				f    func(any) any
			}{
				{"edit", func(v any) any {
					s, ok := v.(string)
					if !ok || s == "" {
						return "x"
					}
					// Change the last character, keeping it in the same alphabet.
					last := s[len(s)-1]
					if last == 'a' {
						return s[:len(s)-1] + "b"
					}
					return s[:len(s)-1] + "a"
				}},
				{"number", func(any) any { return 1 }},
				{"null", func(any) any { return nil }},
			} {
				t.Run(d.name+"/"+jsonPath(path)+"/"+change.name, func(t *testing.T) {
					var doc any
					json.Unmarshal(d.signed, &doc)
					doc = setPath(doc, path, change.f)
					b, err := json.Marshal(doc)
					if err != nil {
						t.Fatal(err)
					}
					if res, err := d.verify(b, nil); err == nil {
						t.Errorf("got %+v, want an error for %s", res, b)
					}
				})
			}
		}
	}
}

func jsonPath(path []any) string {
	var b strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		}
	}
	return b.String()
}

func FuzzVerify(f *testing.F) {
	vector := readFile(f, "testdata/eddsa-jcs-2022/signedJCS.json")
	self := selfIssued(f)
	f.Add(vector, uint16(0), byte(0))
	f.Add(self, uint16(0), byte(0))
	f.Add(self, uint16(100), byte('x'))
	f.Add([]byte(`{"proof":[]}`), uint16(0), byte(0))
	canonVector, _ := jcs.Canonicalize(vector)
	canonSelf, _ := jcs.Canonicalize(self)
	f.Fuzz(func(t *testing.T, data []byte, at uint16, b byte) {
		if len(data) > 1<<16 {
			return
		}
		// Mutate one byte of the input (data itself when it is the seed).
		if len(data) > 0 && b != 0 {
			data = bytes.Clone(data)
			data[int(at)%len(data)] = b
		}
		res, err := VerifyProof(data, nil)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T %v, want a *FieldError", err, err)
			}
			return
		}
		// Accepted: either a document someone signed with a key it names
		// (the fuzzer cannot forge one) or, canonically, one of the seeds.
		canon, cerr := jcs.Canonicalize(data)
		if cerr != nil {
			t.Fatalf("accepted a document jcs rejects: %v", cerr)
		}
		if !bytes.Equal(canon, canonVector) && !bytes.Equal(canon, canonSelf) {
			t.Fatalf("accepted a document that is not a seed: %s (%+v)", data, res)
		}
		if _, err := Verify(data, nil); err == nil && !bytes.Equal(canon, canonSelf) {
			t.Fatalf("Verify accepted %s", data)
		}
	})
}
