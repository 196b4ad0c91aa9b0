//go:build race

package bench

// raceEnabled reports whether the race detector is on: TestLargeTask,
// about ten times slower under it, is then skipped.
const raceEnabled = true
