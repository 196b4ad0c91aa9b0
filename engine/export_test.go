package engine

// ForgetBoards drops the rows Leaderboard kept, so that a benchmark can
// time a first read.
func ForgetBoards(e *Engine) {
	e.boardsMu.Lock()
	defer e.boardsMu.Unlock()
	clear(e.boards)
}

// SetIssuedHook sets the hook called with the rank of each credential
// just after Promote writes it (nil: none).
func SetIssuedHook(f func(rank int)) { testHookIssued = f }

// FreezeTask closes a task without promoting it, for tests of an
// interrupted promotion.
func FreezeTask(e *Engine, task string) error { return e.freezeTask(task) }

// SetRescoreHooks sets the hooks called with a submission's id when a
// rescore has recorded its re-run (rescored) and when a re-run of it has
// completed (rerun); nil: none.
func SetRescoreHooks(rescored, rerun func(id string)) {
	testHookRescored, testHookRerun = rescored, rerun
}
