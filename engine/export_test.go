package engine

// ForgetBoards drops the rows Leaderboard kept, so that a benchmark can
// time a first read.
func ForgetBoards(e *Engine) {
	e.boardsMu.Lock()
	defer e.boardsMu.Unlock()
	clear(e.boards)
}
