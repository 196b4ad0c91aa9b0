package leaderboard

import (
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Store is the durable record of tasks, submissions and rankings, backed by
// a Badger database in one directory. Its methods are safe for concurrent
// use; only one Store (one process) may have a directory open at a time.
type Store struct {
	db        *badger.DB
	seq       *badger.Sequence // orders history events
	closeOnce sync.Once
	closeErr  error
}

// Memory and file sizes Open gives Badger: far below its defaults (64 MiB
// memtables, 256 MiB block cache, 1 GiB value log files), because a
// leaderboard holds kilobyte-sized records and shares a host with sandboxes.
const (
	memTableSize     = 8 << 20
	numMemtables     = 2
	blockCacheSize   = 16 << 20
	valueLogFileSize = 64 << 20
	numCompactors    = 2
)

// maxAttempts bounds the retries of a transaction that lost a write
// conflict to a concurrent writer of the same participant or id.
const maxAttempts = 64

// lockWait is how long Open waits for another process to let go of the
// directory. A process killed with SIGKILL can keep it locked for tens of
// milliseconds after it is reaped (engine TestCrashRecovery, under the race
// detector): most likely a sandbox child it was starting, which holds a
// copy of the lock between fork and exec until it dies of its parent's
// death too.
var lockWait = time.Second

// isLocked reports whether Badger could not lock its directory. Badger
// formats the cause into its message rather than wrapping it, so the
// message is all there is to go by.
func isLocked(err error) bool {
	return strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// Open opens (creating if needed) the store in dir. Every write is synced to
// disk before the method that made it returns.
func Open(dir string) (*Store, error) {
	return open(dir, true)
}

// open is Open with a switch for SyncWrites, which only benchmark set-up
// turns off.
func open(dir string, syncWrites bool) (*Store, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(syncWrites).
		WithLogger(errorLogger{}).
		WithMetricsEnabled(false).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithBlockCacheSize(blockCacheSize).
		WithValueLogFileSize(valueLogFileSize).
		WithNumCompactors(numCompactors)
	db, err := badger.Open(opts)
	for wait := time.Now().Add(lockWait); err != nil && isLocked(err) && time.Now().Before(wait); {
		time.Sleep(10 * time.Millisecond)
		db, err = badger.Open(opts)
	}
	if err != nil {
		if isLocked(err) {
			return nil, fmt.Errorf("open store %q: %w: another process has it open (waited %s)", dir, ErrLocked, lockWait)
		}
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	seq, err := db.GetSequence([]byte{0xff, 's', 'e', 'q'}, 1000)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: history sequence: %w", dir, err)
	}
	return &Store{db: db, seq: seq}, nil
}

// Close flushes and closes the database. Calls after the first return the
// first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		_ = s.seq.Release()
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("close store: %w", err)
		}
	})
	return s.closeErr
}

// update runs fn in a read-write transaction, retrying from scratch when
// Badger reports a conflict with a transaction that committed meanwhile.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	for attempt := 1; ; attempt++ {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("commit after %d attempts: %w", attempt, err)
		}
		// Jitter so that writers of one participant stop colliding.
		time.Sleep(time.Duration(rand.IntN(100*attempt)) * time.Microsecond)
	}
}

// get returns the value of k, or nil and false if it is absent.
func get(txn *badger.Txn, k []byte) ([]byte, bool, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// errorLogger passes Badger's errors to the standard logger and drops its
// warnings, info and debug chatter.
type errorLogger struct{}

func (errorLogger) Errorf(format string, args ...any) {
	log.Printf("leaderboard: badger: "+format, args...)
}
func (errorLogger) Warningf(string, ...any) {}
func (errorLogger) Infof(string, ...any)    {}
func (errorLogger) Debugf(string, ...any)   {}

var _ badger.Logger = errorLogger{}
