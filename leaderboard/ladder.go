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
//
// A submission made in a phase climbs that phase's Ladder (its own shown
// best, table 0x25, and step, Task.PhaseLadderSteps).
func ladder(txn *badger.Txn, task Task, phase, entrant string, score float64) (float64, error) {
	k := key{table: tableLadder, task: task.ID, phase: phase, participant: entrant}.encode()
	v, found, err := get(txn, k)
	if err != nil {
		return 0, err
	}
	step := task.ladderStep(phase)
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

// deletePhaseLadders deletes entrant's Ladder state on every phase's
// board of task (table 0x25).
func deletePhaseLadders(txn *badger.Txn, task, entrant string) error {
	var keys [][]byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: taskTablePrefix(tablePhaseLadder, task)})
	for it.Rewind(); it.Valid(); it.Next() {
		k, err := decodeKey(it.Item().KeyCopy(nil))
		if err != nil {
			it.Close()
			return fmt.Errorf("task %q: phase ladder: %w", task, err)
		}
		if k.participant == entrant {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
	}
	it.Close()
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
