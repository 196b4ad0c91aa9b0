package credential

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential/bbs2023"
)

func init() { bbs2023.RegisterContext(ContextURL, contextDocument) }

// BBSCryptosuite is the cryptosuite of the selective-disclosure proof a
// model credential carries beside its eddsa-jcs-2022 proof.
const BBSCryptosuite = bbs2023.Cryptosuite

// MandatoryPointers are the JSON pointers every derived proof of a model
// credential reveals: what the credential is (id, type, its subject's
// model hash and type), who issued it and when, the task it was scored on
// (id, title, type), and its status entry, so that a verifier can check
// revocation. validUntil is mandatory when the credential has one.
var MandatoryPointers = []string{
	"/id", "/type", "/issuer", "/validFrom",
	"/credentialSubject/id", "/credentialSubject/type",
	"/credentialSubject/task/taskId", "/credentialSubject/task/title", "/credentialSubject/task/taskType",
	"/credentialStatus",
}

// DisclosablePointers are the JSON pointers a holder may reveal, beyond
// the mandatory ones. Pointers into them ("/credentialSubject/gates/0",
// "/credentialSubject/scoreAtLeast/2", "/credentialSubject/scores/public/value")
// reveal less.
var DisclosablePointers = []string{
	"/credentialSubject/author",
	"/credentialSubject/task/metric", "/credentialSubject/task/datasetHash",
	"/credentialSubject/scores",
	"/credentialSubject/rank", "/credentialSubject/rankedParticipants",
	"/credentialSubject/gates",
	"/credentialSubject/engineVersion",
	"/credentialSubject/scoreAtLeast", "/credentialSubject/scoreAtMost", "/credentialSubject/rankAtMost",
}

// mandatoryPointers returns MandatoryPointers for doc.
func mandatoryPointers(doc map[string]any) []string {
	p := slices.Clone(MandatoryPointers)
	if _, ok := doc["validUntil"]; ok {
		p = append(p, "/validUntil")
	}
	if _, ok := doc["credentialStatus"]; !ok {
		p = slices.DeleteFunc(p, func(s string) bool { return s == "/credentialStatus" })
	}
	return p
}

// SignWithBBS is Sign with a proof set: the eddsa-jcs-2022 proof Sign
// makes (the same bytes, for verifiers that know only it) and a bbs-2023
// base proof by bbsKey over the same document, from which the holder
// derives selective-disclosure proofs (Derive). hmacKey (32 fresh random
// bytes per credential) keys the base proof's blank-node relabelling.
func (c ModelCredential) SignWithBBS(issuer KeyPair, bbsKey BBSKey, hmacKey []byte) ([]byte, error) {
	if err := bbsKey.valid(); err != nil {
		return nil, err
	}
	doc, err := c.document(issuer)
	if err != nil {
		return nil, err
	}
	signed, err := Sign(doc, issuer, ProofOptions{Created: c.ValidFrom})
	if err != nil {
		return nil, err
	}
	var withEdDSA map[string]json.RawMessage
	if err := json.Unmarshal(signed, &withEdDSA); err != nil {
		return nil, fmt.Errorf("decode signed credential: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("decode credential: %w", err)
	}
	withBBS, err := bbs2023.Sign(m, bbs2023.ProofOptions{
		Created:            c.ValidFrom.UTC().Format(timestampLayout),
		VerificationMethod: bbsKey.VerificationMethod(),
		ProofPurpose:       AssertionMethod,
	}, bbsKey.sk, hmacKey, mandatoryPointers(m))
	if err != nil {
		return nil, fmt.Errorf("bbs-2023 base proof: %w", err)
	}
	bbsProof, err := json.Marshal(withBBS["proof"])
	if err != nil {
		return nil, fmt.Errorf("encode bbs-2023 proof: %w", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, doc); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	out.Truncate(out.Len() - 1) // '}'
	out.WriteString(`,"proof":[`)
	out.Write(withEdDSA["proof"])
	out.WriteByte(',')
	out.Write(bbsProof)
	out.WriteString("]}")
	var indented bytes.Buffer
	if err := json.Indent(&indented, out.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("indent signed document: %w", err)
	}
	indented.WriteByte('\n')
	return indented.Bytes(), nil
}

// ProofKind names what secures a credential.
type ProofKind string

// The kinds of proof Kind tells apart.
const (
	KindEdDSA      ProofKind = "eddsa-jcs-2022"
	KindBBSBase    ProofKind = "bbs-2023 base"
	KindBBSDerived ProofKind = "bbs-2023 derived"
)

// Multibase (base64url, 'u') prefixes of the bbs-2023 proof value headers
// 0xd9 0x5d 0x02 (base) and 0xd9 0x5d 0x03 (derived).
const (
	bbsBasePrefix    = "u2V0C"
	bbsDerivedPrefix = "u2V0D"
)

// Kinds lists the proofs of a signed document in order: one for a single
// proof, several for a proof set. Unknown proofs are listed by their
// cryptosuite.
func Kinds(signed []byte) ([]ProofKind, error) {
	top, err := parseObject(signed, "")
	if err != nil {
		return nil, err
	}
	raw, ok := top["proof"]
	if !ok {
		return nil, fieldErr(ErrNoProof, "proof", "missing")
	}
	var set []proofHead
	if err := json.Unmarshal(raw, &set); err != nil {
		var one proofHead
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fieldErr(ErrMalformed, "proof", "want an object or an array of objects")
		}
		set = []proofHead{one}
	}
	kinds := make([]ProofKind, 0, len(set))
	for _, p := range set {
		kinds = append(kinds, p.kind())
	}
	return kinds, nil
}

// proofHead is what tells a proof's kind.
type proofHead struct {
	Cryptosuite string `json:"cryptosuite"`
	ProofValue  string `json:"proofValue"`
}

func (p proofHead) kind() ProofKind {
	switch {
	case p.Cryptosuite == BBSCryptosuite && strings.HasPrefix(p.ProofValue, bbsDerivedPrefix):
		return KindBBSDerived
	case p.Cryptosuite == BBSCryptosuite:
		return KindBBSBase
	}
	return ProofKind(p.Cryptosuite)
}

// verifyBBSBase checks a bbs-2023 base proof of a proof set over the
// unsecured document top; it returns the proof's verification method.
func verifyBBSBase(top map[string]json.RawMessage, rawProof json.RawMessage, field string) (string, error) {
	var proof map[string]any
	if err := json.Unmarshal(rawProof, &proof); err != nil {
		return "", fieldErr(ErrMalformed, field, "%v", err)
	}
	vm, _ := proof["verificationMethod"].(string)
	if purpose, _ := proof["proofPurpose"].(string); purpose != AssertionMethod {
		return "", fieldErr(ErrProofPurpose, field+".proofPurpose", "got %.40q, want %q", purpose, AssertionMethod)
	}
	pk, err := ParseBBSDIDKey(vm)
	if err != nil {
		return "", fieldErr(ErrVerificationMethod, field+".verificationMethod", "%v", err)
	}
	doc, err := decodeAny(top)
	if err != nil {
		return "", err
	}
	doc["proof"] = proof
	if err := bbs2023.VerifyBase(doc, pk); err != nil {
		return "", bbsErr(err, field)
	}
	return vm, nil
}

// VerifyBBSBase checks a document secured by a single bbs-2023 base
// proof (the form Digital Bazaar's implementation signs) and returns the
// proof's verification method. It checks the signature only: who the
// key belongs to is the caller's question.
func VerifyBBSBase(signed []byte) (string, error) {
	top, err := parseObject(signed, "")
	if err != nil {
		return "", err
	}
	raw, ok := top["proof"]
	if !ok {
		return "", fieldErr(ErrNoProof, "proof", "missing")
	}
	delete(top, "proof")
	return verifyBBSBase(top, raw, "proof")
}

// decodeAny decodes an object's members into plain JSON values.
func decodeAny(top map[string]json.RawMessage) (map[string]any, error) {
	b, err := json.Marshal(top)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	return doc, nil
}

// bbsErr maps a bbs2023 error to this package's sentinels.
func bbsErr(err error, field string) error {
	switch {
	case errors.Is(err, bbs2023.ErrVerification):
		return fieldErr(ErrBadSignature, field+".proofValue", "%v", err)
	case errors.Is(err, bbs2023.ErrEncoding):
		return fieldErr(ErrMalformed, field+".proofValue", "%v", err)
	}
	return fieldErr(ErrMalformed, field, "%v", err)
}

// Derive makes a selective disclosure of a model credential signed by
// SignWithBBS, for its holder: it checks the bbs-2023 base proof against
// the key its verification method names, then returns a credential that
// reveals MandatoryPointers and the reveal pointers (JSON pointers into
// the credential, e.g. "/credentialSubject/scoreAtLeast/0") and nothing
// else, with a fresh derived proof bound to nonce (the presentation
// header: a verifier's challenge, or nil). Two derivations of one
// credential carry unrelated proof bytes.
func Derive(signed []byte, reveal []string, nonce []byte) ([]byte, error) {
	top, err := parseObject(signed, "")
	if err != nil {
		return nil, err
	}
	raw, ok := top["proof"]
	if !ok {
		return nil, fieldErr(ErrNoProof, "proof", "missing")
	}
	delete(top, "proof")
	var set []json.RawMessage
	if json.Unmarshal(raw, &set) != nil {
		set = []json.RawMessage{raw}
	}
	var base json.RawMessage
	for _, p := range set {
		var h proofHead
		if json.Unmarshal(p, &h) == nil && h.kind() == KindBBSBase {
			base = p
		}
	}
	if base == nil {
		return nil, fieldErr(ErrDisclosure, "proof", "no bbs-2023 base proof (a credential issued before the host had a BBS key carries only eddsa-jcs-2022)")
	}
	if _, err := verifyBBSBase(top, base, "proof"); err != nil {
		return nil, err
	}
	reveal = slices.Clone(reveal)
	for i, p := range reveal {
		if !strings.HasPrefix(p, "/") {
			return nil, fieldErr(ErrDisclosure, "reveal", "%.80q is not a JSON pointer (starts with '/')", p)
		}
		// A confidence interval is an RDF list: one of its elements
		// alone is not a statement, so it is revealed whole.
		if parent, last, ok := cutLast(p); ok && strings.HasSuffix(parent, "/ci") && last != "" && strings.Trim(last, "0123456789") == "" {
			reveal[i] = parent
		}
	}
	doc, err := decodeAny(top)
	if err != nil {
		return nil, err
	}
	var proof map[string]any
	if err := json.Unmarshal(base, &proof); err != nil {
		return nil, fieldErr(ErrMalformed, "proof", "%v", err)
	}
	doc["proof"] = proof
	derived, err := bbs2023.Derive(doc, reveal, nonce)
	if err != nil {
		if errors.Is(err, bbs2023.ErrInput) {
			return nil, fieldErr(ErrDisclosure, "reveal", "%v", err)
		}
		return nil, bbsErr(err, "proof")
	}
	out, err := json.MarshalIndent(derived, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode derived credential: %w", err)
	}
	return append(out, '\n'), nil
}

// DerivedOptions are the options of VerifyDerived. Issuer, BBSKey and
// StatusList are as in VerifyOptions.
type DerivedOptions struct {
	// Issuer, if set, is the DID the credential must be issued by.
	Issuer string
	// BBSKey is the issuer's BBS did:key ("did:key:zUC7…", from its
	// /v1/host), learned out of band like Issuer. A derived proof by any
	// other key is accepted only when that key is the issuer itself.
	BBSKey string
	// Module, if set, is the WebAssembly module the credential must be
	// about.
	Module []byte
	// Nonce, if set, is the presentation header the proof must be bound
	// to: the verifier's challenge.
	Nonce []byte
	// StatusList fetches a status list credential by URL; without it
	// revocation is not checked.
	StatusList func(ctx context.Context, url string) ([]byte, error)
	// Now is the time validity is checked at; zero means time.Now().
	Now time.Time
}

// DerivedResult is a verified selective disclosure of a model credential.
type DerivedResult struct {
	ID     string
	Issuer string
	// VerificationMethod is the BBS key that signed the base proof.
	VerificationMethod string
	Model              [sha256.Size]byte
	ValidFrom          time.Time
	ValidUntil         time.Time
	Status             *StatusEntry
	StatusChecked      bool
	// Nonce is the presentation header the proof is bound to.
	Nonce []byte
	// Subject is the revealed credentialSubject: the mandatory members
	// and whatever the holder chose to reveal.
	Subject map[string]any
}

// VerifyDerived verifies a derived bbs-2023 disclosure of a model
// credential: the proof against its BLS12-381 did:key, the binding of
// that key to the issuer (opts.BBSKey, or the issuer's own DID), the
// expected issuer, type and @context, the module hash, the validity
// period and the revocation status, which is why credentialStatus is
// mandatory. Failures are *FieldError wrapping the Err* sentinels.
func VerifyDerived(ctx context.Context, derived []byte, opts DerivedOptions) (*DerivedResult, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	top, err := parseObject(derived, "")
	if err != nil {
		return nil, err
	}
	rawProof, ok := top["proof"]
	if !ok {
		return nil, fieldErr(ErrNoProof, "proof", "missing")
	}
	res := &DerivedResult{}
	if res.VerificationMethod, res.Nonce, err = verifyDerivedProof(top, rawProof); err != nil {
		return nil, err
	}
	if opts.Nonce != nil && !bytes.Equal(opts.Nonce, res.Nonce) {
		return nil, fieldErr(ErrBadSignature, "proof.proofValue", "bound to presentation header %q, want %q", res.Nonce, opts.Nonce)
	}

	if res.Issuer, err = issuerOf(top); err != nil {
		return nil, err
	}
	if err := checkBBSBinding(res.Issuer, res.VerificationMethod, boundKey(opts.BBSKey)); err != nil {
		return nil, err
	}
	if opts.Issuer != "" && res.Issuer != opts.Issuer {
		return nil, fieldErr(ErrIssuerMismatch, "issuer", "issued by %.110q, want %.110q", res.Issuer, opts.Issuer)
	}
	var head struct {
		ID                string          `json:"id"`
		Context           []string        `json:"@context"`
		Type              []string        `json:"type"`
		CredentialSubject map[string]any  `json:"credentialSubject"`
		CredentialStatus  json.RawMessage `json:"credentialStatus"`
	}
	if err := json.Unmarshal(derived, &head); err != nil {
		return nil, fieldErr(ErrNotModelCredential, "", "%v", err)
	}
	if len(head.Context) < 2 || head.Context[0] != ContextV2 || !slices.Contains(head.Context, ContextURL) {
		return nil, fieldErr(ErrNotModelCredential, "@context", "want [%q, %q, …]", ContextV2, ContextURL)
	}
	if !slices.Contains(head.Type, "VerifiableCredential") || !slices.Contains(head.Type, ModelCredentialType) {
		return nil, fieldErr(ErrNotModelCredential, "type", "want [\"VerifiableCredential\", %q]", ModelCredentialType)
	}
	res.ID, res.Subject = head.ID, head.CredentialSubject
	if t, _ := res.Subject["type"].(string); t != ModelSubjectType {
		return nil, fieldErr(ErrNotModelCredential, "credentialSubject.type", "got %.40q, want %q", t, ModelSubjectType)
	}
	subID, _ := res.Subject["id"].(string)
	hexHash, ok := strings.CutPrefix(subID, sha256URN)
	n, err := hex.Decode(res.Model[:], []byte(hexHash))
	if !ok || err != nil || n != sha256.Size || hexHash != strings.ToLower(hexHash) {
		return nil, fieldErr(ErrMalformed, "credentialSubject.id", "%.80q is not urn:sha256:<64 hex digits>", subID)
	}
	if opts.Module != nil && sha256.Sum256(opts.Module) != res.Model {
		return nil, fieldErr(ErrModelMismatch, "credentialSubject.id", "module has SHA-256 %x", sha256.Sum256(opts.Module))
	}
	if res.ValidFrom, res.ValidUntil, err = checkValidity(top, now); err != nil {
		return nil, err
	}
	if res.Status, res.StatusChecked, err = checkOneStatus(ctx, head.CredentialStatus, res.Issuer, now, opts.StatusList); err != nil {
		return nil, err
	}
	return res, nil
}

// cutLast splits a JSON pointer at its last '/'.
func cutLast(p string) (parent, last string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}
