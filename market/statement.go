package market

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/ledger"
)

// SignedStatement is a revenue statement as the host signs it: the
// statement and its issuer (the host's did:key), with an eddsa-jcs-2022
// proof (like the model cards).
type SignedStatement struct {
	Issuer string `json:"issuer"`
	ledger.Statement
}

// Statement computes the revenue statement of period ("YYYY-MM", UTC)
// from the usage ledger at its latest checkpoint, for one author or
// (author empty) all, and signs it as the host (once per period, author
// and log size: a repeated call answers the same signed statement). Anyone holding the
// public log can recompute it (VerifyStatement).
func (mk *Market) Statement(period, author string) (*SignedStatement, []byte, error) {
	l, err := mk.Ledger()
	if err != nil {
		return nil, nil, err
	}
	_, cp := l.Checkpoint()
	k := statementKey{period, author, cp.Size}
	mk.stmtMu.Lock()
	defer mk.stmtMu.Unlock()
	if c, ok := mk.stmts[k]; ok && c.ss.Root == base64.StdEncoding.EncodeToString(cp.Hash[:]) {
		ss := *c.ss // callers may change what they get
		ss.Lines = slices.Clone(ss.Lines)
		return &ss, slices.Clone(c.signed), nil
	}
	st, err := ledger.Compute(period, author, cp, l.Entry)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", err, engine.ErrBadRequest)
	}
	ss := &SignedStatement{Issuer: mk.e.HostDID(), Statement: *st}
	b, err := json.Marshal(ss)
	if err != nil {
		return nil, nil, err
	}
	signed, err := mk.e.SignAsHost(b, mk.e.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("sign statement: %w", err)
	}
	if mk.stmts == nil || len(mk.stmts) >= maxCachedStatements {
		mk.stmts = map[statementKey]cachedStatement{}
	}
	c := *ss
	c.Lines = slices.Clone(ss.Lines)
	mk.stmts[k] = cachedStatement{&c, slices.Clone(signed)}
	return ss, signed, nil
}

// Statements are cached by period, author and the size of the log they
// were computed from: the log only grows, so the same three give the same
// statement, and a repeated request (GET /v1/ledger/statement is public)
// does not read the log again. A new receipt changes the size.
const maxCachedStatements = 64

type statementKey struct {
	period, author string
	size           int64
}

type cachedStatement struct {
	ss     *SignedStatement
	signed []byte
}

// VerifyStatement checks a signed statement: its proof and issuer, that
// it names its issuer's ledger, and that recomputing it from that log's
// entries (read through fetch, authenticated against the checkpoint it
// names) gives the same lines. It returns the statement.
func VerifyStatement(signed []byte, fetch ledger.FetchFunc) (*SignedStatement, error) {
	res, err := credential.Verify(signed, nil)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(res.Document))
	dec.DisallowUnknownFields()
	var ss SignedStatement
	if err := dec.Decode(&ss); err != nil {
		return nil, fmt.Errorf("statement: %v: %w", err, engine.ErrBadRequest)
	}
	if ss.Issuer != res.Issuer {
		return nil, fmt.Errorf("statement: issuer %.80q, signed by %.80q: %w", ss.Issuer, res.Issuer, engine.ErrBadRequest)
	}
	if ss.Origin != LedgerOrigin(ss.Issuer) {
		return nil, fmt.Errorf("statement: computed from log %.100q, not its issuer's: %w", ss.Origin, engine.ErrBadRequest)
	}
	root, err := base64.StdEncoding.DecodeString(ss.Root)
	if err != nil || len(root) != len(ledger.Hash{}) {
		return nil, fmt.Errorf("statement: root %.60q is not a base64 hash: %w", ss.Root, engine.ErrBadRequest)
	}
	cp := ledger.Checkpoint{Origin: ss.Origin, Size: ss.Size}
	copy(cp.Hash[:], root)
	entries, err := ledger.ReadLog(cp, fetch)
	if err != nil {
		return nil, fmt.Errorf("statement: read the log: %w", err)
	}
	again, err := ledger.Compute(ss.Period, ss.Author, cp, func(i int64) ([]byte, error) { return entries[i], nil })
	if err != nil {
		return nil, err
	}
	want, _ := json.Marshal(again)
	got, _ := json.Marshal(&ss.Statement)
	if !bytes.Equal(want, got) {
		return nil, fmt.Errorf("statement of %s: recomputed from the log it differs: %w", ss.Period, ledger.ErrProof)
	}
	return &ss, nil
}
