package ledger

// RootOf is the root hash of l's first n entries, for tests.
func RootOf(l *Ledger, n int64) (h [32]byte, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.rootLocked(n), nil
}
