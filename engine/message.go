package engine

import (
	"regexp"
	"strings"
)

// Message is the sentence a person reads for err: its text without the
// package prefixes of the sentinels it wraps (": engine: not found"
// becomes " not found", ": metric: invalid input" goes, the rest of the
// sentence already says what was wrong). The error itself keeps its
// sentinels for errors.Is; only what is shown changes. The CLI, the HTTP
// API and the web pages show errors through Message.
func Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, s := range sentinels(err, nil) {
		text := s.Error()
		m := sentinelText.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		words := m[2]
		switch {
		case kindOnly[words]:
			msg = strings.ReplaceAll(msg, ": "+text, "")
		case words == "not found":
			msg = strings.ReplaceAll(msg, ": "+text, " not found")
		}
		msg = strings.ReplaceAll(msg, text, words)
	}
	msg = strings.ReplaceAll(msg, " not found not found", " not found")
	msg = dropRepeats(msg)
	if msg == "" {
		return strings.TrimPrefix(err.Error(), "engine: ")
	}
	return msg
}

// sentinelText is a sentinel's text: a package name, then the words.
var sentinelText = regexp.MustCompile(`^(engine|market|leaderboard|metric|gate|sandbox|datasets|credential): (.+)$`)

// dropRepeats says a clause said twice in a row once ("task closed:
// task closed").
func dropRepeats(msg string) string {
	parts := strings.Split(msg, ": ")
	out := parts[:1]
	for _, p := range parts[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return strings.Join(out, ": ")
}

// kindOnly are the sentinels that only classify an error: the sentence
// before them already says what was wrong.
var kindOnly = map[string]bool{
	"bad request": true, "invalid input": true, "invalid task spec": true,
	"invalid gate spec": true, "forbidden": true, "invalid key": true,
	"not admitted": true, "invitation refused": true, "credential refused": true,
}

// sentinels returns the errors of err's tree that wrap nothing, the
// sentinels, each once.
func sentinels(err error, seen []error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if next := u.Unwrap(); next != nil {
			return sentinels(next, seen)
		}
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			seen = sentinels(e, seen)
		}
		return seen
	}
	for _, s := range seen {
		if s.Error() == err.Error() {
			return seen
		}
	}
	return append(seen, err)
}
