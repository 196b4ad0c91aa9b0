package ledger

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// TileHeight is the height of the log's hash tiles (C2SP tlog-tiles: 8,
// so a full tile holds 256 hashes and an entry bundle 256 entries).
const TileHeight = 8

// tileWidth is a full tile's width.
const tileWidth = 1 << TileHeight

// EntriesLevel is the Level TilePath gives an entry bundle.
const EntriesLevel = -1

// TilePath returns the C2SP tlog-tiles path of the tile at level (0 and
// up for hashes, EntriesLevel for an entry bundle) and index n, of width
// w (1..256; a tile of width 256 is full and has no ".p/<W>" suffix):
// tile/0/x001/234.p/5, tile/entries/000.
func TilePath(level int, n int64, w int) string {
	var b strings.Builder
	b.WriteString("tile/")
	if level == EntriesLevel {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(level))
	}
	b.WriteByte('/')
	b.WriteString(indexPath(n))
	if w < tileWidth {
		fmt.Fprintf(&b, ".p/%d", w)
	}
	return b.String()
}

// indexPath encodes a tile index as C2SP's zero-padded three-digit path
// elements, all but the last prefixed with "x": 1234067 is x001/x234/067.
func indexPath(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// maxTileLevel bounds a tile level ParseTilePath accepts: 8 levels of
// height 8 cover 2^64 entries.
const maxTileLevel = 8

// ParseTilePath decodes a C2SP tlog-tiles path (TilePath's output); it
// refuses every other spelling, so a path that parses names one file.
func ParseTilePath(path string) (level int, n int64, w int, err error) {
	bad := func(why string) (int, int64, int, error) {
		return 0, 0, 0, fmt.Errorf("tile path %.100q: %s: %w", path, why, ErrTile)
	}
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return bad("not under tile/")
	}
	lv, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return bad("no index")
	}
	if lv == "entries" {
		level = EntriesLevel
	} else {
		l, err := strconv.Atoi(lv)
		if err != nil || l < 0 || l > maxTileLevel || strconv.Itoa(l) != lv {
			return bad("level is not 0.." + strconv.Itoa(maxTileLevel) + " or entries")
		}
		level = l
	}
	w = tileWidth
	if idx, ws, ok := strings.Cut(rest, ".p/"); ok {
		x, err := strconv.Atoi(ws)
		if err != nil || x < 1 || x >= tileWidth || strconv.Itoa(x) != ws {
			return bad("partial width is not 1..255")
		}
		rest, w = idx, x
	}
	elems := strings.Split(rest, "/")
	if len(elems) > 7 {
		return bad("index too long")
	}
	for i, e := range elems {
		if i < len(elems)-1 {
			var ok bool
			if e, ok = strings.CutPrefix(e, "x"); !ok {
				return bad("inner index element without x")
			}
		}
		if len(e) != 3 || strings.Trim(e, "0123456789") != "" {
			return bad("index element is not three digits")
		}
		d, _ := strconv.Atoi(e)
		n = n*1000 + int64(d)
	}
	if n < 0 || TilePath(level, n, w) != path {
		return bad("not canonical")
	}
	return level, n, w, nil
}

// MaxEntrySize bounds an entry: an entry bundle spells each length in
// two bytes.
const MaxEntrySize = 1<<16 - 1

// appendBundle appends entries to an entry bundle: each as a big-endian
// uint16 length and its bytes.
func appendBundle(b []byte, entries ...[]byte) []byte {
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

// ParseBundle decodes an entry bundle (C2SP tlog-tiles) into its
// entries.
func ParseBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("entry bundle: truncated length after %d entries: %w", len(out), ErrTile)
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b)-2 < n {
			return nil, fmt.Errorf("entry bundle: entry %d of %d bytes, %d left: %w", len(out), n, len(b)-2, ErrTile)
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
		if len(out) > tileWidth {
			return nil, fmt.Errorf("entry bundle: more than %d entries: %w", tileWidth, ErrTile)
		}
	}
	return out, nil
}
