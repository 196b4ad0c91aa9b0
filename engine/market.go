package engine

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// BundleError is a bundle that Ingest refuses: File names the member at
// fault (BundleModule, BundleCredential, BundleCard or BundleStatusList)
// and Err the cause: credential.ErrBadSignature, ErrModelMismatch,
// ErrRevoked, ErrIssuerMismatch, ErrStatus …, ErrCardMismatch, ErrCard, or
// an I/O error. It also matches ErrBundle and ErrBadRequest.
type BundleError struct {
	File string
	Err  error
}

func (e *BundleError) Error() string {
	return fmt.Sprintf("bundle %s: %v", e.File, e.Err)
}

func (e *BundleError) Unwrap() []error { return []error{e.Err, ErrBundle, ErrBadRequest} }

// Bundle member names: the files `verdict market export` writes.
const (
	BundleModule     = "model.wasm"
	BundleCredential = "credential.json"
	BundleCard       = "card.json"
	// BundleStatusList is the issuer's signed status list when the bundle
	// was made, so that a marketplace offline can check revocation; a
	// fresher list passed to Ingest takes precedence.
	BundleStatusList = "status.json"
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

// ModelCardType and ModelCardVersion identify a model card document.
const (
	ModelCardType    = "VerdictModelCard"
	ModelCardVersion = 1
)

// ModelCard describes a certified model for someone who wants to use it:
// what it was certified on, what it reads and writes, how well it scored,
// who made it and under what license. The host signs it (eddsa-jcs-2022,
// like the credential) so that none of it can be changed on the way to
// another marketplace; everything it shares with the credential must agree
// with it.
type ModelCard struct {
	Type    string `json:"type"`    // ModelCardType
	Version int    `json:"version"` // ModelCardVersion
	// ID is the marketplace id: the credential's UUID.
	ID string `json:"id"`
	// Issuer is the host's did:key, which signs the card and the credential.
	Issuer     string `json:"issuer"`
	Credential string `json:"credential"` // urn:uuid:…
	Model      string `json:"model"`      // urn:sha256:<hex of the wasm>
	// ModuleBytes is the size of the wasm.
	ModuleBytes int        `json:"module_bytes"`
	Task        CardTask   `json:"task"`
	Input       CardInput  `json:"input"`
	Output      CardOutput `json:"output"`
	Scores      CardScores `json:"scores"`
	// Rank is the model's place among RankedParticipants at close.
	Rank               int    `json:"rank"`
	RankedParticipants int    `json:"ranked_participants"`
	Author             string `json:"author"`  // the participant's DID or name
	License            string `json:"license"` // as given at submission, or UnspecifiedLicense
	// MemoryMB is the guest memory limit the model was certified under;
	// Predict runs it under the same (0: sandbox.DefaultMemoryMB).
	MemoryMB uint32    `json:"memory_mb"`
	Created  time.Time `json:"created"` // when the credential was issued
}

// CardTask is the competition a model was certified in.
type CardTask struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	Type           string `json:"type"`
	Metric         string `json:"metric"`
	HigherIsBetter bool   `json:"higher_is_better"`
	DatasetSHA256  string `json:"dataset_sha256"`
}

// CardInput is what the model reads: a table with an id column and the
// feature columns, in this order.
type CardInput struct {
	IDColumn string   `json:"id_column"`
	Features []string `json:"features"`
}

// CardOutput is what the model writes for each row.
type CardOutput struct {
	Columns []string `json:"columns"` // "p", or "p0".."pC-1" (multiclass)
	Classes int      `json:"classes,omitempty"`
	Meaning string   `json:"meaning"`
}

// CardScores are the model's certified scores, as in its credential.
type CardScores struct {
	Public  credential.Score  `json:"public"`
	Private *credential.Score `json:"private,omitempty"`
}

// Certified is the score the model was certified with: the private one,
// else the public one.
func (s CardScores) Certified() float64 {
	if s.Private != nil {
		return s.Private.Value
	}
	return s.Public.Value
}

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
	out := []MarketEntry{}
	var kept []leaderboard.MarketEntry
	for _, m := range all {
		me, err := fromMarketStore(m)
		if err != nil {
			return nil, err
		}
		if q.match(m, &me.Card) {
			kept = append(kept, m)
			out = append(out, me)
		}
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := kept[i], kept[j]
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
	ranked := make([]MarketEntry, 0, len(out))
	for _, i := range order {
		ranked = append(ranked, out[i])
	}
	if q.Limit > 0 && len(ranked) > q.Limit {
		ranked = ranked[:q.Limit]
	}
	return ranked, nil
}

// MarketEntry returns one marketplace entry with its signed documents. id
// is the entry's id (the credential's UUID, with or without "urn:uuid:")
// or a unique prefix of at least 4 characters.
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
	id = strings.TrimPrefix(id, "urn:uuid:")
	m, err := e.store.MarketEntry(id)
	if err == nil {
		return m, nil
	}
	if !errors.Is(err, leaderboard.ErrNotFound) && !errors.Is(err, leaderboard.ErrInvalidKey) {
		return m, fmt.Errorf("market entry %q: %w", id, err)
	}
	if len(id) >= 4 && !errors.Is(err, leaderboard.ErrInvalidKey) {
		ms, err := e.store.MarketEntries(id)
		if err != nil {
			return m, fmt.Errorf("market entry %q: %w", id, err)
		}
		switch len(ms) {
		case 1:
			return ms[0], nil
		case 0:
		default:
			return m, fmt.Errorf("market entry %q: prefix of %d entries (%s, %s, …): %w", id, len(ms), ms[0].ID, ms[1].ID, ErrBadRequest)
		}
	}
	return m, fmt.Errorf("market entry %q: %w", id, ErrNotFound)
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
		Author: subject.Author, License: license,
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

func (e *Engine) signCard(c *ModelCard) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode model card %s: %w", c.ID, err)
	}
	signed, err := credential.Sign(b, e.hostKey, credential.ProofOptions{Created: c.Created})
	if err != nil {
		return nil, fmt.Errorf("sign model card %s: %w", c.ID, err)
	}
	return signed, nil
}

// ParseModelCard verifies a signed model card (its eddsa-jcs-2022 proof,
// and that its issuer is the did:key that signed it) and decodes it
// strictly: unknown members, a wrong type or version, and incomplete or
// inconsistent fields are ErrCard. It returns the card as signed.
func ParseModelCard(signed []byte) (*ModelCard, error) {
	if len(signed) > MaxCardSize {
		return nil, fmt.Errorf("%d bytes, more than %d: %w", len(signed), MaxCardSize, ErrCard)
	}
	res, err := credential.Verify(signed, nil)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(res.Document))
	dec.DisallowUnknownFields()
	var c ModelCard
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrCard)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.Issuer != res.Issuer {
		return nil, fmt.Errorf("issuer %.80q, signed by %.80q: %w", c.Issuer, res.Issuer, ErrCard)
	}
	return &c, nil
}

// validate checks what a card must hold on its own.
func (c *ModelCard) validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrCard)
	}
	hexHash, ok := strings.CutPrefix(c.Model, "urn:sha256:")
	switch {
	case c.Type != ModelCardType:
		return bad("type", "got %.40q, want %q", c.Type, ModelCardType)
	case c.Version != ModelCardVersion:
		return bad("version", "got %d, want %d", c.Version, ModelCardVersion)
	case c.Credential != "urn:uuid:"+c.ID || c.ID == "" || leaderboardID(c.ID) != nil:
		return bad("id", "%.60q is not the UUID of credential %.60q", c.ID, c.Credential)
	case !ok || len(hexHash) != 64 || strings.ToLower(hexHash) != hexHash || !isHex(hexHash):
		return bad("model", "%.80q is not urn:sha256:<64 hex digits>", c.Model)
	case c.ModuleBytes <= 0:
		return bad("module_bytes", "%d", c.ModuleBytes)
	case c.Task.ID == "" || c.Task.Metric == "":
		return bad("task", "id and metric are required")
	case c.Input.IDColumn == "" || len(c.Input.Features) == 0:
		return bad("input", "an id column and at least one feature are required")
	case len(c.Output.Columns) == 0 || len(c.Output.Columns) > 1<<16:
		return bad("output.columns", "%d columns", len(c.Output.Columns))
	case c.Author == "" || c.License == "":
		return bad("author, license", "required")
	case c.Created.IsZero():
		return bad("created", "missing")
	}
	if !slices.Equal(c.Output.Columns, outputColumns(len(c.Output.Columns))) {
		return bad("output.columns", "want p, or p0…pN")
	}
	seen := make(map[string]bool, len(c.Input.Features)+1)
	for _, f := range append([]string{c.Input.IDColumn}, c.Input.Features...) {
		if seen[f] || f == "" {
			return bad("input", "column %.40q empty or repeated", f)
		}
		seen[f] = true
	}
	if math.IsNaN(c.Scores.Certified()) || math.IsInf(c.Scores.Certified(), 0) {
		return bad("scores", "not finite")
	}
	return nil
}

func leaderboardID(id string) error {
	if len(id) > leaderboard.MaxIDLength || strings.ContainsAny(id, "\x00/\\.") {
		return errors.New("bad id")
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// agrees checks that the card describes the verified credential and its
// module: every fact they share must be equal.
func (c *ModelCard) agrees(v *credential.ModelResult, module []byte) error {
	mc := v.Credential
	s := mc.Subject
	mismatch := func(field string, card, cred any) error {
		return fmt.Errorf("%s: card says %.80v, credential says %.80v: %w", field, card, cred, ErrCardMismatch)
	}
	model := "urn:sha256:" + hex.EncodeToString(s.Model[:])
	private := func(p *credential.Score) any {
		if p == nil {
			return "none"
		}
		return *p
	}
	switch {
	case c.Issuer != v.Issuer:
		return mismatch("issuer", c.Issuer, v.Issuer)
	case c.Credential != mc.ID:
		return mismatch("credential", c.Credential, mc.ID)
	case c.Model != model:
		return mismatch("model", c.Model, model)
	case c.ModuleBytes != len(module):
		return mismatch("module_bytes", c.ModuleBytes, len(module))
	case c.Author != s.Author:
		return mismatch("author", c.Author, s.Author)
	case c.Task.ID != s.Task.ID:
		return mismatch("task.id", c.Task.ID, s.Task.ID)
	case c.Task.Title != s.Task.Title:
		return mismatch("task.title", c.Task.Title, s.Task.Title)
	case c.Task.Type != s.Task.Type:
		return mismatch("task.type", c.Task.Type, s.Task.Type)
	case c.Task.Metric != s.Task.Metric:
		return mismatch("task.metric", c.Task.Metric, s.Task.Metric)
	case "sha256:"+c.Task.DatasetSHA256 != s.Task.DatasetHash:
		return mismatch("task.dataset_sha256", c.Task.DatasetSHA256, s.Task.DatasetHash)
	case c.Scores.Public != s.Scores.Public:
		return mismatch("scores.public", c.Scores.Public, s.Scores.Public)
	case (c.Scores.Private == nil) != (s.Scores.Private == nil) ||
		c.Scores.Private != nil && *c.Scores.Private != *s.Scores.Private:
		return mismatch("scores.private", private(c.Scores.Private), private(s.Scores.Private))
	case c.Rank != s.Rank || c.RankedParticipants != s.RankedParticipants:
		return mismatch("rank", fmt.Sprintf("%d of %d", c.Rank, c.RankedParticipants), fmt.Sprintf("%d of %d", s.Rank, s.RankedParticipants))
	case !c.Created.Equal(mc.ValidFrom):
		return mismatch("created", c.Created.Format(time.RFC3339), mc.ValidFrom.Format(time.RFC3339))
	}
	if m, err := metric.Lookup(c.Task.Metric); err == nil && m.HigherIsBetter != c.Task.HigherIsBetter {
		return fmt.Errorf("task.higher_is_better: %v for metric %s: %w", c.Task.HigherIsBetter, c.Task.Metric, ErrCard)
	}
	return nil
}

// Bundle is a marketplace entry as files: what ExportBundle writes and
// Ingest reads.
type Bundle struct {
	Module     []byte
	Credential []byte
	Card       []byte
	StatusList []byte // nil: the bundle carries no status list
}

// ReadBundle reads the bundle in dir, each member bounded (the module by
// sandbox.DefaultMaxModuleBytes). A missing status list is not an error.
func ReadBundle(dir string) (*Bundle, error) {
	var b Bundle
	members := []struct {
		name     string
		max      int64
		dst      *[]byte
		optional bool
	}{
		{BundleModule, sandbox.DefaultMaxModuleBytes, &b.Module, false},
		{BundleCredential, credential.MaxDocumentSize, &b.Credential, false},
		{BundleCard, MaxCardSize, &b.Card, false},
		{BundleStatusList, MaxStatusListSize, &b.StatusList, true},
	}
	for _, m := range members {
		data, err := readBounded(filepath.Join(dir, m.name), m.max)
		if m.optional && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &BundleError{File: m.name, Err: err}
		}
		*m.dst = data
	}
	return &b, nil
}

func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

// Write writes the bundle's members into dir, which must not exist or be
// empty.
func (b *Bundle) Write(dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("export to %s: directory not empty: %w", dir, ErrBadRequest)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	files := []struct {
		name string
		data []byte
	}{{BundleModule, b.Module}, {BundleCredential, b.Credential}, {BundleCard, b.Card}, {BundleStatusList, b.StatusList}}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

func marketStatusPath(root, id string) string {
	return filepath.Join(root, "market", id+".status.json")
}

// Bundle returns a marketplace entry as a bundle: the module, the
// credential, the signed card and the issuer's status list (this data
// dir's for a promoted model; the one checked at ingest otherwise, if
// any). A revoked entry has no bundle (ErrBadRequest).
func (e *Engine) Bundle(id string) (*MarketEntry, *Bundle, error) {
	me, err := e.MarketEntry(id)
	if err != nil {
		return nil, nil, err
	}
	if me.Revoked != nil {
		return nil, nil, fmt.Errorf("market entry %s: revoked at %s (%s): %w", me.ID, me.Revoked.Time.Format(time.RFC3339), me.Revoked.Reason, ErrBadRequest)
	}
	b := &Bundle{Credential: me.Credential, Card: me.SignedCard}
	if b.Module, err = e.marketModule(me); err != nil {
		return nil, nil, err
	}
	statusPath := e.StatusListPath()
	if me.Origin == "ingested" {
		statusPath = marketStatusPath(e.cfg.DataDir, me.ID)
	}
	if b.StatusList, err = os.ReadFile(statusPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("market entry %s: status list: %w", me.ID, err)
	}
	return me, b, nil
}

// ExportBundle writes a marketplace entry's Bundle to dir, which must not
// exist or be empty.
func (e *Engine) ExportBundle(id, dir string) (*MarketEntry, error) {
	me, b, err := e.Bundle(id)
	if err != nil {
		return nil, err
	}
	if err := b.Write(dir); err != nil {
		return nil, err
	}
	return me, nil
}

// marketModule reads an entry's module and checks it is the certified one.
func (e *Engine) marketModule(me *MarketEntry) ([]byte, error) {
	sha := strings.TrimPrefix(me.Card.Model, "urn:sha256:")
	module, err := os.ReadFile(filepath.Join(moduleDir(e.cfg.DataDir), sha+".wasm"))
	if err != nil {
		return nil, fmt.Errorf("market entry %s: module: %w", me.ID, err)
	}
	if sum := sha256.Sum256(module); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("market entry %s: module on disk has SHA-256 %x, want %s", me.ID, sum, sha)
	}
	return module, nil
}

// IngestOptions are the options of Ingest. The zero value accepts a
// bundle from any issuer whose signatures verify, checking revocation
// against the bundle's own status list.
type IngestOptions struct {
	// Issuer, if set, is the only DID whose bundles are accepted.
	Issuer string
	// StatusList, if set, is the issuer's current signed status list, used
	// instead of the bundle's (which may be older than a revocation).
	StatusList []byte
}

// VerifyBundle checks a bundle as Ingest does, without storing it: the
// credential's proof, did:key and issuer binding (and opts.Issuer), the
// module's SHA-256 against the credential subject, revocation against the
// status list (opts.StatusList, else the bundle's; a revocable credential
// with neither is refused), the card's own signature by the same issuer,
// and that the card agrees with the credential. Every refusal is a
// *BundleError naming the file at fault.
func VerifyBundle(ctx context.Context, b *Bundle, opts IngestOptions, now time.Time) (*ModelCard, *credential.ModelResult, error) {
	list := opts.StatusList
	if list == nil {
		list = b.StatusList
	}
	res, err := credential.VerifyModel(ctx, b.Credential, credential.VerifyOptions{Issuer: opts.Issuer, Module: b.Module, Now: now})
	switch {
	case errors.Is(err, credential.ErrModelMismatch):
		return nil, nil, &BundleError{File: BundleModule, Err: err}
	case err != nil:
		return nil, nil, &BundleError{File: BundleCredential, Err: err}
	}
	if st := res.Credential.Status; st != nil {
		if list == nil {
			return nil, nil, &BundleError{File: BundleStatusList, Err: fmt.Errorf("missing: revocation of %s cannot be checked (pass the issuer's status list): %w", res.Credential.ID, credential.ErrStatus)}
		}
		revoked, err := credential.CheckStatus(*st, list, res.Issuer, now)
		if err != nil {
			return nil, nil, &BundleError{File: BundleStatusList, Err: err}
		}
		if revoked {
			return nil, nil, &BundleError{File: BundleCredential, Err: fmt.Errorf("credentialStatus: %s is revoked in the issuer's status list: %w", res.Credential.ID, credential.ErrRevoked)}
		}
		res.StatusChecked = true
	}
	card, err := ParseModelCard(b.Card)
	if err != nil {
		return nil, nil, &BundleError{File: BundleCard, Err: err}
	}
	if err := card.agrees(res, b.Module); err != nil {
		return nil, nil, &BundleError{File: BundleCard, Err: err}
	}
	return card, res, nil
}

// Ingest verifies a bundle (see VerifyBundle) and adds it to this data
// dir's marketplace: the module is kept like a submitted one, the status
// list checked is kept for export. An entry already here is ErrExists.
func (e *Engine) Ingest(ctx context.Context, b *Bundle, opts IngestOptions) (*MarketEntry, error) {
	card, _, err := VerifyBundle(ctx, b, opts, e.cfg.Now())
	if err != nil {
		return nil, err
	}
	if _, err := e.store.MarketEntry(card.ID); err == nil {
		return nil, fmt.Errorf("market entry %s: %w", card.ID, ErrExists)
	}
	if err := e.saveModule(strings.TrimPrefix(card.Model, "urn:sha256:"), b.Module); err != nil {
		return nil, fmt.Errorf("ingest %s: save module: %w", card.ID, err)
	}
	list := opts.StatusList
	if list == nil {
		list = b.StatusList
	}
	if list != nil {
		path := marketStatusPath(e.cfg.DataDir, card.ID)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", card.ID, err)
		}
		if err := writeFileAtomic(path, list); err != nil {
			return nil, fmt.Errorf("ingest %s: status list: %w", card.ID, err)
		}
	}
	err = e.store.PutMarketEntry(toMarketStore(card, b.Credential, b.Card, true))
	if errors.Is(err, leaderboard.ErrExists) {
		return nil, fmt.Errorf("market entry %s: %w", card.ID, ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", card.ID, err)
	}
	return e.MarketEntry(card.ID)
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
func (e *Engine) ensureMarket(c *Credential) error {
	id := strings.TrimPrefix(c.ID, "urn:uuid:")
	if _, err := e.store.MarketEntry(id); !errors.Is(err, leaderboard.ErrNotFound) {
		return err
	}
	res, err := credential.VerifyModel(context.Background(), c.Signed, credential.VerifyOptions{Issuer: e.HostDID(), Now: c.ValidFrom})
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
