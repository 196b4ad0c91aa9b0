package market

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/sandbox"
)

// Metered use: a caller (a did:key, or the host) runs a listed model on
// rows as a service; each call is counted against the caller's daily
// quota and recorded as a ledger.Receipt in the data dir's usage ledger
// (DIR/ledger), which the host signs.

// Defaults of metered use.
const (
	// DefaultPricePer1000 is a listing's price per 1,000 rows, in units,
	// until the host sets another (SetPrice).
	DefaultPricePer1000 = 1
	// DefaultRowsPerDay and DefaultCallsPerDay are each caller's quota
	// per UTC day when Quota leaves them zero.
	DefaultRowsPerDay  = 1_000_000
	DefaultCallsPerDay = 10_000
)

// HostCaller is the Caller of a receipt for a call made with the host's
// token.
const HostCaller = "host"

// ErrQuota is wrapped by every *QuotaError.
var ErrQuota = errors.New("market: usage quota reached")

// Quota bounds each caller's metered use per UTC day. Zero fields take
// the defaults; a negative one means no limit.
type Quota struct {
	RowsPerDay  int64 `json:"rows_per_day"`
	CallsPerDay int64 `json:"calls_per_day"`
}

func (q Quota) withDefaults() Quota {
	if q.RowsPerDay == 0 {
		q.RowsPerDay = DefaultRowsPerDay
	}
	if q.CallsPerDay == 0 {
		q.CallsPerDay = DefaultCallsPerDay
	}
	return q
}

// QuotaError reports a metered call refused by a quota rule.
type QuotaError struct {
	Caller string
	Rule   string // "rows per day" or "calls per day"
	Limit  int64
	Used   int64 // already used today
	Asked  int64 // what this call needs
	Reset  time.Time
	// RetryAfter is how long from the refusal until Reset.
	RetryAfter time.Duration
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("%s: quota rule %q: %d used of %d today, this call needs %d; resets at %s: %v",
		e.Caller, e.Rule, e.Used, e.Limit, e.Asked, e.Reset.Format(time.RFC3339), ErrQuota)
}

// Unwrap makes a QuotaError ErrQuota and engine.ErrQuotaExceeded (the
// adapters answer 429).
func (e *QuotaError) Unwrap() []error { return []error{ErrQuota, engine.ErrQuotaExceeded} }

// meter counts each caller's use on the current UTC day. It is exact
// under concurrency: a call reserves its rows before it runs and gives
// them back if it fails.
type meter struct {
	mu    sync.Mutex
	quota Quota
	day   string
	calls map[string]int64
	rows  map[string]int64
}

func (m *meter) reset(day string) {
	if m.day != day {
		m.day, m.calls, m.rows = day, map[string]int64{}, map[string]int64{}
	}
}

// reserve counts a call of rows rows by caller on day, or refuses it.
func (m *meter) reserve(caller string, now time.Time, rows int64) (release func(), err error) {
	day := now.UTC().Format(time.DateOnly)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reset(day)
	q := m.quota.withDefaults()
	reset := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	if q.CallsPerDay > 0 && m.calls[caller]+1 > q.CallsPerDay {
		return nil, &QuotaError{Caller: caller, Rule: "calls per day", Limit: q.CallsPerDay, Used: m.calls[caller], Asked: 1, Reset: reset, RetryAfter: reset.Sub(now)}
	}
	if q.RowsPerDay > 0 && m.rows[caller]+rows > q.RowsPerDay {
		return nil, &QuotaError{Caller: caller, Rule: "rows per day", Limit: q.RowsPerDay, Used: m.rows[caller], Asked: rows, Reset: reset, RetryAfter: reset.Sub(now)}
	}
	m.calls[caller]++
	m.rows[caller] += rows
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.day == day {
			m.calls[caller]--
			m.rows[caller] -= rows
		}
	}, nil
}

// count adds a receipt already in the ledger (at Open).
func (m *meter) count(r *ledger.Receipt, today string) {
	if r.Time.Format(time.DateOnly) != today {
		return
	}
	m.calls[r.Caller]++
	m.rows[r.Caller] += r.Rows
}

// SetQuota sets the per-caller daily quota of metered use.
func (mk *Market) SetQuota(q Quota) {
	mk.meter.mu.Lock()
	defer mk.meter.mu.Unlock()
	mk.meter.quota = q
}

// Ledger returns the data dir's usage ledger (DIR/ledger), opening it on
// first use; the quota counts of the day are recomputed from it, so a
// restart forgets no use.
func (mk *Market) Ledger() (*ledger.Ledger, error) {
	mk.ledgerMu.Lock()
	defer mk.ledgerMu.Unlock()
	if mk.ledger != nil {
		return mk.ledger, nil
	}
	l, err := ledger.Open(ledger.Config{
		Dir:    filepath.Join(mk.e.DataDir(), "ledger"),
		Origin: LedgerOrigin(mk.e.HostDID()),
		Signer: mk.e.HostSigner(),
	})
	if err != nil {
		return nil, fmt.Errorf("market: usage ledger: %w", err)
	}
	today := mk.e.Now().UTC().Format(time.DateOnly)
	yesterday := mk.e.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	mk.meter.mu.Lock()
	mk.meter.day = "" // recount from the ledger alone
	mk.meter.reset(today)
	for i := l.Size() - 1; i >= 0; i-- {
		e, err := l.Entry(i)
		if err != nil {
			mk.meter.mu.Unlock()
			l.Close()
			return nil, fmt.Errorf("market: usage ledger: %w", err)
		}
		r, err := ledger.ParseReceipt(e)
		if err != nil {
			mk.meter.mu.Unlock()
			l.Close()
			return nil, fmt.Errorf("market: usage ledger entry %d: %w", i, err)
		}
		if r.Time.UTC().Format(time.DateOnly) < yesterday {
			break // receipts are appended in time order, give or take a call's run
		}
		mk.meter.count(r, today)
	}
	mk.meter.mu.Unlock()
	mk.ledger = l
	return l, nil
}

// LedgerOrigin is the origin (and checkpoint key name) of the usage
// ledger of the host hostDID.
func LedgerOrigin(hostDID string) string { return "verdict.ledger/" + hostDID }

// LedgerVerifierKey is the verifier key of the checkpoints of the usage
// ledger of the host hostDID (a did:key), from the DID alone.
func LedgerVerifierKey(hostDID string) (string, error) {
	pub, err := credential.ParseDIDKey(hostDID)
	if err != nil {
		return "", fmt.Errorf("ledger of %.80q: %w: %w", hostDID, err, engine.ErrBadRequest)
	}
	return ledger.VerifierKey(LedgerOrigin(hostDID), pub)
}

// Close closes the usage ledger if it was opened. The Market stays
// usable: the ledger opens again on next use.
func (mk *Market) Close() error {
	mk.ledgerMu.Lock()
	defer mk.ledgerMu.Unlock()
	if mk.ledger == nil {
		return nil
	}
	err := mk.ledger.Close()
	mk.ledger = nil
	return err
}

// Metered is the outcome of a metered call.
type Metered struct {
	Predictions *engine.Predictions
	Receipt     *ledger.Receipt
	// Entry is the receipt as logged (Receipt.Encode), Index its place in
	// the ledger, and Checkpoint the signed checkpoint of the first tree
	// that holds it.
	Entry      []byte
	Index      int64
	Checkpoint []byte
	// Salt opens the receipt's Request: SHA-256(Salt ‖ input). Only the
	// caller gets it.
	Salt []byte
}

// PredictMetered runs a listed model as a metered service: as Predict
// (input is the table's bytes, name its file name for the format), for
// caller (a did:key, or HostCaller), counted against the caller's daily
// Quota (a refusal is a *QuotaError, before the model runs) and recorded
// as a receipt in the usage ledger before it returns. The receipt holds
// the model, its module hash and author, the caller, the rows, the time,
// the price and a salted digest of the input, never the rows or the
// outputs. A call that fails gives its quota back and leaves no receipt;
// the receipt is fsynced before the predictions are returned.
func (mk *Market) PredictMetered(ctx context.Context, caller, id string, input []byte, name string) (*Metered, error) {
	if caller == "" {
		return nil, fmt.Errorf("metered predict: no caller: %w", engine.ErrBadRequest)
	}
	l, err := mk.Ledger()
	if err != nil {
		return nil, err
	}
	me, err := mk.Entry(id)
	if err != nil {
		return nil, err
	}
	if me.Revoked != nil {
		return nil, mk.refuseRevoked(me)
	}
	d, err := datasets.Read(bytes.NewReader(input), name, datasets.Auto, datasets.Schema{ID: me.Card.Input.IDColumn, Features: me.Card.Input.Features})
	if err != nil {
		return nil, fmt.Errorf("predict with %s: input: %w: %w", me.ID, err, engine.ErrBadRequest)
	}
	defer d.Release()
	rows := int64(d.Rows())
	if rows == 0 || rows > ledger.MaxReceiptRows {
		return nil, fmt.Errorf("predict with %s: input has %d rows, want 1..%d: %w", me.ID, rows, ledger.MaxReceiptRows, engine.ErrBadRequest)
	}
	now := mk.e.Now().UTC().Truncate(time.Second)
	release, err := mk.meter.reserve(caller, now, rows)
	if err != nil {
		return nil, err
	}
	p, err := mk.run(ctx, me, d)
	if err != nil {
		release()
		return nil, err
	}
	price, err := mk.Price(me.ID)
	if err != nil {
		release()
		return nil, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	r := &ledger.Receipt{
		Type: ledger.ReceiptType, Model: me.ID,
		Module: strings.TrimPrefix(me.Card.Model, "urn:sha256:"),
		Author: me.Card.Author, Issuer: me.Card.Issuer, Trusted: me.Trusted,
		Caller: caller, Rows: rows, Time: now,
		PricePer1000: price, MilliUnits: rows * price,
		Request: ledger.RequestDigest(salt, input),
	}
	r.Members, r.Shares = mk.members(me)
	if err := r.Validate(); err != nil {
		release()
		return nil, fmt.Errorf("predict with %s: %w", me.ID, err)
	}
	entry := r.Encode()
	idx, cp, err := l.Append(entry)
	if err != nil {
		if idx < 0 { // not in the log: the call was not served
			release()
		}
		return nil, fmt.Errorf("predict with %s: record receipt: %w", me.ID, err)
	}
	return &Metered{Predictions: p, Receipt: r, Entry: entry, Index: idx, Checkpoint: cp, Salt: salt}, nil
}

// run runs me's module on d under the limits it was certified with.
func (mk *Market) run(ctx context.Context, me *Entry, d *datasets.Dataset) (*engine.Predictions, error) {
	module, err := mk.module(me)
	if err != nil {
		return nil, err
	}
	rt, err := mk.e.Runtime(ctx, sandbox.Limits{MemoryMB: me.Card.MemoryMB})
	if err != nil {
		return nil, err
	}
	m, err := rt.Compile(ctx, module)
	if err != nil {
		return nil, fmt.Errorf("predict with %s: %w", me.ID, err)
	}
	defer m.Close(ctx)
	cols := make([][]float64, len(d.FeatureNames))
	for j := range cols {
		cols[j] = d.Column(j)
	}
	res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: len(me.Card.Output.Columns)})
	if err != nil {
		return nil, fmt.Errorf("predict with %s: %w", me.ID, err)
	}
	return &engine.Predictions{IDs: slices.Clone(d.IDs), Columns: me.Card.Output.Columns, Values: res.Outputs}, nil
}

// members returns the team members of a model this data dir certified
// whose author is a team of its task and the split they agreed (nil:
// equal shares, AgreeShares), else none: an ingested model's author team
// is another host's, whatever team here has its name.
func (mk *Market) members(me *Entry) ([]string, []ledger.Weight) {
	if me.Origin != "promoted" {
		return nil, nil
	}
	ms, err := mk.teamMembers(me.Card.Task.ID, me.Card.Author)
	if err != nil || len(ms) == 0 {
		return nil, nil
	}
	return ms, mk.agreedShares(me.Card.Task.ID, me.Card.Author, ms)
}

// pricesPath holds the prices the host set, by entry id.
func (mk *Market) pricesPath() string {
	return filepath.Join(mk.e.DataDir(), "market", "prices.json")
}

func (mk *Market) readPrices() (map[string]int64, error) {
	b, err := os.ReadFile(mk.pricesPath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	out := map[string]int64{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("prices: decode %s: %w", mk.pricesPath(), err)
	}
	return out, nil
}

// Price returns a listing's price per 1,000 rows, in units:
// DefaultPricePer1000 unless the host set one (SetPrice).
func (mk *Market) Price(id string) (int64, error) {
	prices, err := mk.prices()
	if err != nil {
		return 0, err
	}
	return priceOf(prices, id), nil
}

// prices returns the prices the host set, by entry id.
func (mk *Market) prices() (map[string]int64, error) {
	mk.priceMu.Lock()
	defer mk.priceMu.Unlock()
	return mk.readPrices()
}

func priceOf(prices map[string]int64, id string) int64 {
	if p, ok := prices[id]; ok {
		return p
	}
	return DefaultPricePer1000
}

// SetPrice sets a listing's price per 1,000 rows (0..ledger.MaxPricePer1000
// units); receipts from now on carry it, earlier ones keep theirs.
func (mk *Market) SetPrice(id string, per1000 int64) error {
	if per1000 < 0 || per1000 > ledger.MaxPricePer1000 {
		return fmt.Errorf("price %d per 1000 rows: want 0..%d: %w", per1000, ledger.MaxPricePer1000, engine.ErrBadRequest)
	}
	me, err := mk.Entry(id)
	if err != nil {
		return err
	}
	mk.priceMu.Lock()
	defer mk.priceMu.Unlock()
	prices, err := mk.readPrices()
	if err != nil {
		return err
	}
	prices[me.ID] = per1000
	b, err := json.MarshalIndent(prices, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(mk.pricesPath()), 0o755); err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	if err := durable.WriteFile(mk.pricesPath(), b, 0o600); err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	return nil
}

// Proof returns the inclusion proof of a metered call's receipt (its
// Index) in the checkpoint its append returned (RFC 6962 hashes, leaf to
// root), and the verifier key of the ledger's checkpoints: what a caller
// needs to check the receipt offline.
func (mk *Market) Proof(res *Metered) (proof [][]byte, verifierKey string, err error) {
	l, err := mk.Ledger()
	if err != nil {
		return nil, "", err
	}
	cp, err := ledger.ParseCheckpoint(res.Checkpoint, l.VerifierKey())
	if err != nil {
		return nil, "", err
	}
	p, err := l.ProveInclusion(res.Index, cp.Size)
	if err != nil {
		return nil, "", err
	}
	proof = make([][]byte, len(p))
	for i := range p {
		proof[i] = p[i][:]
	}
	return proof, l.VerifierKey(), nil
}
