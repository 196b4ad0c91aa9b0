package leaderboard

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// sampleKeys has one key of every table, with awkward values.
func sampleKeys() []key {
	neg := int64(-1) // before 1970
	return []key{
		{table: tableTask, task: "iris"},
		{table: tableSubmission, id: "7a1c1a9e-3c1b-4a6e-9a55-0b7f3f0c2d11"},
		{table: tableOrder, task: "iris", created: t0.UnixNano(), id: "s1"},
		{table: tableOrder, task: "t", created: neg, id: "s"},
		{table: tableScore, task: "iris", participant: "ada", board: boardPrivate, higher: true, score: -0.25, created: 1, id: "s1"},
		{table: tableScore, task: "iris", participant: "ada ☃", board: boardPublic, score: math.Inf(1), created: math.MaxInt64, id: "s2"},
		{table: tableBest, task: "iris", board: boardPublic, participant: "ada"},
		{table: tableRank, task: "iris", board: boardPublic, higher: true, score: 0.875, created: math.MinInt64, id: "s1"},
		{table: tableRank, task: "iris", board: boardPrivate, score: -math.MaxFloat64, created: 0, id: strings.Repeat("x", MaxIDLength)},
		{table: tableCount, task: "iris", participant: "bob"},
		{table: tableState, task: "iris"},
		{table: tableDedupe, task: "iris", participant: "team/ab", id: strings.Repeat("ab", 32)},
		{table: tableQuota, task: "iris", participant: "bob", created: t0.UnixNano()},
		{table: tableUnfinished, id: "s1"},
		{table: tableEntrant, task: "iris", participant: "bob", created: neg, id: "s1"},
		{table: tableHistory, task: "iris", created: 5, id: "s1/00ff", board: boardPrivate},
		{table: tableLadder, task: "iris", participant: "bob"},
		{table: tableMember, task: "iris", participant: "bob"},
		{table: tableTeam, task: "iris", participant: "team/ab"},
		{table: tableAdmission, task: "iris", participant: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
		{table: tableInvitation, task: "iris", participant: strings.Repeat("0f", 32)},
		{table: tableBaseline, task: "iris", created: 7, id: "b1"},
		{table: tableSelected, task: "iris", participant: "bob", id: "s1"},
		{table: tableMarket, id: "0b9e2c6a-4f1d-4c8e-9a51-6d2f0e7b3c11"},
		{table: tableRescore, task: "iris", id: "r1"},
		{table: tableAudit, task: "iris", created: 9, id: "000000000000000a"},
		{table: tableRescoreRun, task: "iris", participant: "r1", id: "s1"},
		{table: tableScore, task: "iris", phase: "dev-b", participant: "ada", board: boardPrivate, higher: true, score: 0.5, created: 1, id: "s1"},
		{table: tableBest, task: "iris", phase: "dev-b", board: boardPublic, participant: "ada"},
		{table: tableRank, task: "iris", phase: "dev-b", board: boardPrivate, score: -1, created: 3, id: "s1"},
		{table: tableLadder, task: "iris", phase: "dev-b", participant: "bob"},
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, k := range sampleKeys() {
		b := k.encode()
		got, err := decodeKey(b)
		if err != nil {
			t.Errorf("decodeKey(%x): %v", b, err)
			continue
		}
		if got != k {
			t.Errorf("decodeKey(encode(%+v)): got %+v", k, got)
		}
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	rank := key{table: tableRank, task: "iris", board: boardPublic, score: 1, id: "s"}.encode()
	nan := slices.Clone(rank)
	copy(nan[len("\x06iris\x00")+2:], []byte{0xff, 0xf8, 0, 0, 0, 0, 0, 0}) // encodeScore(NaN), lower is better
	negZero := slices.Clone(rank)
	copy(negZero[len("\x06iris\x00")+2:], []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	tests := []struct {
		name string
		b    []byte
	}{
		{"ErrInvalidKey/empty", nil},
		{"ErrInvalidKey/unknown table", []byte{0x7f, 'a', 0}},
		{"ErrInvalidKey/missing terminator", []byte("\x01iris")},
		{"ErrInvalidKey/empty id", []byte("\x01\x00")},
		{"ErrInvalidKey/trailing bytes", []byte("\x01iris\x00x")},
		{"ErrInvalidKey/truncated time", []byte("\x03iris\x00\x01\x02")},
		{"ErrInvalidKey/board out of range", []byte("\x05iris\x00\x02ada\x00")},
		{"ErrInvalidKey/invalid UTF-8", []byte("\x07\xffx\x00ada\x00")},
		{"ErrInvalidKey/NaN score", nan},
		{"ErrInvalidKey/negative zero score", negZero},
		{"ErrInvalidKey/id too long", append(append([]byte{tableTask}, strings.Repeat("x", MaxIDLength+1)...), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := decodeKey(tc.b)
			if !errors.Is(err, ErrInvalidKey) {
				t.Errorf("decodeKey(%x): got %+v, %v, want ErrInvalidKey", tc.b, k, err)
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		name, id string
		ok       bool
	}{
		{"uuid", "7a1c1a9e-3c1b-4a6e-9a55-0b7f3f0c2d11", true},
		{"unicode", "ada ☃", true},
		{"max length", strings.Repeat("x", MaxIDLength), true},
		{"ErrInvalidKey/empty", "", false},
		{"ErrInvalidKey/too long", strings.Repeat("x", MaxIDLength+1), false},
		{"ErrInvalidKey/NUL", "a\x00", false},
		{"ErrInvalidKey/invalid UTF-8", "\xc3", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkID("task", tc.id)
			if got := err == nil; got != tc.ok {
				t.Errorf("checkID(%q): got %v, want ok=%v", tc.id, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidKey) {
				t.Errorf("checkID(%q): got %v, want ErrInvalidKey", tc.id, err)
			}
		})
	}
}

// TestKeyOrder checks that ascending key order is the intended order: by
// string for ids (a shorter id first), chronological for times, best first
// for scores in either direction.
func TestKeyOrder(t *testing.T) {
	scores := []float64{math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1e-300, 0.5, 1, math.MaxFloat64, math.Inf(1)}
	for _, higher := range []bool{false, true} {
		var keys [][]byte
		for _, sc := range scores {
			keys = append(keys, key{table: tableRank, task: "t", higher: higher, score: sc, id: "s"}.encode())
		}
		if higher {
			slices.Reverse(keys)
		}
		if !slices.IsSortedFunc(keys, bytes.Compare) {
			t.Errorf("higher=%v: rank keys not in best-first order", higher)
		}
	}
	if encodeScore(math.Copysign(0, -1), false) != encodeScore(0, false) {
		t.Errorf("encodeScore(-0): got %x, want %x", encodeScore(math.Copysign(0, -1), false), encodeScore(0, false))
	}
	var keys [][]byte
	for _, c := range []struct {
		task    string
		created int64
		id      string
	}{
		{"a", 5, "z"}, {"ab", math.MinInt64, "a"}, {"ab", -1, "b"}, {"ab", 0, "a"},
		{"ab", 0, "b"}, {"ab", 0, "ba"}, {"ab", math.MaxInt64, "a"}, {"b", 0, "a"},
	} {
		keys = append(keys, key{table: tableOrder, task: c.task, created: c.created, id: c.id}.encode())
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Errorf("order keys not sorted by (task, created, id)")
	}
}

// FuzzDecodeKey checks that decodeKey never panics and that every key it
// accepts is canonical: encoding the result gives back the same bytes.
func FuzzDecodeKey(f *testing.F) {
	for _, k := range sampleKeys() {
		f.Add(k.encode())
	}
	f.Add([]byte{})
	f.Add([]byte{tableRank, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4*MaxIDLength {
			return
		}
		k, err := decodeKey(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("decodeKey(%x): got %v, want ErrInvalidKey", b, err)
			}
			return
		}
		if got := k.encode(); !bytes.Equal(got, b) {
			t.Fatalf("encode(decodeKey(%x)) = %x", b, got)
		}
	})
}

// FuzzScoreOrder checks that encodeScore preserves order in both directions
// and that decodeScore inverts it.
func FuzzScoreOrder(f *testing.F) {
	f.Add(0.0, math.Copysign(0, -1))
	f.Add(-1.0, 1.0)
	f.Add(math.Inf(-1), -math.MaxFloat64)
	f.Add(math.SmallestNonzeroFloat64, 0.0)
	f.Fuzz(func(t *testing.T, a, b float64) {
		if math.IsNaN(a) || math.IsNaN(b) {
			return
		}
		for _, higher := range []bool{false, true} {
			ea, eb := encodeScore(a, higher), encodeScore(b, higher)
			want := cmpFloat(a, b)
			if higher {
				want = -want
			}
			if got := cmpUint(ea, eb); got != want {
				t.Fatalf("higher=%v: compare(encode(%v), encode(%v)) = %d, want %d", higher, a, b, got, want)
			}
			da, err := decodeScore(ea, higher)
			if err != nil || da != a {
				t.Fatalf("higher=%v: decodeScore(encodeScore(%v)) = %v, %v", higher, a, da, err)
			}
		}
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
