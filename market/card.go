package market

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/leaderboard"
)

// CardType and CardVersion identify a model card document.
const (
	CardType    = "VerdictModelCard"
	CardVersion = 1
)

// Card describes a certified model for someone who wants to use it:
// what it was certified on, what it reads and writes, how well it scored,
// who made it and under what license. The host signs it (eddsa-jcs-2022,
// like the credential) so that none of it can be changed on the way to
// another marketplace; everything it shares with the credential must agree
// with it.
type Card struct {
	Type    string `json:"type"`    // CardType
	Version int    `json:"version"` // CardVersion
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
	Author             string `json:"author"`  // the participant's DID or name (the credential's author is its credential.ParticipantIRI); empty when not disclosed (DisclosureBundle)
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

func (mk *Market) signCard(c *Card) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode model card %s: %w", c.ID, err)
	}
	signed, err := mk.e.SignAsHost(b, c.Created)
	if err != nil {
		return nil, fmt.Errorf("sign model card %s: %w", c.ID, err)
	}
	return signed, nil
}

// ParseCard verifies a signed model card (its eddsa-jcs-2022 proof,
// and that its issuer is the did:key that signed it) and decodes it
// strictly: unknown members, a wrong type or version, and incomplete or
// inconsistent fields are ErrCard. It returns the card as signed.
func ParseCard(signed []byte) (*Card, error) {
	if len(signed) > MaxCardSize {
		return nil, fmt.Errorf("%d bytes, more than %d: %w", len(signed), MaxCardSize, ErrCard)
	}
	res, err := credential.Verify(signed, nil)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(res.Document))
	dec.DisallowUnknownFields()
	var c Card
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
func (c *Card) validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrCard)
	}
	hexHash, ok := strings.CutPrefix(c.Model, "urn:sha256:")
	switch {
	case c.Type != CardType:
		return bad("type", "got %.40q, want %q", c.Type, CardType)
	case c.Version != CardVersion:
		return bad("version", "got %d, want %d", c.Version, CardVersion)
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
	case c.License == "":
		return bad("license", "required")
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
func (c *Card) agrees(v *credential.ModelResult, module []byte) error {
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
	case c.Author != s.Author && credential.ParticipantIRI(c.Task.ID, c.Author) != s.Author:
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
