package leaderboard

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Key layout
//
// Every key starts with one table byte. Strings (task, participant and
// submission ids) are written as their bytes followed by a 0x00 terminator;
// ids may not contain NUL, so no encoded string is a prefix of another and
// ascending key order is ascending string order. Integers are big-endian.
// Times are Unix nanoseconds as int64 with the sign bit flipped, so they sort
// chronologically. Scores use the order-preserving float64 encoding of
// encodeScore, inverted for higher-is-better tasks, so ascending key order is
// always best first.
//
//	table  layout                                                   value
//	0x01   task 0                                                   task record (JSON)
//	0x02   id 0                                                     submission record (JSON)
//	0x03   task 0 | created(8) | id 0                               empty: submission order
//	0x04   task 0 | participant 0 | board | dir | score(8) | created(8) | id 0
//	                                                                empty: every scored submission
//	0x05   task 0 | board | participant 0                           the participant's current 0x06 key
//	0x06   task 0 | board | dir | score(8) | created(8) | id 0      participant: one row per participant
//	0x07   task 0 | participant 0                                   uint64 count of scored+failed
//	0x08   task 0                                                   task state (JSON): closed or not
//	0x09   task 0 | participant 0 | sha256 0                        submission id: one module per entrant
//	0x0a   task 0 | participant 0 | day(8)                          uint64 count charged on that UTC day
//	0x0b   id 0                                                     empty: received, queued or running
//	0x0c   task 0 | participant 0 | created(8) | id 0               empty: an entrant's submissions
//	0x0d   task 0 | time(8) | id 0 | board                          history event (JSON)
//	0x0e   task 0 | participant 0                                   float64 bits: the Ladder's shown best
//	0x0f   task 0 | participant 0                                   team entrant of a team member
//	0x10   task 0 | participant 0                                   team record (JSON), by team entrant
//	0x11   task 0 | created(8) | id 0                               empty: baselines
//	0x12   task 0 | participant 0 | id 0                            empty: an entrant's final selections
//	0x13   id 0                                                     marketplace entry (JSON, market.go)
//	0x1d   task 0 | time(8) | seq 0                                 audit entry (JSON, audit.go): a host's action
//	0x1e   task 0 | rescore 0                                       rescore record (JSON, rescore.go)
//	0x1f   task 0 | rescore 0 | id 0                                rescore step (JSON): the submission before its re-run
//	0x20   task 0 | participant 0                                   admission (JSON, access.go): admitted to an invite-only task
//	0x21   task 0 | code hash 0                                     invitation (JSON, access.go): a single-use code, by its SHA-256
//	0x22   task 0 | phase 0 | participant 0 | board | dir | score(8) | created(8) | id 0
//	                                                                as 0x04, for one phase's board
//	0x23   task 0 | phase 0 | board | participant 0                 as 0x05, for one phase's board
//	0x24   task 0 | phase 0 | board | dir | score(8) | created(8) | id 0
//	                                                                as 0x06, for one phase's board
//	0x25   task 0 | phase 0 | participant 0                         as 0x0e, the Ladder of one phase's board
//
// Tables 0x22 to 0x25 are the per-phase twins of 0x04, 0x05, 0x06 and
// 0x0e: a submission made in a phase (Submission.Phase) is ranked on the
// task's board (0x04 to 0x06) as before and on its phase's board. A key
// struct names them by the base table and a non-empty phase; encode and
// decodeKey map between the two, so a task without phases writes and
// reads exactly the keys it always did.
//
// The key 0xff 's' 'e' 'q' is Badger's sequence that orders history events.
//
// In table 0x1f the "participant" field of the key holds the rescore id,
// in table 0x21 the hex SHA-256 of an invitation code.
//
// In tables 0x04 to 0x07, 0x09, 0x0a, 0x0c, 0x0e and 0x12 "participant" is
// the entrant: the team a submission counts for, or its participant.
//
// board is 0 (public) or 1 (private); dir is 0 (lower is better) or 1
// (higher is better). Table 0x04 holds each participant's scored submissions
// in rank order, so their best is the first key under its prefix even after
// a rescore; 0x06 holds only that best, so a leaderboard is one prefix scan.
const (
	tableTask        byte = 0x01
	tableSubmission  byte = 0x02
	tableOrder       byte = 0x03
	tableScore       byte = 0x04
	tableBest        byte = 0x05
	tableRank        byte = 0x06
	tableCount       byte = 0x07
	tableState       byte = 0x08
	tableDedupe      byte = 0x09
	tableQuota       byte = 0x0a
	tableUnfinished  byte = 0x0b
	tableEntrant     byte = 0x0c
	tableHistory     byte = 0x0d
	tableLadder      byte = 0x0e
	tableMember      byte = 0x0f
	tableTeam        byte = 0x10
	tableBaseline    byte = 0x11
	tableSelected    byte = 0x12
	tableMarket      byte = 0x13
	tableAudit       byte = 0x1d
	tableRescore     byte = 0x1e
	tableRescoreRun  byte = 0x1f
	tableAdmission   byte = 0x20
	tableInvitation  byte = 0x21
	tablePhaseScore  byte = 0x22
	tablePhaseBest   byte = 0x23
	tablePhaseRank   byte = 0x24
	tablePhaseLadder byte = 0x25
)

// phasedTable maps a board table to its per-phase twin, unphasedTable
// back.
var (
	phasedTable = map[byte]byte{tableScore: tablePhaseScore, tableBest: tablePhaseBest,
		tableRank: tablePhaseRank, tableLadder: tablePhaseLadder}
	unphasedTable = map[byte]byte{tablePhaseScore: tableScore, tablePhaseBest: tableBest,
		tablePhaseRank: tableRank, tablePhaseLadder: tableLadder}
)

// MaxIDLength is the longest task, participant or submission id, in bytes.
const MaxIDLength = 256

// board selects the public or private leaderboard.
type board byte

const (
	boardPublic  board = 0
	boardPrivate board = 1
)

// key is the decoded form of any store key; table says which fields are set.
type key struct {
	table       byte
	task        string
	phase       string // tables 0x04 to 0x06 and 0x0e only: "" the task's board, else the phase's (0x22 to 0x25)
	participant string
	id          string
	board       board
	higher      bool    // dir byte: higher score is better
	score       float64 // never NaN or -0
	created     int64   // Unix nanoseconds
}

// checkID reports whether s can be part of a key. kind names it in the error.
func checkID(kind, s string) error {
	var reason string
	switch {
	case s == "":
		reason = "empty"
	case len(s) > MaxIDLength:
		reason = fmt.Sprintf("%d bytes, longer than %d", len(s), MaxIDLength)
	case !utf8.ValidString(s):
		reason = "not valid UTF-8"
	case bytes.IndexByte([]byte(s), 0) >= 0:
		reason = "contains NUL"
	default:
		return nil
	}
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Errorf("%s %q: %w: %s", kind, s, ErrInvalidKey, reason)
}

func appendString(b []byte, s string) []byte {
	b = append(b, s...)
	return append(b, 0)
}

func appendTime(b []byte, nanos int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(nanos)^(1<<63))
}

// encodeScore maps f to a uint64 whose unsigned order is the order of f
// (ascending), or the reverse when higher is true, so that ascending keys
// are best first. -0 is folded into +0 so equal scores tie.
func encodeScore(f float64, higher bool) uint64 {
	if f == 0 {
		f = 0
	}
	u := math.Float64bits(f)
	if u>>63 == 1 {
		u = ^u // negative: larger magnitude sorts first
	} else {
		u |= 1 << 63 // positive: above every negative
	}
	if higher {
		u = ^u
	}
	return u
}

// decodeScore inverts encodeScore. It refuses NaN and -0, which encodeScore
// never produces, so that decode followed by encode is the identity.
func decodeScore(u uint64, higher bool) (float64, error) {
	if higher {
		u = ^u
	}
	if u>>63 == 1 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	const expMask, fracMask = 0x7ff0000000000000, 0x000fffffffffffff
	switch {
	case u&expMask == expMask && u&fracMask != 0:
		return 0, fmt.Errorf("score: %w: NaN", ErrInvalidKey)
	case u == 1<<63:
		return 0, fmt.Errorf("score: %w: negative zero", ErrInvalidKey)
	}
	return math.Float64frombits(u), nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// encode returns the key bytes for k.table. It assumes the ids passed checkID.
func (k key) encode() []byte {
	b := make([]byte, 0, 64)
	if k.phase != "" {
		pt, ok := phasedTable[k.table]
		if !ok {
			panic(fmt.Sprintf("leaderboard: encode key: table %#x has no phases", k.table))
		}
		b = append(b, pt)
	} else {
		b = append(b, k.table)
	}
	switch k.table {
	case tableTask, tableState:
		b = appendString(b, k.task)
	case tableSubmission, tableUnfinished, tableMarket:
		b = appendString(b, k.id)
	case tableOrder, tableBaseline, tableAudit:
		b = appendString(b, k.task)
		b = appendTime(b, k.created)
		b = appendString(b, k.id)
	case tableDedupe, tableSelected:
		b = appendString(b, k.task)
		b = appendString(b, k.participant)
		b = appendString(b, k.id)
	case tableQuota:
		b = appendString(b, k.task)
		b = appendString(b, k.participant)
		b = appendTime(b, k.created)
	case tableEntrant:
		b = appendString(b, k.task)
		b = appendString(b, k.participant)
		b = appendTime(b, k.created)
		b = appendString(b, k.id)
	case tableHistory:
		b = appendString(b, k.task)
		b = appendTime(b, k.created)
		b = appendString(b, k.id)
		b = append(b, byte(k.board))
	case tableScore:
		b = k.appendTask(b)
		b = appendString(b, k.participant)
		b = append(b, byte(k.board), boolByte(k.higher))
		b = binary.BigEndian.AppendUint64(b, encodeScore(k.score, k.higher))
		b = appendTime(b, k.created)
		b = appendString(b, k.id)
	case tableBest:
		b = k.appendTask(b)
		b = append(b, byte(k.board))
		b = appendString(b, k.participant)
	case tableRank:
		b = k.appendTask(b)
		b = append(b, byte(k.board), boolByte(k.higher))
		b = binary.BigEndian.AppendUint64(b, encodeScore(k.score, k.higher))
		b = appendTime(b, k.created)
		b = appendString(b, k.id)
	case tableLadder:
		b = k.appendTask(b)
		b = appendString(b, k.participant)
	case tableCount, tableMember, tableTeam, tableAdmission, tableInvitation:
		b = appendString(b, k.task)
		b = appendString(b, k.participant)
	case tableRescore:
		b = appendString(b, k.task)
		b = appendString(b, k.id)
	case tableRescoreRun:
		b = appendString(b, k.task)
		b = appendString(b, k.participant)
		b = appendString(b, k.id)
	default:
		panic(fmt.Sprintf("leaderboard: encode key of unknown table %#x", k.table))
	}
	return b
}

// appendTask appends the task and, for a phase's board, the phase.
func (k key) appendTask(b []byte) []byte {
	b = appendString(b, k.task)
	if k.phase != "" {
		b = appendString(b, k.phase)
	}
	return b
}

// Prefixes for scans. Each ends at a field boundary, so a scan never strays
// into another task, participant or board.

func orderPrefix(task string) []byte {
	return appendString([]byte{tableOrder}, task)
}

func scorePrefix(task, phase, participant string, bd board) []byte {
	b := key{table: tableScore, task: task, phase: phase}.tablePrefix()
	b = appendString(b, participant)
	return append(b, byte(bd))
}

func rankPrefix(task, phase string, bd board) []byte {
	return append(key{table: tableRank, task: task, phase: phase}.tablePrefix(), byte(bd))
}

func bestPrefix(task, phase string, bd board) []byte {
	return append(key{table: tableBest, task: task, phase: phase}.tablePrefix(), byte(bd))
}

// tablePrefix is the prefix of k's table (its phase's twin when k.phase
// is set) for k's task and phase.
func (k key) tablePrefix() []byte {
	tb := k.table
	if k.phase != "" {
		tb = phasedTable[k.table]
	}
	return k.appendTask([]byte{tb})
}

func countPrefix(task string) []byte {
	return appendString([]byte{tableCount}, task)
}

func taskPrefix() []byte { return []byte{tableTask} }

// taskParticipantPrefix is the prefix of table's keys for one task and
// entrant (tables whose keys start task 0 | participant 0).
func taskParticipantPrefix(table byte, task, participant string) []byte {
	return appendString(appendString([]byte{table}, task), participant)
}

// taskTablePrefix is the prefix of table's keys for one task.
func taskTablePrefix(table byte, task string) []byte {
	return appendString([]byte{table}, task)
}

// keyDecoder reads fields off the front of a key, remembering the first
// error so decodeKey reads as a straight line.
type keyDecoder struct {
	b   []byte
	err error
}

func (d *keyDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("decode key: %w: %s", ErrInvalidKey, fmt.Sprintf(format, args...))
	}
}

func (d *keyDecoder) string(kind string) string {
	if d.err != nil {
		return ""
	}
	i := bytes.IndexByte(d.b, 0)
	if i < 0 {
		d.fail("%s: missing terminator", kind)
		return ""
	}
	s := string(d.b[:i])
	d.b = d.b[i+1:]
	if err := checkID(kind, s); err != nil {
		d.err = fmt.Errorf("decode key: %w", err)
	}
	return s
}

func (d *keyDecoder) byte(kind string, max byte) byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail("%s: truncated", kind)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	if c > max {
		d.fail("%s: %d out of range", kind, c)
	}
	return c
}

func (d *keyDecoder) uint64(kind string) uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("%s: truncated", kind)
		return 0
	}
	u := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return u
}

func (d *keyDecoder) time() int64 {
	return int64(d.uint64("created") ^ (1 << 63))
}

func (d *keyDecoder) score(higher bool) float64 {
	u := d.uint64("score")
	if d.err != nil {
		return 0
	}
	f, err := decodeScore(u, higher)
	if err != nil {
		d.err = fmt.Errorf("decode key: %w", err)
	}
	return f
}

// decodeKey parses any store key. It never panics, and for every b it
// accepts, decodeKey(b).encode() equals b.
func decodeKey(b []byte) (key, error) {
	if len(b) == 0 {
		return key{}, fmt.Errorf("decode key: %w: empty", ErrInvalidKey)
	}
	k := key{table: b[0]}
	d := &keyDecoder{b: b[1:]}
	phased := false
	if base, ok := unphasedTable[k.table]; ok {
		k.table, phased = base, true
	}
	task := func() {
		k.task = d.string("task")
		if phased {
			k.phase = d.string("phase")
		}
	}
	switch k.table {
	case tableTask, tableState:
		k.task = d.string("task")
	case tableSubmission, tableUnfinished:
		k.id = d.string("submission")
	case tableMarket:
		k.id = d.string("market entry")
	case tableOrder, tableBaseline:
		k.task = d.string("task")
		k.created = d.time()
		k.id = d.string("submission")
	case tableAudit:
		k.task = d.string("task")
		k.created = d.time()
		k.id = d.string("sequence")
	case tableDedupe, tableSelected:
		k.task = d.string("task")
		k.participant = d.string("participant")
		k.id = d.string("submission")
	case tableQuota:
		k.task = d.string("task")
		k.participant = d.string("participant")
		k.created = d.time()
	case tableEntrant:
		k.task = d.string("task")
		k.participant = d.string("participant")
		k.created = d.time()
		k.id = d.string("submission")
	case tableHistory:
		k.task = d.string("task")
		k.created = d.time()
		k.id = d.string("submission")
		k.board = board(d.byte("board", 1))
	case tableScore:
		task()
		k.participant = d.string("participant")
		k.board = board(d.byte("board", 1))
		k.higher = d.byte("direction", 1) == 1
		k.score = d.score(k.higher)
		k.created = d.time()
		k.id = d.string("submission")
	case tableBest:
		task()
		k.board = board(d.byte("board", 1))
		k.participant = d.string("participant")
	case tableRank:
		task()
		k.board = board(d.byte("board", 1))
		k.higher = d.byte("direction", 1) == 1
		k.score = d.score(k.higher)
		k.created = d.time()
		k.id = d.string("submission")
	case tableLadder:
		task()
		k.participant = d.string("participant")
	case tableCount, tableMember, tableTeam, tableAdmission:
		k.task = d.string("task")
		k.participant = d.string("participant")
	case tableInvitation:
		k.task = d.string("task")
		k.participant = d.string("invitation")
	case tableRescore:
		k.task = d.string("task")
		k.id = d.string("rescore")
	case tableRescoreRun:
		k.task = d.string("task")
		k.participant = d.string("rescore")
		k.id = d.string("submission")
	default:
		return key{}, fmt.Errorf("decode key: %w: unknown table %#x", ErrInvalidKey, k.table)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return key{}, d.err
	}
	return k, nil
}
