package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential/internal/jcs"
)

// Data Integrity constants (W3C VC Data Integrity 1.0, Data Integrity EdDSA
// Cryptosuites 1.0).
const (
	ProofType        = "DataIntegrityProof"
	Cryptosuite      = "eddsa-jcs-2022"
	AssertionMethod  = "assertionMethod" // the proof purpose of credentials
	MaxDocumentSize  = 4 << 20           // bytes; larger documents are ErrMalformed
	timestampLayout  = "2006-01-02T15:04:05Z"
	proofValueLength = ed25519.SignatureSize
)

// ProofOptions are the options of Sign.
type ProofOptions struct {
	// Created is the proof's creation time, written in UTC to the second.
	// The zero time omits "created".
	Created time.Time
	// VerificationMethod is the id of the signing key. Empty means the
	// key pair's did:key verification method ("did:key:z6Mk…#z6Mk…"), the
	// only kind the default resolver of Verify accepts.
	VerificationMethod string
	// ProofPurpose defaults to AssertionMethod, the only purpose Verify
	// accepts for a credential.
	ProofPurpose string
}

// proofJSON is a proof in the order Sign writes its members.
type proofJSON struct {
	Type               string          `json:"type"`
	Cryptosuite        string          `json:"cryptosuite"`
	Created            string          `json:"created,omitempty"`
	VerificationMethod string          `json:"verificationMethod"`
	ProofPurpose       string          `json:"proofPurpose"`
	Context            json.RawMessage `json:"@context,omitempty"`
	ProofValue         string          `json:"proofValue,omitempty"`
}

// Sign secures the JSON object doc with an eddsa-jcs-2022
// DataIntegrityProof and returns the signed document: doc's members in
// their order, then "proof", indented with two spaces. doc must not already
// have a proof.
//
// The proof covers the JCS (RFC 8785) canonical form of doc and of the
// proof options (with doc's @context copied in); the signature is Ed25519
// over SHA-256(canonical proof options) ‖ SHA-256(canonical document), and
// proofValue is its base58btc multibase ('z'). Like the W3C test vectors,
// the proof carries a copy of doc's @context.
func Sign(doc []byte, k KeyPair, opts ProofOptions) ([]byte, error) {
	if err := k.valid(); err != nil {
		return nil, err
	}
	top, err := parseObject(doc, "")
	if err != nil {
		return nil, err
	}
	if _, ok := top["proof"]; ok {
		return nil, fieldErr(ErrMalformed, "proof", "document is already signed")
	}
	p := proofJSON{
		Type:               ProofType,
		Cryptosuite:        Cryptosuite,
		VerificationMethod: opts.VerificationMethod,
		ProofPurpose:       opts.ProofPurpose,
		Context:            top["@context"],
	}
	if !opts.Created.IsZero() {
		p.Created = opts.Created.UTC().Format(timestampLayout)
	}
	if p.VerificationMethod == "" {
		p.VerificationMethod = k.VerificationMethod()
	}
	if p.ProofPurpose == "" {
		p.ProofPurpose = AssertionMethod
	}
	config, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode proof options: %w", err)
	}
	hash, err := hashData(config, doc)
	if err != nil {
		return nil, err
	}
	p.ProofValue = "z" + encodeBase58(k.sign(hash))
	proof, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode proof: %w", err)
	}

	// Append the proof to doc's own bytes, keeping its member order.
	var out bytes.Buffer
	if err := json.Compact(&out, doc); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	out.Truncate(out.Len() - 1) // '}'
	if len(top) > 0 {
		out.WriteByte(',')
	}
	out.WriteString(`"proof":`)
	out.Write(proof)
	out.WriteByte('}')
	var signed bytes.Buffer
	if err := json.Indent(&signed, out.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("indent signed document: %w", err)
	}
	signed.WriteByte('\n')
	return signed.Bytes(), nil
}

// hashData is the eddsa-jcs-2022 hash: SHA-256 of the canonical proof
// configuration, then SHA-256 of the canonical document.
func hashData(proofConfig, doc []byte) ([]byte, error) {
	canonConfig, err := jcs.Canonicalize(proofConfig)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "proof", "canonicalize: %v", err)
	}
	canonDoc, err := jcs.Canonicalize(doc)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "", "canonicalize: %v", err)
	}
	h1, h2 := sha256.Sum256(canonConfig), sha256.Sum256(canonDoc)
	return append(h1[:], h2[:]...), nil
}

// Resolver returns the Ed25519 public key of a verification method id.
type Resolver func(verificationMethod string) (ed25519.PublicKey, error)

// ResolveDIDKey is the default Resolver: it accepts only did:key
// verification methods whose fragment is the key itself,
// "did:key:z6Mk…#z6Mk…".
func ResolveDIDKey(vm string) (ed25519.PublicKey, error) {
	if !strings.Contains(vm, "#") {
		return nil, fmt.Errorf("%.110q has no #fragment: %w", vm, ErrInvalidDID)
	}
	return ParseDIDKey(vm)
}

// VerifyResult describes a verified proof.
type VerifyResult struct {
	VerificationMethod string            // proof.verificationMethod
	Controller         string            // its DID, the part before '#'
	PublicKey          ed25519.PublicKey // what the resolver returned
	ProofPurpose       string
	Created            time.Time // zero if the proof has no "created"
	Expires            time.Time // zero if the proof has no "expires"
	// Issuer is the credential's issuer id; Verify sets it, VerifyProof
	// leaves it empty.
	Issuer string
	// Document is the JCS canonical form of the document without its
	// proof: exactly the bytes the signature covers. Decode it, not the
	// input, to read verified claims.
	Document []byte
	// BBS lists the verification methods of the bbs-2023 base proofs of
	// a proof set, each verified over the same document.
	BBS []string
}

// VerifyProof checks the eddsa-jcs-2022 Data Integrity proof of signed,
// resolving its verification method with resolve (nil means
// ResolveDIDKey). It checks that there is exactly one eddsa proof (in a
// proof set, every other proof must be a bbs-2023 base proof, and each is
// verified against its BLS12-381 did:key too), of type
// DataIntegrityProof and cryptosuite eddsa-jcs-2022, with proofPurpose
// assertionMethod, a well-formed created (and expires) timestamp, a
// @context equal to the document's if it has one, and a valid signature.
//
// VerifyProof does not check who issued the document; Verify does. Every
// failure is a *FieldError wrapping one of the Err* sentinels.
func VerifyProof(signed []byte, resolve Resolver) (*VerifyResult, error) {
	if resolve == nil {
		resolve = ResolveDIDKey
	}
	top, err := parseObject(signed, "")
	if err != nil {
		return nil, err
	}
	rawProof, ok := top["proof"]
	if !ok {
		return nil, fieldErr(ErrNoProof, "proof", "missing")
	}
	delete(top, "proof")
	var bbsProofs []indexedProof
	if trimmed := bytes.TrimLeft(rawProof, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		var set []json.RawMessage
		if err := json.Unmarshal(rawProof, &set); err != nil {
			return nil, fieldErr(ErrMalformed, "proof", "%v", err)
		}
		// A proof set: one eddsa-jcs-2022 proof, which this function
		// checks, and bbs-2023 base proofs (SignWithBBS), which must
		// verify too.
		var eddsa []json.RawMessage
		for i, p := range set {
			var h proofHead
			if json.Unmarshal(p, &h) == nil && h.kind() == KindBBSBase {
				bbsProofs = append(bbsProofs, indexedProof{i, p})
			} else {
				eddsa = append(eddsa, p)
			}
		}
		if len(eddsa) != 1 {
			return nil, fieldErr(ErrNoProof, "proof", "a set of %d proofs, %d of them not bbs-2023; want exactly one eddsa-jcs-2022", len(set), len(eddsa))
		}
		// Each base proof costs a JSON-LD expansion, an RDF
		// canonicalization and a pairing, and the eddsa proof signs the
		// document, not the set: without a bound anyone could append
		// copies to a credential and have a public verifier do that work
		// for each. A model credential carries one.
		if len(bbsProofs) > maxBBSBaseProofs {
			return nil, fieldErr(ErrNoProof, "proof", "a set with %d bbs-2023 base proofs, want at most %d", len(bbsProofs), maxBBSBaseProofs)
		}
		rawProof = eddsa[0]
	}
	proof, err := parseObject(rawProof, "proof")
	if err != nil {
		return nil, err
	}

	typ, err := stringField(proof, "type", "proof.type")
	if err != nil {
		return nil, err
	}
	if typ != ProofType {
		return nil, fieldErr(ErrUnsupportedProof, "proof.type", "got %.40q, want %q", typ, ProofType)
	}
	suite, err := stringField(proof, "cryptosuite", "proof.cryptosuite")
	if err != nil {
		return nil, err
	}
	if suite != Cryptosuite {
		return nil, fieldErr(ErrUnsupportedProof, "proof.cryptosuite", "got %.40q, want %q", suite, Cryptosuite)
	}
	res := &VerifyResult{}
	if res.ProofPurpose, err = stringField(proof, "proofPurpose", "proof.proofPurpose"); err != nil {
		return nil, err
	}
	if res.ProofPurpose != AssertionMethod {
		return nil, fieldErr(ErrProofPurpose, "proof.proofPurpose", "got %.40q, want %q", res.ProofPurpose, AssertionMethod)
	}
	for _, ts := range []struct {
		key string
		dst *time.Time
	}{{"created", &res.Created}, {"expires", &res.Expires}} {
		if _, ok := proof[ts.key]; !ok {
			continue
		}
		if *ts.dst, err = timeField(proof, ts.key, "proof."+ts.key); err != nil {
			return nil, err
		}
	}
	proofValue, err := stringField(proof, "proofValue", "proof.proofValue")
	if err != nil {
		return nil, err
	}
	sig, err := decodeProofValue(proofValue)
	if err != nil {
		return nil, err
	}
	delete(proof, "proofValue")

	// The proof's @context, if any, must be the document's.
	if pc, ok := proof["@context"]; ok {
		same, err := sameJSON(pc, top["@context"])
		if err != nil {
			return nil, fieldErr(ErrMalformed, "proof.@context", "%v", err)
		}
		if !same {
			return nil, fieldErr(ErrContextMismatch, "proof.@context", "")
		}
	}
	if dc, ok := top["@context"]; ok {
		proof["@context"] = dc
	}

	if res.VerificationMethod, err = stringField(proof, "verificationMethod", "proof.verificationMethod"); err != nil {
		return nil, err
	}
	res.Controller = controllerOf(res.VerificationMethod)
	if res.PublicKey, err = resolve(res.VerificationMethod); err != nil {
		return nil, fieldErr(ErrVerificationMethod, "proof.verificationMethod", "%v", err)
	}
	if len(res.PublicKey) != ed25519.PublicKeySize {
		return nil, fieldErr(ErrVerificationMethod, "proof.verificationMethod", "resolved to a key of %d bytes, want %d",
			len(res.PublicKey), ed25519.PublicKeySize)
	}

	config, err := json.Marshal(proof)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "proof", "%v", err)
	}
	unsecured, err := json.Marshal(top)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	hash, err := hashData(config, unsecured)
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(res.PublicKey, hash, sig) {
		return nil, fieldErr(ErrBadSignature, "proof.proofValue", "signature does not match the document and key %.110q", res.VerificationMethod)
	}
	if res.Document, err = jcs.Canonicalize(unsecured); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	for _, p := range bbsProofs {
		vm, err := verifyBBSBase(top, p.raw, fmt.Sprintf("proof[%d]", p.index))
		if err != nil {
			return nil, err
		}
		res.BBS = append(res.BBS, vm)
	}
	return res, nil
}

// maxBBSBaseProofs bounds the bbs-2023 base proofs VerifyProof verifies
// in one proof set.
const maxBBSBaseProofs = 1

// indexedProof is a proof of a proof set and its place there.
type indexedProof struct {
	index int
	raw   json.RawMessage
}

// Verify is VerifyProof, then checks that the document's issuer (a string,
// or an object's "id") is the controller of the verification method, the
// DID that signed it (ErrIssuerMismatch otherwise).
func Verify(signed []byte, resolve Resolver) (*VerifyResult, error) {
	res, err := VerifyProof(signed, resolve)
	if err != nil {
		return nil, err
	}
	top, err := parseObject(res.Document, "")
	if err != nil {
		return nil, err
	}
	if res.Issuer, err = issuerOf(top); err != nil {
		return nil, err
	}
	if res.Issuer != res.Controller {
		return nil, fieldErr(ErrIssuerMismatch, "issuer", "issuer %.110q, signed by %.110q", res.Issuer, res.Controller)
	}
	return res, nil
}

func issuerOf(top map[string]json.RawMessage) (string, error) {
	raw, ok := top["issuer"]
	if !ok {
		return "", fieldErr(ErrMalformed, "issuer", "missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	obj, err := parseObject(raw, "issuer")
	if err != nil {
		return "", fieldErr(ErrMalformed, "issuer", "want a string or an object with an id")
	}
	return stringField(obj, "id", "issuer.id")
}

func decodeProofValue(v string) ([]byte, error) {
	if len(v) == 0 || v[0] != 'z' {
		return nil, fieldErr(ErrMalformed, "proof.proofValue", "not base58btc (multibase prefix 'z')")
	}
	sig, err := decodeBase58(v[1:])
	if err != nil {
		return nil, fieldErr(ErrMalformed, "proof.proofValue", "%v", err)
	}
	if len(sig) != proofValueLength {
		return nil, fieldErr(ErrMalformed, "proof.proofValue", "%d signature bytes, want %d", len(sig), proofValueLength)
	}
	return sig, nil
}

// parseObject checks that data is I-JSON (RFC 7493) holding an object and
// returns its members. field names data in errors.
func parseObject(data []byte, field string) (map[string]json.RawMessage, error) {
	if len(data) > MaxDocumentSize {
		return nil, fieldErr(ErrMalformed, field, "%d bytes, want at most %d", len(data), MaxDocumentSize)
	}
	// jcs is stricter than encoding/json: duplicate keys, invalid UTF-8,
	// lone surrogates and infinite numbers are errors, not repaired.
	canon, err := jcs.Canonicalize(data)
	if err != nil {
		return nil, fieldErr(ErrMalformed, field, "%v", err)
	}
	if canon[0] != '{' {
		return nil, fieldErr(ErrMalformed, field, "not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(canon, &m); err != nil {
		return nil, fieldErr(ErrMalformed, field, "%v", err)
	}
	return m, nil
}

func stringField(m map[string]json.RawMessage, key, field string) (string, error) {
	raw, ok := m[key]
	if !ok {
		return "", fieldErr(ErrMalformed, field, "missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fieldErr(ErrMalformed, field, "want a string")
	}
	return s, nil
}

// timeField reads an XML Schema dateTimeStamp (RFC 3339 with a zone).
func timeField(m map[string]json.RawMessage, key, field string) (time.Time, error) {
	s, err := stringField(m, key, field)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldErr(ErrMalformed, field, "%.40q is not an RFC 3339 date-time", s)
	}
	return t, nil
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b json.RawMessage) (bool, error) {
	if a == nil || b == nil {
		return a == nil && b == nil, nil
	}
	ca, err := jcs.Canonicalize(a)
	if err != nil {
		return false, err
	}
	cb, err := jcs.Canonicalize(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ca, cb), nil
}
