// Package jcs implements the JSON Canonicalization Scheme of RFC 8785.
//
// It is the "transformation" step of the eddsa-jcs-2022 cryptosuite: the
// bytes a credential's signature covers are the canonical form of its JSON,
// so two documents that differ only in whitespace, key order, escaping or
// number spelling sign and verify the same.
//
// Canonicalize is strict: its input must be I-JSON (RFC 7493). Duplicate
// object keys, invalid UTF-8, lone UTF-16 surrogates (raw or escaped),
// numbers outside the IEEE 754 double range and nesting deeper than
// MaxDepth are errors, never silently repaired, because a verifier that
// repairs a document signs off on bytes nobody signed.
//
// # Usage
//
//	canon, err := jcs.Canonicalize([]byte(`{"b": 1.50, "a": "\u00e9"}`))
//	// canon == `{"a":"é","b":1.5}`
package jcs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Canonicalize
// accepts.
const MaxDepth = 256

var (
	// ErrSyntax reports JSON that does not follow RFC 8259's grammar.
	ErrSyntax = errors.New("jcs: invalid JSON")
	// ErrDuplicateKey reports an object with the same key twice (after
	// unescaping), which I-JSON forbids.
	ErrDuplicateKey = errors.New("jcs: duplicate object key")
	// ErrInvalidUTF8 reports a string that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("jcs: invalid UTF-8")
	// ErrLoneSurrogate reports a \u escape of an unpaired UTF-16 surrogate.
	ErrLoneSurrogate = errors.New("jcs: lone UTF-16 surrogate")
	// ErrNumberRange reports a number that is not a finite IEEE 754 double.
	ErrNumberRange = errors.New("jcs: number out of range")
	// ErrTooDeep reports nesting deeper than MaxDepth.
	ErrTooDeep = errors.New("jcs: nesting too deep")
)

// Error is a canonicalization error at a byte offset of the input.
type Error struct {
	Offset int   // byte offset in the input
	Err    error // one of the Err* sentinels
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("offset %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("offset %d: %s: %v", e.Offset, e.Detail, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Canonicalize returns the RFC 8785 canonical form of the JSON text data:
// no insignificant whitespace, object members sorted by the UTF-16 code
// units of their keys, strings with the minimal escaping of RFC 8785 §3.2.2.2
// and numbers written as ECMAScript's Number.prototype.toString writes
// them. The result is valid JSON and Canonicalize(result) == result.
func Canonicalize(data []byte) ([]byte, error) {
	p := parser{data: data}
	p.skipSpace()
	out, err := p.value(make([]byte, 0, len(data)))
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf(ErrSyntax, "data after the top-level value")
	}
	return out, nil
}

type parser struct {
	data  []byte
	pos   int
	depth int
}

func (p *parser) errorf(err error, format string, args ...any) error {
	return &Error{Offset: p.pos, Err: err, Detail: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(dst []byte) ([]byte, error) {
	if p.pos >= len(p.data) {
		return nil, p.errorf(ErrSyntax, "unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(dst)
	case c == '[':
		return p.array(dst)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return appendString(dst, s), nil
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number(dst)
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.data[p.pos:], []byte(lit)) {
				p.pos += len(lit)
				return append(dst, lit...), nil
			}
		}
		return nil, p.errorf(ErrSyntax, "unexpected character %q", c)
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(ErrTooDeep, "more than %d levels", MaxDepth)
	}
	return nil
}

type member struct {
	key   []uint16 // sort key: UTF-16 code units
	bytes []byte   // canonical "key":value
}

func (p *parser) object(dst []byte) ([]byte, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '{'
	var members []member
	seen := make(map[string]struct{})
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return append(dst, "{}"...), nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf(ErrSyntax, "want an object key")
		}
		keyAt := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := seen[key]; dup {
			p.pos = keyAt
			return nil, p.errorf(ErrDuplicateKey, "key %.60q", key)
		}
		seen[key] = struct{}{}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf(ErrSyntax, "want ':' after object key")
		}
		p.pos++
		p.skipSpace()
		b := appendString(nil, key)
		b = append(b, ':')
		if b, err = p.value(b); err != nil {
			return nil, err
		}
		members = append(members, member{key: utf16.Encode([]rune(key)), bytes: b})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf(ErrSyntax, "unterminated object")
		}
		if c := p.data[p.pos]; c == '}' {
			p.pos++
			break
		} else if c != ',' {
			return nil, p.errorf(ErrSyntax, "want ',' or '}' in object, got %q", c)
		}
		p.pos++
	}
	p.depth--
	slices.SortFunc(members, func(a, b member) int { return slices.Compare(a.key, b.key) })
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, m.bytes...)
	}
	return append(dst, '}'), nil
}

func (p *parser) array(dst []byte) ([]byte, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '['
	dst = append(dst, '[')
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return append(dst, ']'), nil
	}
	for first := true; ; first = false {
		if !first {
			dst = append(dst, ',')
		}
		p.skipSpace()
		var err error
		if dst, err = p.value(dst); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf(ErrSyntax, "unterminated array")
		}
		if c := p.data[p.pos]; c == ']' {
			p.pos++
			break
		} else if c != ',' {
			return nil, p.errorf(ErrSyntax, "want ',' or ']' in array, got %q", c)
		}
		p.pos++
	}
	p.depth--
	return append(dst, ']'), nil
}

// str parses a JSON string at p.pos and returns its value.
func (p *parser) str() (string, error) {
	p.pos++ // '"'
	var b []byte
	for {
		if p.pos >= len(p.data) {
			return "", p.errorf(ErrSyntax, "unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(b), nil
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, r)
		case c < 0x20:
			return "", p.errorf(ErrSyntax, "unescaped control character %#02x in string", c)
		case c < utf8.RuneSelf:
			b = append(b, c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", p.errorf(ErrInvalidUTF8, "byte %#02x in string", c)
			}
			b = append(b, p.data[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
}

// escape parses the escape sequence at p.pos (a backslash) and returns the
// rune it stands for, joining a \u surrogate pair.
func (p *parser) escape() (rune, error) {
	if p.pos+1 >= len(p.data) {
		return 0, p.errorf(ErrSyntax, "unterminated escape")
	}
	c := p.data[p.pos+1]
	if r, ok := simpleEscapes[c]; ok {
		p.pos += 2
		return r, nil
	}
	if c != 'u' {
		return 0, p.errorf(ErrSyntax, "invalid escape \\%c", c)
	}
	r1, err := p.hex4()
	if err != nil {
		return 0, err
	}
	switch {
	case utf16.IsSurrogate(r1) && r1 < 0xdc00: // high surrogate: want a low one next
		if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
			at := p.pos
			r2, err := p.hex4()
			if err != nil {
				return 0, err
			}
			if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
				return r, nil
			}
			p.pos = at
		}
		return 0, p.errorf(ErrLoneSurrogate, "\\u%04x not followed by a low surrogate", r1)
	case utf16.IsSurrogate(r1):
		return 0, p.errorf(ErrLoneSurrogate, "\\u%04x without a high surrogate before it", r1)
	}
	return r1, nil
}

var simpleEscapes = map[byte]rune{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 parses \uXXXX at p.pos.
func (p *parser) hex4() (rune, error) {
	if p.pos+6 > len(p.data) {
		return 0, p.errorf(ErrSyntax, "truncated \\u escape")
	}
	v, err := strconv.ParseUint(string(p.data[p.pos+2:p.pos+6]), 16, 16)
	if err != nil {
		return 0, p.errorf(ErrSyntax, "invalid \\u escape %q", p.data[p.pos:p.pos+6])
	}
	p.pos += 6
	return rune(v), nil
}

func (p *parser) number(dst []byte) ([]byte, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && '0' <= p.data[p.pos] && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errorf(ErrSyntax, "invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf(ErrSyntax, "want digits after the decimal point")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf(ErrSyntax, "want digits in the exponent")
		}
	}
	text := string(p.data[start:p.pos])
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errorf(ErrSyntax, "number %q", text)
	}
	// ErrRange with a finite result is an underflow to zero, which is what
	// ECMAScript's Number() does too; an infinite result is not I-JSON.
	if math.IsInf(f, 0) {
		p.pos = start
		return nil, p.errorf(ErrNumberRange, "number %.40q", text)
	}
	return AppendNumber(dst, f)
}

// AppendNumber appends f as ECMAScript's Number.prototype.toString writes
// it (ECMA-262 §6.1.6.1.20): the shortest decimal that round-trips, in
// plain notation when its exponent is in [-7, 21) and in d.ddde±n notation
// otherwise; -0 is written 0. NaN and infinities are errors.
func AppendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %v: %w", f, ErrNumberRange)
	}
	if f == 0 {
		return append(dst, '0'), nil
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest round-trip digits d1.d2d3...e±x; the value is 0.d1d2... × 10^n.
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mark := bytes.IndexByte(e, 'e')
	exp, err := strconv.Atoi(string(e[mark+1:]))
	if err != nil {
		return nil, fmt.Errorf("number %v: exponent %q: %w", f, e[mark+1:], err)
	}
	digits := make([]byte, 0, mark)
	for _, c := range e[:mark] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	k, n := len(digits), exp+1
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, n-k)...)
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		dst = append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, "0."...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, -n)...)
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst, nil
}

// appendString appends s (valid UTF-8) as a JSON string escaped as RFC 8785
// §3.2.2.2 requires: \" \\ \b \f \n \r \t, other controls as \u00xx with
// lowercase hex, everything else as itself.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}
