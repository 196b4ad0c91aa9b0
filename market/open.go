package market

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/ledger"
)

// catalogue is what the marketplace keeps in the data dir's store: the
// leaderboard store's table of MarketEntry, and nothing of the engine's.
type catalogue interface {
	PutMarketEntry(leaderboard.MarketEntry) error
	MarketEntry(id string) (leaderboard.MarketEntry, error)
	MarketEntries(prefix string) ([]leaderboard.MarketEntry, error)
	RevokeMarketEntry(id string, at time.Time, reason string) (leaderboard.MarketEntry, error)
}

var _ catalogue = (*leaderboard.Store)(nil)

// Market is the marketplace of a data dir, over its engine. It is safe for
// concurrent use; it holds nothing the engine does not close.
type Market struct {
	e     *engine.Engine
	store catalogue

	trustMu sync.Mutex // serializes changes to the trusted issuers (trust.go)

	meter    meter          // metered use per caller and day (metered.go)
	priceMu  sync.Mutex     // serializes changes to the prices (metered.go)
	ledgerMu sync.Mutex     // guards ledger
	ledger   *ledger.Ledger // the usage ledger, opened on first use

	stmtMu sync.Mutex                       // guards stmts
	stmts  map[statementKey]cachedStatement // signed statements (statement.go)
}

// New returns the marketplace of e's data dir and subscribes it to e's
// promotions and revocations (engine.OnCertified, engine.OnRevoked): every
// model e certifies from now on is listed. Open also lists those certified
// before; New alone is for callers that run CatchUp themselves. A data dir
// needs one Market; a second one only repeats the same (idempotent) work.
func New(e *engine.Engine) *Market {
	mk := &Market{e: e, store: e.Store()}
	e.OnCertified(mk.certified)
	e.OnRevoked(mk.revoked)
	return mk
}

// Open is New, then CatchUp: the marketplace of e's data dir, with every
// model e has certified listed (and every revoked one marked), whatever
// came between a promotion and its listing (a crash, a data dir from
// before the marketplace, a process that promoted without one).
func Open(ctx context.Context, e *engine.Engine) (*Market, error) {
	mk := New(e)
	if _, err := mk.CatchUp(ctx); err != nil {
		return nil, err
	}
	return mk, nil
}

// CatchUp lists every credential of the data dir that is not in the
// catalogue yet, and marks revoked the entries of revoked credentials; it
// returns how many it listed. It is idempotent: a listed model is not
// listed again, nor its card signed again.
func (mk *Market) CatchUp(ctx context.Context) (int, error) {
	cs, err := mk.e.Credentials("")
	if err != nil {
		return 0, fmt.Errorf("market: catch up: %w", err)
	}
	listed := 0
	for i := range cs {
		c := &cs[i]
		_, err := mk.store.MarketEntry(strings.TrimPrefix(c.ID, "urn:uuid:"))
		if err == nil && c.Revoked == nil {
			continue
		}
		if errors.Is(err, leaderboard.ErrNotFound) {
			listed++
		}
		if err := mk.certified(ctx, c); err != nil {
			return listed, fmt.Errorf("market: catch up: %w", err)
		}
	}
	return listed, nil
}

// resolve resolves a marketplace entry's id (its credential's UUID, with
// or without "urn:uuid:", or a prefix of it) as engine.ResolveID does.
func (mk *Market) resolve(id string) (string, error) {
	id = strings.TrimPrefix(id, "urn:uuid:")
	return engine.ResolveID("market entry", id, func(id string) (bool, error) {
		_, err := mk.store.MarketEntry(id)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, leaderboard.ErrNotFound), errors.Is(err, leaderboard.ErrInvalidKey):
			return false, nil
		}
		return false, fmt.Errorf("market entry %q: %w", id, err)
	}, func(prefix string) ([]string, error) {
		ms, err := mk.store.MarketEntries(prefix)
		if errors.Is(err, leaderboard.ErrInvalidKey) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("market entry %q: %w", prefix, err)
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		return ids, nil
	})
}

// statusPath is where the status list an ingested model was checked
// against is kept, for its export.
func (mk *Market) statusPath(id string) string {
	return filepath.Join(mk.e.DataDir(), "market", id+".status.json")
}

// outputColumns names a model's n outputs: "p", or "p0".."pN-1".
func outputColumns(n int) []string {
	if n == 1 {
		return []string{"p"}
	}
	cols := make([]string, n)
	for k := range cols {
		cols[k] = "p" + strconv.Itoa(k)
	}
	return cols
}
