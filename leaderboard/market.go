package leaderboard

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// MarketEntry is one model in the marketplace catalogue: a certified
// model, promoted from a closed task of this store or ingested from
// another. The store keeps what search filters and ranks on as fields,
// and the signed documents (credential, card) as opaque bytes owned by
// the engine; the module itself is kept by the engine, named by
// ModuleSHA256.
type MarketEntry struct {
	// ID names the entry: the bare UUID of its credential, the same in
	// every store that holds it.
	ID                     string
	Task, TaskType, Metric string
	HigherIsBetter         bool
	// Score is the certified score (the private one, else the public one),
	// ranked in the metric's direction.
	Score    float64
	Features []string
	Author   string
	Issuer   string // the DID that signed the credential
	// ModuleSHA256 is the lowercase hex SHA-256 of the model's wasm.
	ModuleSHA256 string
	Created      time.Time // when the credential was issued
	// Ingested marks an entry taken from a bundle rather than promoted here.
	Ingested bool
	// Revoked is when the credential was revoked (zero: it is not), and
	// RevokedReason why.
	Revoked       time.Time
	RevokedReason string
	Credential    []byte // opaque: the signed credential
	Card          []byte // opaque: the signed model card
}

// marketRecord is the stored form of a MarketEntry (table 0x13), decoupled
// from the struct like the other records (see record.go).
type marketRecord struct {
	V              int       `json:"v"`
	ID             string    `json:"id"`
	Task           string    `json:"task"`
	TaskType       string    `json:"task_type"`
	Metric         string    `json:"metric"`
	HigherIsBetter bool      `json:"higher_is_better"`
	Score          float64   `json:"score"`
	Features       []string  `json:"features"`
	Author         string    `json:"author"`
	Issuer         string    `json:"issuer"`
	ModuleSHA256   string    `json:"module_sha256"`
	Created        time.Time `json:"created"`
	Ingested       bool      `json:"ingested,omitempty"`
	Revoked        time.Time `json:"revoked,omitzero"`
	RevokedReason  string    `json:"revoked_reason,omitempty"`
	Credential     []byte    `json:"credential"`
	Card           []byte    `json:"card"`
}

func encodeMarketEntry(m MarketEntry) ([]byte, error) {
	return json.Marshal(marketRecord{
		V: recordVersion, ID: m.ID, Task: m.Task, TaskType: m.TaskType, Metric: m.Metric,
		HigherIsBetter: m.HigherIsBetter, Score: m.Score, Features: m.Features,
		Author: m.Author, Issuer: m.Issuer, ModuleSHA256: m.ModuleSHA256, Created: m.Created,
		Ingested: m.Ingested, Revoked: m.Revoked, RevokedReason: m.RevokedReason,
		Credential: m.Credential, Card: m.Card,
	})
}

func decodeMarketEntry(b []byte) (MarketEntry, error) {
	var r marketRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return MarketEntry{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if r.V != recordVersion {
		return MarketEntry{}, fmt.Errorf("%w: record version %d, want %d", ErrCorrupt, r.V, recordVersion)
	}
	return MarketEntry{
		ID: r.ID, Task: r.Task, TaskType: r.TaskType, Metric: r.Metric,
		HigherIsBetter: r.HigherIsBetter, Score: r.Score, Features: r.Features,
		Author: r.Author, Issuer: r.Issuer, ModuleSHA256: r.ModuleSHA256, Created: r.Created,
		Ingested: r.Ingested, Revoked: r.Revoked, RevokedReason: r.RevokedReason,
		Credential: r.Credential, Card: r.Card,
	}, nil
}

// PutMarketEntry adds m to the catalogue. Entries are immutable but for
// revocation: it returns ErrExists if m.ID is taken, ErrInvalidKey if it
// cannot be a key, and ErrInvalidSubmission for a non-finite score.
func (s *Store) PutMarketEntry(m MarketEntry) error {
	if err := checkID("market entry", m.ID); err != nil {
		return err
	}
	if math.IsNaN(m.Score) || math.IsInf(m.Score, 0) {
		return fmt.Errorf("market entry %q: %w: score %v", m.ID, ErrInvalidSubmission, m.Score)
	}
	val, err := encodeMarketEntry(m)
	if err != nil {
		return fmt.Errorf("encode market entry %q: %w", m.ID, err)
	}
	k := key{table: tableMarket, id: m.ID}.encode()
	return s.update(func(txn *badger.Txn) error {
		_, found, err := get(txn, k)
		if err != nil {
			return fmt.Errorf("market entry %q: %w", m.ID, err)
		}
		if found {
			return fmt.Errorf("market entry %q: %w", m.ID, ErrExists)
		}
		return txn.Set(k, val)
	})
}

// MarketEntry returns the catalogue entry with the given id, or an error
// wrapping ErrNotFound.
func (s *Store) MarketEntry(id string) (MarketEntry, error) {
	if err := checkID("market entry", id); err != nil {
		return MarketEntry{}, err
	}
	var m MarketEntry
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		m, err = getMarketEntry(txn, id)
		return err
	})
	return m, err
}

func getMarketEntry(txn *badger.Txn, id string) (MarketEntry, error) {
	v, found, err := get(txn, key{table: tableMarket, id: id}.encode())
	if err != nil {
		return MarketEntry{}, fmt.Errorf("market entry %q: %w", id, err)
	}
	if !found {
		return MarketEntry{}, fmt.Errorf("market entry %q: %w", id, ErrNotFound)
	}
	m, err := decodeMarketEntry(v)
	if err != nil {
		return MarketEntry{}, fmt.Errorf("decode market entry %q: %w", id, err)
	}
	if m.ID != id {
		return MarketEntry{}, fmt.Errorf("decode market entry %q: %w: record holds id %q", id, ErrCorrupt, m.ID)
	}
	return m, nil
}

// MarketEntries returns the catalogue entries whose id starts with prefix
// ("" for all), ordered by id.
func (s *Store) MarketEntries(prefix string) ([]MarketEntry, error) {
	if strings.IndexByte(prefix, 0) >= 0 {
		return nil, fmt.Errorf("market entry prefix %q: %w: contains NUL", prefix, ErrInvalidKey)
	}
	out := []MarketEntry{}
	err := s.db.View(func(txn *badger.Txn) error {
		p := append([]byte{tableMarket}, prefix...)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read market key %x: %w", item.Key(), err)
			}
			m, err := decodeMarketEntry(v)
			if err != nil {
				return fmt.Errorf("decode market key %x: %w", item.Key(), err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeMarketEntry marks the entry revoked at the given time, for reason,
// and returns it. Revoking a revoked entry keeps the first revocation.
func (s *Store) RevokeMarketEntry(id string, at time.Time, reason string) (MarketEntry, error) {
	if err := checkID("market entry", id); err != nil {
		return MarketEntry{}, err
	}
	var m MarketEntry
	err := s.update(func(txn *badger.Txn) error {
		var err error
		if m, err = getMarketEntry(txn, id); err != nil {
			return err
		}
		if !m.Revoked.IsZero() {
			return nil
		}
		m.Revoked, m.RevokedReason = at, reason
		val, err := encodeMarketEntry(m)
		if err != nil {
			return fmt.Errorf("encode market entry %q: %w", id, err)
		}
		return txn.Set(key{table: tableMarket, id: id}.encode(), val)
	})
	return m, err
}
