package leaderboard

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// ladder returns the shown public score of a new score of entrant, and
// records it as the entrant's shown best when it moves. This is the Ladder
// of Blum and Hardt (2015): the shown best R starts at the worst possible
// value; a new score s replaces it, rounded to the nearest multiple of the
// step η, only when it beats R by more than η; otherwise R is shown again.
func ladder(txn *badger.Txn, task Task, entrant string, score float64) (float64, error) {
	k := key{table: tableLadder, task: task.ID, participant: entrant}.encode()
	v, found, err := get(txn, k)
	if err != nil {
		return 0, err
	}
	step := task.LadderStep
	if found {
		if len(v) != 8 {
			return 0, fmt.Errorf("task %q: ladder of %q: %w", task.ID, entrant, ErrCorrupt)
		}
		r := math.Float64frombits(binary.BigEndian.Uint64(v))
		better := score > r+step
		if !task.HigherIsBetter {
			better = score < r-step
		}
		if !better {
			return r, nil
		}
	}
	r := math.Round(score/step) * step
	if math.IsInf(r, 0) || math.IsNaN(r) {
		r = score
	}
	if r == 0 {
		r = 0 // no -0 in keys
	}
	return r, txn.Set(k, binary.BigEndian.AppendUint64(nil, math.Float64bits(r)))
}
