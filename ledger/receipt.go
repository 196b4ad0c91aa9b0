package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReceiptType is the type every Receipt states.
const ReceiptType = "verdict.receipt/v1"

// Receipt records one metered use of a marketplace model: which model,
// who called it, how many rows, when, what it cost. It never holds input
// rows or outputs: the request is a salted SHA-256 the caller alone can
// open (Request).
type Receipt struct {
	Type string `json:"type"`
	// Model is the marketplace entry's id; Module the SHA-256 (hex) of
	// its wasm module.
	Model  string `json:"model"`
	Module string `json:"module"`
	// Author is the model's author (a DID or participant name, as on its
	// card); Members the team members who share its revenue (equal
	// shares), empty for a single author.
	Author  string   `json:"author"`
	Members []string `json:"members,omitempty"`
	// Shares, if not empty, is the split the team agreed, one weight per
	// member (sorted by party, summing to TotalBasisPoints); empty is
	// equal shares.
	Shares []Weight `json:"shares,omitempty"`
	// Issuer is the did:key of the host that certified the model;
	// Trusted whether the marketplace trusted that issuer for it when it
	// served the call.
	Issuer  string `json:"issuer,omitempty"`
	Trusted bool   `json:"trusted,omitempty"`
	// Caller is the caller's did:key, or "host" for a host token.
	Caller string `json:"caller"`
	Rows   int64  `json:"rows"`
	// Time is when the call was served (UTC, second precision).
	Time time.Time `json:"time"`
	// PricePer1000 is the listing's price per 1,000 rows, in units;
	// MilliUnits what the call costs, in thousandths of a unit:
	// Rows × PricePer1000 (exact, no rounding).
	PricePer1000 int64 `json:"price_per_1000_rows"`
	MilliUnits   int64 `json:"milli_units"`
	// Request is SHA-256(salt ‖ body) in hex: the caller, who holds the
	// salt, can show which request it was; nobody else learns anything
	// of the rows.
	Request string `json:"request"`
}

// MaxReceiptSize bounds an encoded receipt.
const MaxReceiptSize = 8 << 10

// RequestDigest is the Request of a receipt for body, salted with salt.
func RequestDigest(salt, body []byte) string {
	h := sha256.New()
	h.Write(salt)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Validate reports a receipt that is incomplete or inconsistent.
func (r *Receipt) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("receipt: "+format+": %w", append(args, ErrReceipt)...)
	}
	hex64 := func(s string) bool {
		b, err := hex.DecodeString(s)
		return err == nil && len(b) == sha256.Size && hex.EncodeToString(b) == s
	}
	switch {
	case r.Type != ReceiptType:
		return bad("type %.60q, want %q", r.Type, ReceiptType)
	case r.Model == "" || r.Author == "" || r.Caller == "":
		return bad("model, author and caller are required")
	case !hex64(r.Module):
		return bad("module %.80q is not a lowercase hex SHA-256", r.Module)
	case !hex64(r.Request):
		return bad("request %.80q is not a lowercase hex SHA-256", r.Request)
	case r.Rows < 1:
		return bad("%d rows", r.Rows)
	case r.PricePer1000 < 0 || r.PricePer1000 > MaxPricePer1000:
		return bad("price %d per 1000 rows is not 0..%d", r.PricePer1000, MaxPricePer1000)
	case r.MilliUnits != r.Rows*r.PricePer1000:
		return bad("%d milli-units, want rows × price = %d", r.MilliUnits, r.Rows*r.PricePer1000)
	case r.Time.IsZero() || r.Time.Location() != time.UTC || !r.Time.Equal(r.Time.Truncate(time.Second)):
		return bad("time %s is not a whole second in UTC", r.Time)
	case r.Rows > MaxReceiptRows:
		return bad("%d rows, more than %d", r.Rows, MaxReceiptRows)
	}
	for _, m := range r.Members {
		if m == "" {
			return bad("empty team member")
		}
	}
	if err := checkShares(r.Members, r.Shares); err != nil {
		return bad("%v", err)
	}
	// What Encode writes must parse again: a receipt the log stores but
	// ParseReceipt refuses would stop every reader of the log (statements,
	// the quota recount when the market opens it).
	b, err := json.Marshal(r)
	if err != nil {
		return bad("encode: %v", err)
	}
	if len(b) > MaxReceiptSize {
		return bad("%d bytes encoded (%d team members), more than %d", len(b), len(r.Members), MaxReceiptSize)
	}
	return nil
}

// TotalBasisPoints is what the weights of an agreed split sum to: a
// weight of 2500 is 25%.
const TotalBasisPoints = 10_000

// Weight is a party's agreed part of a team's revenue, in basis points.
type Weight struct {
	Party       string `json:"party"`
	BasisPoints int64  `json:"basis_points"`
}

// checkShares reports shares that are not one weight per member, sorted
// by party, each 0..TotalBasisPoints and summing to TotalBasisPoints.
func checkShares(members []string, shares []Weight) error {
	if len(shares) == 0 {
		return nil
	}
	if len(shares) != len(members) {
		return fmt.Errorf("%d shares for %d team members", len(shares), len(members))
	}
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	var sum int64
	for i, w := range shares {
		switch {
		case !in[w.Party]:
			return fmt.Errorf("share of %.100q, not a team member", w.Party)
		case i > 0 && shares[i-1].Party >= w.Party:
			return fmt.Errorf("shares not sorted by party at %.100q", w.Party)
		case w.BasisPoints < 0 || w.BasisPoints > TotalBasisPoints:
			return fmt.Errorf("share of %.100q is %d basis points, not 0..%d", w.Party, w.BasisPoints, TotalBasisPoints)
		}
		sum += w.BasisPoints
	}
	if sum != TotalBasisPoints {
		return fmt.Errorf("shares sum to %d basis points, want %d", sum, TotalBasisPoints)
	}
	return nil
}

// CheckShares reports an agreed split that a receipt would refuse: not
// one weight per member, not sorted by party, or not summing to
// TotalBasisPoints. It wraps ErrReceipt.
func CheckShares(members []string, shares []Weight) error {
	if err := checkShares(members, shares); err != nil {
		return fmt.Errorf("shares: %v: %w", err, ErrReceipt)
	}
	return nil
}

// Bounds keeping a receipt's arithmetic exact in an int64.
const (
	MaxPricePer1000 = 1 << 30
	MaxReceiptRows  = 1 << 30
)

// Encode returns the receipt's bytes as a log entry: compact JSON in
// field order. It panics on a receipt that does not Validate (a
// programmer error: build receipts with Validate).
func (r *Receipt) Encode() []byte {
	if err := r.Validate(); err != nil {
		panic(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return b
}

// ParseReceipt decodes a log entry strictly: unknown fields, trailing
// data, a non-canonical encoding or a receipt that does not Validate are
// ErrReceipt. ParseReceipt(r.Encode()) equals r.
func ParseReceipt(b []byte) (*Receipt, error) {
	if len(b) > MaxReceiptSize {
		return nil, fmt.Errorf("receipt: %d bytes, more than %d: %w", len(b), MaxReceiptSize, ErrReceipt)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Receipt
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receipt: %v: %w", err, ErrReceipt)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("receipt: data after the object: %w", ErrReceipt)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !bytes.Equal(r.Encode(), b) {
		return nil, fmt.Errorf("receipt: not in canonical form: %w", ErrReceipt)
	}
	return &r, nil
}
