package credential

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// ModelSubject is what a CertifiedModelCredential says about a model.
type ModelSubject struct {
	// Model is the SHA-256 of the WebAssembly module; the subject's id is
	// "urn:sha256:" and its lowercase hex.
	Model [sha256.Size]byte
	// Author is the participant's id as an absolute IRI: its did:key, or
	// ParticipantIRI of its name (a relative IRI is refused by Sign).
	Author string
	Task   Task
	Scores Scores
	// Rank is the model's place (1 = best) among RankedParticipants when
	// the credential was issued.
	Rank               int
	RankedParticipants int
	// Gates are the quality gates the model passed: all of them, since
	// verdict issues a credential only when every gate passes.
	Gates []Gate
	// EngineVersion is the version of verdict that scored the model.
	EngineVersion string
	// Thresholds are claims a holder can disclose instead of the score or
	// rank they bound (see NewThresholds); empty ones are not written.
	Thresholds Thresholds
}

// Task identifies the competition the model was scored in.
type Task struct {
	ID          string `json:"taskId"`
	Title       string `json:"title"`
	Type        string `json:"taskType"` // binary, multiclass, regression or ranking
	Metric      string `json:"metric"`
	DatasetHash string `json:"datasetHash"` // fingerprint of the held-out dataset
}

// Scores are the metric's value on the public and private parts of the
// held-out data. Private is nil while a competition hides it.
type Scores struct {
	Public  Score  `json:"public"`
	Private *Score `json:"private,omitempty"`
}

// Score is a metric value with its confidence interval [CI[0], CI[1]] at
// confidence Level (0.95 for 95%).
type Score struct {
	Value float64    `json:"value"`
	CI    [2]float64 `json:"ci"`
	Level float64    `json:"level"`
}

// Gate is one quality gate's outcome: Value compared with Threshold.
type Gate struct {
	Name      string  `json:"name"`
	Passed    bool    `json:"passed"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
}

// ModelCredential is an unsigned CertifiedModelCredential. IssueModel
// fills one and signs it; build one directly to choose the id (tests,
// re-issuing).
type ModelCredential struct {
	ID         string    // "urn:uuid:…", see NewID
	ValidFrom  time.Time // written in UTC to the second
	ValidUntil time.Time // zero: no expiry
	Subject    ModelSubject
	Status     *StatusEntry // nil: not revocable
}

// modelDoc is the JSON of a ModelCredential, members in document order.
type modelDoc struct {
	Context           []string        `json:"@context"`
	ID                string          `json:"id"`
	Type              []string        `json:"type"`
	Issuer            string          `json:"issuer"`
	ValidFrom         string          `json:"validFrom"`
	ValidUntil        string          `json:"validUntil,omitempty"`
	CredentialSubject subjectDoc      `json:"credentialSubject"`
	CredentialStatus  json.RawMessage `json:"credentialStatus,omitempty"`
}

type subjectDoc struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Author             string `json:"author"`
	Task               Task   `json:"task"`
	Scores             Scores `json:"scores"`
	Rank               int    `json:"rank"`
	RankedParticipants int    `json:"rankedParticipants"`
	Gates              []Gate `json:"gates"`
	EngineVersion      string `json:"engineVersion"`
	Thresholds
}

const sha256URN = "urn:sha256:"

// NewID returns a random (version 4) UUID URN, "urn:uuid:…", read from rand
// (crypto/rand.Reader in production).
func NewID(rand io.Reader) (string, error) {
	var u [16]byte
	if _, err := io.ReadFull(rand, u[:]); err != nil {
		return "", fmt.Errorf("generate credential id: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:]), nil
}

// Validate checks what Sign would write: an id, a validity period, a
// complete subject with finite scores, intervals with low <= high, a rank
// within the ranked participants, passed gates, and a valid status entry.
// Errors are *FieldError wrapping ErrMalformed (ErrStatus for the entry).
func (c ModelCredential) Validate() error {
	s := c.Subject
	bad := func(field, format string, args ...any) error {
		return fieldErr(ErrMalformed, field, format, args...)
	}
	authorErr := checkAbsoluteIRI(s.Author)
	switch {
	case !strings.Contains(c.ID, ":"):
		return bad("id", "%.60q is not a URI", c.ID)
	case c.ValidFrom.IsZero():
		return bad("validFrom", "zero time")
	case !c.ValidUntil.IsZero() && !c.ValidUntil.After(c.ValidFrom):
		return bad("validUntil", "not after validFrom")
	case s.Model == [sha256.Size]byte{}:
		return bad("credentialSubject.id", "zero model hash")
	case s.Author == "":
		return bad("credentialSubject.author", "missing")
	case authorErr != nil:
		return bad("credentialSubject.author", "%v: name a participant by its did:key or ParticipantIRI", authorErr)
	case s.Task.ID == "":
		return bad("credentialSubject.task.taskId", "missing")
	case s.Task.Type == "":
		return bad("credentialSubject.task.taskType", "missing")
	case s.Task.Metric == "":
		return bad("credentialSubject.task.metric", "missing")
	case s.Rank < 1 || s.Rank > s.RankedParticipants:
		return bad("credentialSubject.rank", "rank %d of %d participants", s.Rank, s.RankedParticipants)
	case s.EngineVersion == "":
		return bad("credentialSubject.engineVersion", "missing")
	}
	scores := []struct {
		field string
		s     *Score
	}{{"public", &s.Scores.Public}, {"private", s.Scores.Private}}
	for _, sc := range scores {
		if sc.s == nil {
			continue
		}
		field := "credentialSubject.scores." + sc.field
		for _, v := range []float64{sc.s.Value, sc.s.CI[0], sc.s.CI[1], sc.s.Level} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return bad(field, "non-finite number %v", v)
			}
		}
		if sc.s.CI[0] > sc.s.CI[1] {
			return bad(field+".ci", "low %v > high %v", sc.s.CI[0], sc.s.CI[1])
		}
		if sc.s.Level <= 0 || sc.s.Level >= 1 {
			return bad(field+".level", "%v not in (0, 1)", sc.s.Level)
		}
	}
	for i, g := range s.Gates {
		field := fmt.Sprintf("credentialSubject.gates[%d]", i)
		switch {
		case g.Name == "":
			return bad(field+".name", "missing")
		case !g.Passed:
			return bad(field+".passed", "gate %q failed: a model that fails a gate is not certified", g.Name)
		case math.IsNaN(g.Value) || math.IsInf(g.Value, 0) || math.IsNaN(g.Threshold) || math.IsInf(g.Threshold, 0):
			return bad(field, "non-finite value or threshold")
		}
	}
	if c.Status != nil {
		return c.Status.Validate()
	}
	return nil
}

// Sign validates c and returns it as a signed VC 2.0 document issued by
// issuer's did:key, its proof created at ValidFrom.
func (c ModelCredential) Sign(issuer KeyPair) ([]byte, error) {
	doc, err := c.document(issuer)
	if err != nil {
		return nil, err
	}
	return Sign(doc, issuer, ProofOptions{Created: c.ValidFrom})
}

// document validates c and returns its unsigned JSON, issued by issuer.
func (c ModelCredential) document(issuer KeyPair) ([]byte, error) {
	if err := issuer.valid(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := c.Subject
	gates := s.Gates
	if gates == nil {
		gates = []Gate{}
	}
	doc := modelDoc{
		Context:   []string{ContextV2, ContextURL},
		ID:        c.ID,
		Type:      []string{"VerifiableCredential", ModelCredentialType},
		Issuer:    issuer.DID(),
		ValidFrom: c.ValidFrom.UTC().Format(timestampLayout),
		CredentialSubject: subjectDoc{
			ID:                 sha256URN + hex.EncodeToString(s.Model[:]),
			Type:               ModelSubjectType,
			Author:             s.Author,
			Task:               s.Task,
			Scores:             s.Scores,
			Rank:               s.Rank,
			RankedParticipants: s.RankedParticipants,
			Gates:              gates,
			EngineVersion:      s.EngineVersion,
			Thresholds:         s.Thresholds,
		},
	}
	if !c.ValidUntil.IsZero() {
		doc.ValidUntil = c.ValidUntil.UTC().Format(timestampLayout)
	}
	if c.Status != nil {
		b, err := json.Marshal(c.Status)
		if err != nil {
			return nil, fmt.Errorf("encode credentialStatus: %w", err)
		}
		doc.CredentialStatus = b
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode credential: %w", err)
	}
	return b, nil
}

// IssueModel issues a CertifiedModelCredential for subject, signed by
// issuer (the host), with a random urn:uuid id. status is the credential's
// revocation entry (nil: not revocable).
func IssueModel(subject ModelSubject, issuer KeyPair, status *StatusEntry, validFrom time.Time) ([]byte, error) {
	id, err := NewID(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ModelCredential{ID: id, ValidFrom: validFrom, Subject: subject, Status: status}.Sign(issuer)
}

// VerifyOptions are the options of VerifyModel. The zero value checks the
// proof, the issuer binding and the validity period at time.Now().
type VerifyOptions struct {
	// Issuer, if set, is the DID the credential must be issued by: the
	// host's did:key, learned out of band. Without it any key can issue a
	// credential that verifies.
	Issuer string
	// Module, if set, is the WebAssembly module the credential must be
	// about (its SHA-256 must be the subject's).
	Module []byte
	// StatusList, if set, fetches a status list credential by URL; without
	// it revocation is not checked (ModelResult.StatusChecked is false).
	StatusList func(ctx context.Context, url string) ([]byte, error)
	// Resolve resolves the proof's verification method; nil means
	// ResolveDIDKey.
	Resolve Resolver
	// Now is the time validity is checked at; zero means time.Now().
	Now time.Time
	// BBSKey, if set, is the BBS did:key bound to the issuer (its host's
	// /v1/host bbs_did, or a trusted-issuer entry's): a bbs-2023 base
	// proof in the credential's proof set must be by it, or by the issuer
	// itself (checkBBSBinding), else ErrIssuerMismatch. Unset, a base
	// proof is checked against its own key only.
	BBSKey string
}

// ModelResult is a verified CertifiedModelCredential.
type ModelResult struct {
	Credential ModelCredential
	Issuer     string // the issuer's DID
	Proof      *VerifyResult
	// StatusChecked reports whether revocation was checked: the credential
	// has a credentialStatus and VerifyOptions.StatusList was set.
	StatusChecked bool
}

// VerifyModel verifies a CertifiedModelCredential: its proof and issuer
// binding (Verify), the expected issuer, its type and @context, the module
// hash, validFrom/validUntil (and the proof's expires) at opts.Now, and its
// revocation status (ErrRevoked). ctx bounds the status list fetch.
func VerifyModel(ctx context.Context, signed []byte, opts VerifyOptions) (*ModelResult, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	proof, err := Verify(signed, opts.Resolve)
	if err != nil {
		return nil, err
	}
	if opts.Issuer != "" && proof.Issuer != opts.Issuer {
		return nil, fieldErr(ErrIssuerMismatch, "issuer", "issued by %.110q, want %.110q", proof.Issuer, opts.Issuer)
	}
	if opts.BBSKey != "" {
		for _, vm := range proof.BBS {
			if err := checkBBSBinding(proof.Issuer, vm, boundKey(opts.BBSKey)); err != nil {
				return nil, err
			}
		}
	}
	top, err := parseObject(proof.Document, "")
	if err != nil {
		return nil, err
	}
	var head struct {
		Context json.RawMessage `json:"@context"`
		Type    json.RawMessage `json:"type"`
	}
	if err := json.Unmarshal(proof.Document, &head); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	var ctxs, types []string
	if json.Unmarshal(head.Context, &ctxs) != nil || len(ctxs) < 2 || ctxs[0] != ContextV2 || !slices.Contains(ctxs, ContextURL) {
		return nil, fieldErr(ErrNotModelCredential, "@context", "want [%q, %q, …]", ContextV2, ContextURL)
	}
	if json.Unmarshal(head.Type, &types) != nil || !slices.Contains(types, "VerifiableCredential") || !slices.Contains(types, ModelCredentialType) {
		return nil, fieldErr(ErrNotModelCredential, "type", "want [\"VerifiableCredential\", %q]", ModelCredentialType)
	}
	var doc struct {
		modelDoc
		Context json.RawMessage `json:"@context"`
		Type    json.RawMessage `json:"type"`
		Issuer  json.RawMessage `json:"issuer"` // checked by Verify
	}
	if err := json.Unmarshal(proof.Document, &doc); err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	sub := doc.CredentialSubject
	if sub.Type != ModelSubjectType {
		return nil, fieldErr(ErrNotModelCredential, "credentialSubject.type", "got %.40q, want %q", sub.Type, ModelSubjectType)
	}
	res := &ModelResult{Issuer: proof.Issuer, Proof: proof}
	c := &res.Credential
	c.ID = doc.ID
	hexHash, ok := strings.CutPrefix(sub.ID, sha256URN)
	n, err := hex.Decode(c.Subject.Model[:], []byte(hexHash))
	if !ok || err != nil || n != sha256.Size || hexHash != strings.ToLower(hexHash) {
		return nil, fieldErr(ErrMalformed, "credentialSubject.id", "%.80q is not urn:sha256:<64 hex digits>", sub.ID)
	}
	if opts.Module != nil && sha256.Sum256(opts.Module) != c.Subject.Model {
		return nil, fieldErr(ErrModelMismatch, "credentialSubject.id", "module has SHA-256 %x", sha256.Sum256(opts.Module))
	}
	c.Subject.Author = sub.Author
	c.Subject.Task = sub.Task
	c.Subject.Scores = sub.Scores
	c.Subject.Rank = sub.Rank
	c.Subject.RankedParticipants = sub.RankedParticipants
	c.Subject.Gates = sub.Gates
	c.Subject.EngineVersion = sub.EngineVersion
	c.Subject.Thresholds = sub.Thresholds

	if c.ValidFrom, c.ValidUntil, err = checkValidity(top, now); err != nil {
		return nil, err
	}
	if !proof.Expires.IsZero() && !now.Before(proof.Expires) {
		return nil, fieldErr(ErrExpired, "proof.expires", "proof expired at %s", proof.Expires.Format(time.RFC3339))
	}

	if c.Status, res.StatusChecked, err = checkOneStatus(ctx, doc.CredentialStatus, proof.Issuer, now, opts.StatusList); err != nil {
		return nil, err
	}
	return res, nil
}

// checkOneStatus decodes a credential's single credentialStatus entry
// (nil when it has none) and, when fetch is set, checks the entry's bit
// in the list fetch returns: a set bit is ErrRevoked. checked says the
// list was read.
func checkOneStatus(ctx context.Context, raw json.RawMessage, issuer string, now time.Time,
	fetch func(ctx context.Context, url string) ([]byte, error)) (entry *StatusEntry, checked bool, err error) {
	if raw == nil {
		return nil, false, nil
	}
	entry = new(StatusEntry)
	if err := json.Unmarshal(raw, entry); err != nil {
		return nil, false, fieldErr(ErrMalformed, "credentialStatus", "want one %s object: %v", StatusEntryType, err)
	}
	if err := entry.Validate(); err != nil {
		return nil, false, err
	}
	if fetch == nil {
		return entry, false, nil
	}
	list, err := fetch(ctx, entry.StatusListCredential)
	if err != nil {
		return nil, false, fmt.Errorf("fetch status list %.200q: %w: %w", entry.StatusListCredential, err, ErrStatus)
	}
	revoked, err := CheckStatus(*entry, list, issuer, now)
	if err != nil {
		return nil, false, err
	}
	if revoked {
		return nil, false, fieldErr(ErrRevoked, "credentialStatus", "bit %s of %.200q is set (%s)",
			entry.StatusListIndex, entry.StatusListCredential, entry.StatusPurpose)
	}
	return entry, true, nil
}
