package engine

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
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox"
)

// The marketplace: every credential Promote issues also puts the model in
// the data dir's catalogue (leaderboard's table of MarketEntry), with a
// model card the host signs; a catalogue entry can be exported as a bundle
// and ingested by another data dir, which checks every signature first.

// Errors of the marketplace.
var (
	// ErrBundle is wrapped by every *BundleError: a bundle refused by
	// Ingest.
	ErrBundle = errors.New("engine: marketplace bundle refused")
	// ErrCardMismatch reports a model card that is validly signed but does
	// not describe the credential and module it came with.
	ErrCardMismatch = errors.New("engine: model card disagrees with its credential")
	// ErrCard reports a model card that is not a well-formed card.
	ErrCard = errors.New("engine: malformed model card")
)

// Sizes bounding what a bundle may hold.
const (
	MaxCardSize       = 1 << 20
	MaxStatusListSize = 32 << 20
	// MaxLicenseLength bounds SubmitRequest.License, in bytes.
	MaxLicenseLength = 200
)

// UnspecifiedLicense is the license a card states when the participant
// gave none.
const UnspecifiedLicense = "unspecified"

// MarketEntry is a model in the marketplace.
type MarketEntry struct {
	ID string `json:"id"`
	// Score is the certified score (CardScores.Certified).
	Score float64 `json:"score"`
	// Origin is "promoted" (certified by this data dir) or "ingested".
	Origin  string      `json:"origin"`
	Revoked *Revocation `json:"revoked,omitempty"`
	Card    ModelCard   `json:"card"`
	// Credential and SignedCard are the signed documents; only
	// Engine.MarketEntry fills them.
	Credential json.RawMessage `json:"credential,omitempty"`
	SignedCard json.RawMessage `json:"signed_card,omitempty"`
}

// MarketQuery selects marketplace entries. The zero value selects every
// entry that is not revoked.
type MarketQuery struct {
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
	// Limit caps the result; 0 is no cap.
	Limit int `json:"limit,omitempty"`
}

// Validate reports an unknown task type or metric, a non-finite minimum
// score and a negative limit, wrapping ErrBadRequest.
func (q MarketQuery) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("market query: "+format+": %w", append(args, ErrBadRequest)...)
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
func (q MarketQuery) match(m leaderboard.MarketEntry, card *ModelCard) bool {
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

// Market returns the marketplace entries q selects, ranked: by metric,
// then best certified score first in the metric's direction, then the
// earlier, then by id. Entries carry no signed documents.
func (e *Engine) Market(q MarketQuery) ([]MarketEntry, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	all, err := e.store.MarketEntries("")
	if err != nil {
		return nil, fmt.Errorf("list marketplace: %w", err)
	}
	type hit struct {
		m  leaderboard.MarketEntry
		me MarketEntry
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
	ranked := make([]MarketEntry, 0, len(hits))
	for _, h := range hits {
		ranked = append(ranked, h.me)
	}
	if q.Limit > 0 && len(ranked) > q.Limit {
		ranked = ranked[:q.Limit]
	}
	return ranked, nil
}

// MarketEntry returns one marketplace entry with its signed documents. id
// is the entry's id (the credential's UUID, with or without "urn:uuid:")
// or a unique prefix of it (MinIDPrefix, ShortID).
func (e *Engine) MarketEntry(id string) (*MarketEntry, error) {
	m, err := e.marketEntry(id)
	if err != nil {
		return nil, err
	}
	me, err := fromMarketStore(m)
	if err != nil {
		return nil, err
	}
	me.Credential, me.SignedCard = m.Credential, m.Card
	return &me, nil
}

func (e *Engine) marketEntry(id string) (leaderboard.MarketEntry, error) {
	full, err := e.resolveMarket(id)
	if err != nil {
		return leaderboard.MarketEntry{}, err
	}
	m, err := e.store.MarketEntry(full)
	if err != nil {
		return m, fmt.Errorf("market entry %q: %w", full, err)
	}
	return m, nil
}

// fromMarketStore converts a catalogue entry, decoding its card (signed by
// this data dir or verified at ingest, so not verified again).
func fromMarketStore(m leaderboard.MarketEntry) (MarketEntry, error) {
	me := MarketEntry{ID: m.ID, Score: m.Score, Origin: "promoted"}
	if m.Ingested {
		me.Origin = "ingested"
	}
	if !m.Revoked.IsZero() {
		me.Revoked = &Revocation{Time: m.Revoked, Reason: m.RevokedReason}
	}
	if err := json.Unmarshal(m.Card, &me.Card); err != nil {
		return me, fmt.Errorf("market entry %q: decode card: %w", m.ID, err)
	}
	return me, nil
}

func toMarketStore(c *ModelCard, signedCred, signedCard []byte, ingested bool) leaderboard.MarketEntry {
	return leaderboard.MarketEntry{
		ID: c.ID, Task: c.Task.ID, TaskType: c.Task.Type, Metric: c.Task.Metric,
		HigherIsBetter: c.Task.HigherIsBetter, Score: c.Scores.Certified(),
		Features: c.Input.Features, Author: c.Author, Issuer: c.Issuer,
		ModuleSHA256: strings.TrimPrefix(c.Model, "urn:sha256:"), Created: c.Created,
		Ingested: ingested, Credential: signedCred, Card: signedCard,
	}
}

// checkLicense checks SubmitRequest.License.
func checkLicense(l string) error {
	if len(l) > MaxLicenseLength {
		return fmt.Errorf("license: %d bytes, more than %d: %w", len(l), MaxLicenseLength, ErrBadRequest)
	}
	if !utf8.ValidString(l) || strings.IndexFunc(l, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("license %.40q: not printable text: %w", l, ErrBadRequest)
	}
	return nil
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

// enterMarket signs the model card of a credential just issued and puts
// the model in the catalogue.
func (e *Engine) enterMarket(lt *loadedTask, sub Submission, subject credential.ModelSubject, credID string, signed []byte, moduleBytes int, at time.Time) error {
	t := lt.task
	license := sub.License
	if license == "" {
		license = UnspecifiedLicense
	}
	card := &ModelCard{
		Type: ModelCardType, Version: ModelCardVersion,
		ID:     strings.TrimPrefix(credID, "urn:uuid:"),
		Issuer: e.HostDID(), Credential: credID,
		Model:       "urn:sha256:" + sub.ModuleSHA256,
		ModuleBytes: moduleBytes,
		Task: CardTask{ID: t.Spec.ID, Title: t.Spec.Title, Type: t.Spec.Type, Metric: t.Spec.Metric,
			HigherIsBetter: t.HigherIsBetter, DatasetSHA256: t.DatasetSHA256},
		Input:  CardInput{IDColumn: t.Spec.Data.ID, Features: t.Features},
		Output: CardOutput{Columns: outputColumns(t.Outputs), Classes: t.Classes, Meaning: outputMeaning(t.Spec.Type)},
		Scores: CardScores{Public: subject.Scores.Public, Private: subject.Scores.Private},
		Rank:   subject.Rank, RankedParticipants: subject.RankedParticipants,
		Author: credential.ParticipantName(subject.Author), License: license,
		MemoryMB: t.Spec.Limits.MemoryMB,
		Created:  at,
	}
	signedCard, err := e.signCard(card)
	if err != nil {
		return err
	}
	if err := e.store.PutMarketEntry(toMarketStore(card, signed, signedCard, false)); err != nil {
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
func (e *Engine) Predict(ctx context.Context, id string, input io.Reader, name string) (*Predictions, error) {
	me, err := e.MarketEntry(id)
	if err != nil {
		return nil, err
	}
	if me.Revoked != nil {
		return nil, fmt.Errorf("market entry %s: revoked at %s (%s): %w", me.ID, me.Revoked.Time.Format(time.RFC3339), me.Revoked.Reason, ErrBadRequest)
	}
	module, err := e.marketModule(me)
	if err != nil {
		return nil, err
	}
	d, err := datasets.Read(input, name, datasets.Auto, datasets.Schema{ID: me.Card.Input.IDColumn, Features: me.Card.Input.Features})
	if err != nil {
		return nil, fmt.Errorf("predict with %s: input: %w: %w", me.ID, err, ErrBadRequest)
	}
	defer d.Release()
	rt, err := e.runtime(ctx, sandbox.Limits{MemoryMB: me.Card.MemoryMB})
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
	return &Predictions{IDs: slices.Clone(d.IDs), Columns: me.Card.Output.Columns, Values: res.Outputs}, nil
}

// MarketRefresh is the outcome of RefreshMarket.
type MarketRefresh struct {
	Issuer  string        `json:"issuer"`  // who signed the list
	Checked int           `json:"checked"` // ingested models the list applies to
	Revoked []MarketEntry `json:"revoked"` // those it revokes, now marked
}

// RefreshMarket checks the ingested models against a newer status list of
// their issuer (a marketplace learns of a revocation after ingest only
// this way): the list must verify (else ErrBadRequest); each ingested,
// not yet revoked model whose credential points at it is checked, the
// list kept for its next export, and a revoked one marked. A list that
// applies to no ingested model is ErrBadRequest.
func (e *Engine) RefreshMarket(ctx context.Context, list []byte) (*MarketRefresh, error) {
	if len(list) > MaxStatusListSize {
		return nil, fmt.Errorf("status list: %d bytes, more than %d: %w", len(list), MaxStatusListSize, ErrBadRequest)
	}
	v, err := credential.Verify(list, nil)
	if err != nil {
		return nil, fmt.Errorf("status list: %w: %w", err, ErrBadRequest)
	}
	out := &MarketRefresh{Issuer: v.Issuer, Revoked: []MarketEntry{}}
	all, err := e.store.MarketEntries("")
	if err != nil {
		return nil, fmt.Errorf("list marketplace: %w", err)
	}
	now := e.cfg.Now()
	for _, m := range all {
		if !m.Ingested || !m.Revoked.IsZero() || m.Issuer != v.Issuer {
			continue
		}
		res, err := credential.VerifyModel(ctx, m.Credential, credential.VerifyOptions{Issuer: m.Issuer, Now: m.Created})
		if err != nil || res.Credential.Status == nil {
			continue
		}
		revoked, err := credential.CheckStatus(*res.Credential.Status, list, m.Issuer, now)
		if err != nil {
			continue // another list of this issuer, or not valid now
		}
		out.Checked++
		if err := os.MkdirAll(filepath.Dir(marketStatusPath(e.cfg.DataDir, m.ID)), 0o755); err != nil {
			return nil, fmt.Errorf("market entry %s: %w", m.ID, err)
		}
		if err := writeFileAtomic(marketStatusPath(e.cfg.DataDir, m.ID), list); err != nil {
			return nil, fmt.Errorf("market entry %s: status list: %w", m.ID, err)
		}
		if !revoked {
			continue
		}
		rm, err := e.store.RevokeMarketEntry(m.ID, now.UTC(), "revoked in the issuer's status list")
		if err != nil {
			return nil, fmt.Errorf("market entry %s: %w", m.ID, err)
		}
		me, err := fromMarketStore(rm)
		if err != nil {
			return nil, err
		}
		out.Revoked = append(out.Revoked, me)
	}
	if out.Checked == 0 {
		return nil, fmt.Errorf("status list of %s applies to no ingested model: %w", v.Issuer, ErrBadRequest)
	}
	return out, nil
}

// ensureMarket puts an issued credential's model in the marketplace if it
// is not there: its credential was issued before the marketplace existed,
// or a crash came between the two.
func (e *Engine) ensureMarket(ctx context.Context, c *Credential) error {
	id := strings.TrimPrefix(c.ID, "urn:uuid:")
	if _, err := e.store.MarketEntry(id); !errors.Is(err, leaderboard.ErrNotFound) {
		return err
	}
	res, err := credential.VerifyModel(ctx, c.Signed, credential.VerifyOptions{Issuer: e.HostDID(), Now: c.ValidFrom})
	if err != nil {
		return fmt.Errorf("credential %s: %w", c.ID, err)
	}
	lt, err := e.load(c.Task)
	if err != nil {
		return err
	}
	sha := strings.TrimPrefix(c.Model, "urn:sha256:")
	subs, err := e.store.EntrantSubmissions(c.Task, c.Author)
	if err != nil {
		return fmt.Errorf("credential %s: %w", c.ID, err)
	}
	sub := Submission{ModuleSHA256: sha}
	for _, ls := range subs {
		if ls.ModuleSHA256 == sha {
			sub = fromStore(ls)
			break
		}
	}
	fi, err := os.Stat(filepath.Join(moduleDir(e.cfg.DataDir), sha+".wasm"))
	if err != nil {
		return fmt.Errorf("credential %s: module: %w", c.ID, err)
	}
	if err := e.enterMarket(lt, sub, res.Credential.Subject, c.ID, c.Signed, int(fi.Size()), c.ValidFrom); err != nil {
		return fmt.Errorf("credential %s: %w", c.ID, err)
	}
	if c.Revoked != nil {
		return e.marketRevoke(c.ID, *c.Revoked)
	}
	return nil
}

// marketRevoke marks the catalogue entry of a revoked credential (none is
// fine: a credential issued before the marketplace existed).
func (e *Engine) marketRevoke(credID string, r Revocation) error {
	_, err := e.store.RevokeMarketEntry(strings.TrimPrefix(credID, "urn:uuid:"), r.Time, r.Reason)
	if err != nil && !errors.Is(err, leaderboard.ErrNotFound) {
		return fmt.Errorf("revoke market entry of %s: %w", credID, err)
	}
	return nil
}
