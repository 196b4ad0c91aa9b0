package market

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox"
)

// Errors of the marketplace.
var (
	// ErrBundle is wrapped by every *BundleError: a bundle refused by
	// Ingest.
	ErrBundle = errors.New("market: bundle refused")
	// ErrCardMismatch reports a model card that is validly signed but does
	// not describe the credential and module it came with.
	ErrCardMismatch = errors.New("market: model card disagrees with its credential")
	// ErrCard reports a model card that is not a well-formed card.
	ErrCard = errors.New("market: malformed model card")
	// ErrUntrustedIssuer reports a bundle whose issuer is neither this
	// data dir's host nor trusted here for it (TrustedFor), ingested
	// without IngestOptions.AllowUntrusted.
	ErrUntrustedIssuer = errors.New("market: issuer not trusted here")
)

// Sizes bounding what a bundle may hold.
const (
	MaxCardSize       = 1 << 20
	MaxStatusListSize = 32 << 20
	// MaxBundleModuleBytes bounds a bundle's module (the sandbox's default
	// bound on a module).
	MaxBundleModuleBytes = sandbox.DefaultMaxModuleBytes
	// MaxBundleBytes bounds a whole bundle as a tar archive: its members'
	// bounds and room for the tar headers.
	MaxBundleBytes = MaxBundleModuleBytes + credential.MaxDocumentSize + MaxCardSize + MaxStatusListSize + 8<<10
)

// UnspecifiedLicense is the license a card states when the participant
// gave none.
const UnspecifiedLicense = "unspecified"

// Entry is a model in the marketplace.
type Entry struct {
	ID string `json:"id"`
	// Score is the certified score (CardScores.Certified).
	Score float64 `json:"score"`
	// Origin is "promoted" (certified by this data dir) or "ingested".
	Origin  string             `json:"origin"`
	Revoked *engine.Revocation `json:"revoked,omitempty"`
	// Trusted says whether this marketplace trusts the card's issuer for
	// it: this host, or an entry of its registry of trusted issuers that
	// covers the card (TrustedFor). List and Entry fill it.
	Trusted bool `json:"trusted"`
	// PricePer1000 is the price of metered use, in units per 1,000 rows
	// (Price). List and Entry fill it.
	PricePer1000 int64 `json:"price_per_1000_rows"`
	Card         Card  `json:"card"`
	// Credential and SignedCard are the signed documents; only
	// Market.Entry fills them.
	Credential json.RawMessage `json:"credential,omitempty"`
	SignedCard json.RawMessage `json:"signed_card,omitempty"`
}

// Query selects marketplace entries. The zero value selects every
// entry that is not revoked.
type Query struct {
	TaskType string `json:"task_type,omitempty"` // binary, multiclass, regression or ranking
	Metric   string `json:"metric,omitempty"`
	Task     string `json:"task,omitempty"`
	// MinScore keeps models at least this good: score >= MinScore for a
	// metric where higher is better, <= for an error metric (rmse…).
	MinScore *float64 `json:"min_score,omitempty"`
	// Features keeps models whose input has every one of these columns
	// (case-insensitive).
	Features []string `json:"features,omitempty"`
	// Text keeps models whose task id, title or author contains it
	// (case-insensitive).
	Text string `json:"text,omitempty"`
	// IncludeRevoked keeps revoked models too (marked).
	IncludeRevoked bool `json:"include_revoked,omitempty"`
	// TrustedOnly keeps only models whose issuer this marketplace trusts
	// (Entry.Trusted).
	TrustedOnly bool `json:"trusted_only,omitempty"`
	// Limit caps the result; 0 is no cap.
	Limit int `json:"limit,omitempty"`
}

// Validate reports an unknown task type or metric, a non-finite minimum
// score and a negative limit, wrapping ErrBadRequest.
func (q Query) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("market query: "+format+": %w", append(args, engine.ErrBadRequest)...)
	}
	switch metric.TaskType(q.TaskType) {
	case "", metric.Binary, metric.Multiclass, metric.Regression, metric.Ranking:
	default:
		return bad("task type %q is not binary, multiclass, regression or ranking", q.TaskType)
	}
	if q.Metric != "" {
		if _, err := metric.Lookup(q.Metric); err != nil {
			return bad("metric %q: %v", q.Metric, err)
		}
	}
	if q.MinScore != nil && (math.IsNaN(*q.MinScore) || math.IsInf(*q.MinScore, 0)) {
		return bad("min score %v is not finite", *q.MinScore)
	}
	if q.Limit < 0 {
		return bad("limit %d is negative", q.Limit)
	}
	return nil
}

// match reports whether m passes q's filters.
func (q Query) match(m leaderboard.MarketEntry, card *Card) bool {
	switch {
	case !q.IncludeRevoked && !m.Revoked.IsZero():
		return false
	case q.TaskType != "" && m.TaskType != q.TaskType:
		return false
	case q.Metric != "" && m.Metric != q.Metric:
		return false
	case q.Task != "" && m.Task != q.Task:
		return false
	case q.MinScore != nil && m.HigherIsBetter && m.Score < *q.MinScore:
		return false
	case q.MinScore != nil && !m.HigherIsBetter && m.Score > *q.MinScore:
		return false
	}
	for _, f := range q.Features {
		if !slices.ContainsFunc(m.Features, func(g string) bool { return strings.EqualFold(f, g) }) {
			return false
		}
	}
	if t := strings.ToLower(q.Text); t != "" {
		hay := strings.ToLower(m.Task + "\x00" + card.Task.Title + "\x00" + m.Author)
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

// List returns the marketplace entries q selects, ranked: by metric,
// then best certified score first in the metric's direction, then the
// earlier, then by id. Entries carry no signed documents.
func (mk *Market) List(q Query) ([]Entry, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	all, err := mk.store.MarketEntries("")
	if err != nil {
		return nil, fmt.Errorf("list marketplace: %w", err)
	}
	type hit struct {
		m  leaderboard.MarketEntry
		me Entry
	}
	var hits []hit
	for _, m := range all {
		me, err := fromMarketStore(m)
		if err != nil {
			return nil, err
		}
		if q.match(m, &me.Card) {
			hits = append(hits, hit{m, me})
		}
	}
	slices.SortFunc(hits, func(x, y hit) int {
		a, b := x.m, y.m
		if c := cmp.Compare(a.Metric, b.Metric); c != 0 {
			return c
		}
		c := cmp.Compare(a.Score, b.Score)
		if a.HigherIsBetter {
			c = -c
		}
		if c != 0 {
			return c
		}
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	ranked := make([]Entry, 0, len(hits))
	for _, h := range hits {
		ranked = append(ranked, h.me)
	}
	issuers, err := mk.Issuers()
	if err != nil {
		return nil, err
	}
	prices, err := mk.prices()
	if err != nil {
		return nil, err
	}
	for i := range ranked {
		ranked[i].Trusted = mk.trusted(issuers, &ranked[i].Card) != nil
		ranked[i].PricePer1000 = priceOf(prices, ranked[i].ID)
	}
	if q.TrustedOnly {
		ranked = slices.DeleteFunc(ranked, func(me Entry) bool { return !me.Trusted })
	}
	if q.Limit > 0 && len(ranked) > q.Limit {
		ranked = ranked[:q.Limit]
	}
	return ranked, nil
}

// Entry returns one marketplace entry with its signed documents. id
// is the entry's id (the credential's UUID, with or without "urn:uuid:")
// or a unique prefix of it (MinIDPrefix, ShortID).
func (mk *Market) Entry(id string) (*Entry, error) {
	m, err := mk.entry(id)
	if err != nil {
		return nil, err
	}
	me, err := fromMarketStore(m)
	if err != nil {
		return nil, err
	}
	me.Credential, me.SignedCard = m.Credential, m.Card
	ti, err := mk.TrustedFor(&me.Card)
	if err != nil {
		return nil, err
	}
	me.Trusted = ti != nil
	if me.PricePer1000, err = mk.Price(me.ID); err != nil {
		return nil, err
	}
	return &me, nil
}

func (mk *Market) entry(id string) (leaderboard.MarketEntry, error) {
	full, err := mk.resolve(id)
	if err != nil {
		return leaderboard.MarketEntry{}, err
	}
	m, err := mk.store.MarketEntry(full)
	if err != nil {
		return m, fmt.Errorf("market entry %q: %w", full, err)
	}
	return m, nil
}

// fromMarketStore converts a catalogue entry, decoding its card (signed by
// this data dir or verified at ingest, so not verified again).
func fromMarketStore(m leaderboard.MarketEntry) (Entry, error) {
	me := Entry{ID: m.ID, Score: m.Score, Origin: "promoted"}
	if m.Ingested {
		me.Origin = "ingested"
	}
	if !m.Revoked.IsZero() {
		me.Revoked = &engine.Revocation{Time: m.Revoked, Reason: m.RevokedReason}
	}
	if err := json.Unmarshal(m.Card, &me.Card); err != nil {
		return me, fmt.Errorf("market entry %q: decode card: %w", m.ID, err)
	}
	return me, nil
}

func toMarketStore(c *Card, signedCred, signedCard []byte, ingested bool) leaderboard.MarketEntry {
	return leaderboard.MarketEntry{
		ID: c.ID, Task: c.Task.ID, TaskType: c.Task.Type, Metric: c.Task.Metric,
		HigherIsBetter: c.Task.HigherIsBetter, Score: c.Scores.Certified(),
		Features: c.Input.Features, Author: c.Author, Issuer: c.Issuer,
		ModuleSHA256: strings.TrimPrefix(c.Model, "urn:sha256:"), Created: c.Created,
		Ingested: ingested, Credential: signedCred, Card: signedCard,
	}
}

// outputMeaning says what a model's outputs are, for its card.
func outputMeaning(taskType string) string {
	switch metric.TaskType(taskType) {
	case metric.Binary:
		return "probability of class 1"
	case metric.Multiclass:
		return "pK is the probability of class K"
	case metric.Ranking:
		return "relevance score: higher ranks first within a group"
	}
	return "predicted value"
}

// list signs the model card of a certified model and puts it in the
// catalogue.
func (mk *Market) list(cm *engine.Certified) error {
	t, subject, c := cm.Task, cm.Subject, cm.Credential
	license := cm.License
	if license == "" {
		license = UnspecifiedLicense
	}
	card := &Card{
		Type: CardType, Version: CardVersion,
		ID:     strings.TrimPrefix(c.ID, "urn:uuid:"),
		Issuer: mk.e.HostDID(), Credential: c.ID,
		Model:       c.Model,
		ModuleBytes: cm.ModuleBytes,
		Task: CardTask{ID: t.Spec.ID, Title: t.Spec.Title, Type: t.Spec.Type, Metric: t.Spec.Metric,
			HigherIsBetter: t.HigherIsBetter, DatasetSHA256: t.DatasetSHA256},
		Input:  CardInput{IDColumn: t.Spec.Data.ID, Features: t.Features},
		Output: CardOutput{Columns: outputColumns(t.Outputs), Classes: t.Classes, Meaning: outputMeaning(t.Spec.Type)},
		Scores: CardScores{Public: subject.Scores.Public, Private: subject.Scores.Private},
		Rank:   subject.Rank, RankedParticipants: subject.RankedParticipants,
		Author: credential.ParticipantName(subject.Author), License: license,
		MemoryMB: t.Spec.Limits.MemoryMB,
		Created:  c.ValidFrom,
	}
	signedCard, err := mk.signCard(card)
	if err != nil {
		return err
	}
	err = mk.store.PutMarketEntry(toMarketStore(card, c.Signed, signedCard, false))
	if err != nil && !errors.Is(err, leaderboard.ErrExists) { // listed meanwhile: the same card
		return fmt.Errorf("market entry %s: %w", card.ID, err)
	}
	return nil
}

// Predict runs a marketplace model in the sandbox on new rows: input is a
// table (CSV, Parquet or Arrow IPC; name is its file name, for the format
// and errors) with the card's id column and feature columns, by name;
// other columns are ignored. The model runs under the memory limit it was
// certified with. A revoked model is refused (ErrBadRequest); an input
// that does not parse is ErrBadRequest wrapping the *datasets.ParseError.
func (mk *Market) Predict(ctx context.Context, id string, input io.Reader, name string) (*engine.Predictions, error) {
	me, err := mk.Entry(id)
	if err != nil {
		return nil, err
	}
	if me.Revoked != nil {
		return nil, mk.refuseRevoked(me)
	}
	d, err := datasets.Read(input, name, datasets.Auto, datasets.Schema{ID: me.Card.Input.IDColumn, Features: me.Card.Input.Features})
	if err != nil {
		return nil, fmt.Errorf("predict with %s: input: %w: %w", me.ID, err, engine.ErrBadRequest)
	}
	defer d.Release()
	return mk.run(ctx, me, d)
}

// Refreshed is the outcome of Refresh.
type Refreshed struct {
	Issuer  string  `json:"issuer"`  // who signed the list
	Checked int     `json:"checked"` // ingested models the list applies to
	Revoked []Entry `json:"revoked"` // those it revokes, now marked
}

// Refresh checks the ingested models against a newer status list of
// their issuer (a marketplace learns of a revocation after ingest only
// this way): the list must verify (else ErrBadRequest); each ingested,
// not yet revoked model whose credential points at it is checked, the
// list kept for its next export, and a revoked one marked. A list that
// applies to no ingested model is ErrBadRequest.
func (mk *Market) Refresh(ctx context.Context, list []byte) (*Refreshed, error) {
	if len(list) > MaxStatusListSize {
		return nil, fmt.Errorf("status list: %d bytes, more than %d: %w", len(list), MaxStatusListSize, engine.ErrBadRequest)
	}
	v, err := credential.Verify(list, nil)
	if err != nil {
		return nil, fmt.Errorf("status list: %w: %w", err, engine.ErrBadRequest)
	}
	out := &Refreshed{Issuer: v.Issuer, Revoked: []Entry{}}
	all, err := mk.store.MarketEntries("")
	if err != nil {
		return nil, fmt.Errorf("list marketplace: %w", err)
	}
	now := mk.e.Now()
	for _, m := range all {
		if !m.Ingested || !m.Revoked.IsZero() || m.Issuer != v.Issuer {
			continue
		}
		st := mk.statusOf(ctx, m)
		if st == nil {
			continue
		}
		revoked, err := credential.CheckStatus(*st, list, m.Issuer, now)
		if err != nil {
			continue // another list of this issuer, or not valid now
		}
		out.Checked++
		if err := os.MkdirAll(filepath.Dir(mk.statusPath(m.ID)), 0o755); err != nil {
			return nil, fmt.Errorf("market entry %s: %w", m.ID, err)
		}
		if err := durable.WriteFile(mk.statusPath(m.ID), list, 0o600); err != nil {
			return nil, fmt.Errorf("market entry %s: status list: %w", m.ID, err)
		}
		if !revoked {
			continue
		}
		rm, err := mk.store.RevokeMarketEntry(m.ID, now.UTC(), "revoked in the issuer's status list")
		if err != nil {
			return nil, fmt.Errorf("market entry %s: %w", m.ID, err)
		}
		me, err := fromMarketStore(rm)
		if err != nil {
			return nil, err
		}
		out.Revoked = append(out.Revoked, me)
	}
	issuers, err := mk.Issuers()
	if err != nil {
		return nil, err
	}
	prices, err := mk.prices()
	if err != nil {
		return nil, err
	}
	for i := range out.Revoked {
		out.Revoked[i].Trusted = mk.trusted(issuers, &out.Revoked[i].Card) != nil
		out.Revoked[i].PricePer1000 = priceOf(prices, out.Revoked[i].ID)
	}
	if out.Checked == 0 {
		return nil, fmt.Errorf("status list of %s applies to no ingested model: %w", v.Issuer, engine.ErrBadRequest)
	}
	return out, nil
}

// certified is the engine's OnCertified hook: it lists a certified model
// not listed yet (a crash may have come between its credential and its
// listing), and marks it revoked if its credential has been since.
func (mk *Market) certified(ctx context.Context, c *engine.Credential) error {
	id := strings.TrimPrefix(c.ID, "urn:uuid:")
	m, err := mk.store.MarketEntry(id)
	switch {
	case errors.Is(err, leaderboard.ErrNotFound):
		cm, err := mk.e.CertifiedModel(ctx, c)
		if err != nil {
			return fmt.Errorf("list %s: %w", c.ID, err)
		}
		if err := mk.list(cm); err != nil {
			return fmt.Errorf("list %s: %w", c.ID, err)
		}
	case err != nil:
		return fmt.Errorf("market entry %s: %w", id, err)
	case !m.Revoked.IsZero() || c.Revoked == nil:
		return nil
	}
	return mk.revoked(ctx, c)
}

// revoked is the engine's OnRevoked hook: it marks the catalogue entry of
// a revoked credential, keeping a first revocation (none is fine: the
// next CatchUp lists it, revoked).
func (mk *Market) revoked(_ context.Context, c *engine.Credential) error {
	if c.Revoked == nil {
		return nil
	}
	_, err := mk.store.RevokeMarketEntry(strings.TrimPrefix(c.ID, "urn:uuid:"), c.Revoked.Time, c.Revoked.Reason)
	if err != nil && !errors.Is(err, leaderboard.ErrNotFound) {
		return fmt.Errorf("revoke market entry of %s: %w", c.ID, err)
	}
	return nil
}
