package engine_test

import (
	"fmt"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// BenchmarkLeaderboard reads the public leaderboard of a task with 300
// ranked participants, as a page or an API call does on every view: first
// (each row's submission read and decoded) and again (the rows the last
// read kept).
func BenchmarkLeaderboard(b *testing.B) {
	e, _ := contest(b, "", engine.Config{})
	const participants = 300
	for i := range participants {
		mustSubmit(b, e, fmt.Sprintf("p%03d", i), variant(linear, i))
	}
	for _, first := range []bool{true, false} {
		name := map[bool]string{true: "first", false: "again"}[first]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if first {
					engine.ForgetBoards(e)
				}
				lb, err := e.Leaderboard("contest", engine.Viewer{}, false)
				if err != nil || len(lb) != participants {
					b.Fatalf("got %d entries, %v", len(lb), err)
				}
			}
		})
	}
}
