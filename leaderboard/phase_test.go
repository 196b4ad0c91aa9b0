package leaderboard

import (
	"bytes"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TestPhaseKeysUnchanged pins the keys of the task's board: a key with no
// phase encodes exactly as before phases had boards, so existing stores
// read the same; a phase's key lives in its own table.
func TestPhaseKeysUnchanged(t *testing.T) {
	tests := []struct {
		name string
		k    key
		want string
	}{
		{"score", key{table: tableScore, task: "t", participant: "a", board: boardPublic, higher: true, score: 1, created: 0, id: "s"},
			"04740061000001400fffffffffffff800000000000000073" + "00"},
		{"best", key{table: tableBest, task: "t", board: boardPrivate, participant: "a"}, "0574000161" + "00"},
		{"rank", key{table: tableRank, task: "t", board: boardPublic, score: 0, created: 0, id: "s"},
			"06740000008000000000000000800000000000000073" + "00"},
		{"ladder", key{table: tableLadder, task: "t", participant: "a"}, "0e74006100"},
		{"phase ladder", key{table: tableLadder, task: "t", phase: "p", participant: "a"}, "257400700061" + "00"},
		{"phase best", key{table: tableBest, task: "t", phase: "p", board: boardPublic, participant: "a"}, "23740070000061" + "00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(tc.k.encode()); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestPhaseBoards: a submission made in a phase is ranked on the task's
// board and on its phase's, under its phase's Ladder; each phase's board
// holds its own submissions only; the same module may be submitted once
// per phase; all of it survives a reopen.
func TestPhaseBoards(t *testing.T) {
	s, dir := openStore(t)
	task := Task{ID: "ph", Title: "phased", Type: "binary", Metric: "auc", HigherIsBetter: true, Created: t0,
		LadderStep: 0, PhaseLadderSteps: map[string]float64{"dev-b": 0.25}}
	if err := s.CreateTask(task); err != nil {
		t.Fatal(err)
	}
	add := func(id, who, phase, module string, at time.Duration, public float64) {
		t.Helper()
		sub := Submission{ID: id, Task: "ph", Participant: who, ModuleSHA256: module, Created: t0.Add(at),
			Status: Received, Phase: phase}
		if _, err := s.CreateSubmission(sub, Quota{Now: t0.Add(at)}); err != nil {
			t.Fatalf("CreateSubmission(%s): %v", id, err)
		}
		sub.Status, sub.Public, sub.Private = Scored, f64(public), f64(public/2)
		mustPut(t, s, sub)
	}
	add("a1", "ada", "dev-a", "m1", 1*time.Second, 0.70)
	add("b1", "bob", "dev-a", "m2", 2*time.Second, 0.80)
	add("a2", "ada", "dev-b", "m1", 3*time.Second, 0.61) // same module, next phase: not a duplicate
	add("a3", "ada", "dev-b", "m3", 4*time.Second, 0.65) // the Ladder (0.25) keeps 0.5 shown
	add("c1", "cy", "dev-b", "m4", 5*time.Second, 0.90)

	dup := Submission{ID: "a4", Task: "ph", Participant: "ada", ModuleSHA256: "m3", Created: t0.Add(6 * time.Second), Status: Received, Phase: "dev-b"}
	var de *DuplicateError
	if _, err := s.CreateSubmission(dup, Quota{Now: dup.Created}); !errors.As(err, &de) || de.Existing.ID != "a3" {
		t.Fatalf("the same module twice in one phase: got %v, want a duplicate of a3", err)
	}

	check := func(s *Store) {
		t.Helper()
		tests := []struct {
			phase   string
			private bool
			want    []string // participant:submission:score
		}{
			{"dev-a", false, []string{"bob:b1:0.8", "ada:a1:0.7"}},
			{"dev-a", true, []string{"bob:b1:0.4", "ada:a1:0.35"}},
			{"dev-b", false, []string{"cy:c1:1", "ada:a2:0.5"}},
			{"dev-b", true, []string{"cy:c1:0.45", "ada:a3:0.325"}},
			{"final", false, nil},
			{"", false, []string{"cy:c1:1", "bob:b1:0.8", "ada:a1:0.7"}},
		}
		for _, tc := range tests {
			es, err := s.PhaseLeaderboard("ph", tc.phase, tc.private)
			if err != nil {
				t.Fatalf("PhaseLeaderboard(%q, %v): %v", tc.phase, tc.private, err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Participant+":"+e.SubmissionID+":"+ftoa(e.Score))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("PhaseLeaderboard(%q, private=%v): got %v, want %v", tc.phase, tc.private, got, tc.want)
			}
		}
		sub, err := s.Submission("a3")
		if err != nil || sub.Phase != "dev-b" {
			t.Errorf("Submission(a3): phase %q, %v; want dev-b", sub.Phase, err)
		}
	}
	check(s)
	// An update that leaves Phase out keeps it (the store owns it).
	sub, _ := s.Submission("a1")
	sub.Phase = ""
	mustPut(t, s, sub)
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	check(s2)
	// The task's board is the unphased tables alone; the phase boards
	// keys are all in their own tables.
	err = s2.db.View(func(txn *badger.Txn) error {
		for _, tb := range []byte{tablePhaseScore, tablePhaseBest, tablePhaseRank, tablePhaseLadder} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tb}})
			n := 0
			for it.Rewind(); it.Valid(); it.Next() {
				if !bytes.HasPrefix(it.Item().Key()[1:], []byte("ph\x00dev-")) {
					t.Errorf("table %#x: key %x not under a phase", tb, it.Item().Key())
				}
				n++
			}
			it.Close()
			if n == 0 && tb != tablePhaseLadder {
				t.Errorf("table %#x: empty", tb)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.PhaseLeaderboard("ph", "bad\x00", false); err == nil {
		t.Errorf("PhaseLeaderboard with a NUL in the phase: got no error")
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
