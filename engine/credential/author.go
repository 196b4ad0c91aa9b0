package credential

import (
	"fmt"
	"net/url"
	"strings"
)

// ParticipantURN prefixes the IRI of a participant known only by a name:
// ParticipantURN + task + ":" + name, both percent-encoded.
const ParticipantURN = "urn:verdict:participant:"

// ParticipantIRI returns the absolute IRI that a credential's author names
// participant by. A did:key (a signed participant) is an IRI already and
// is returned as it is; any other participant id is a name that verdict
// does not verify ("carol"), a relative IRI that JSON-LD processors drop,
// so it becomes ParticipantURN + task + ":" + name, each with every byte
// outside RFC 3986's unreserved set percent-encoded. The task is part of
// it because a name identifies nobody beyond the task it was given on.
func ParticipantIRI(task, participant string) string {
	if strings.HasPrefix(participant, "did:key:") {
		return participant
	}
	return ParticipantURN + pctEncode(task) + ":" + pctEncode(participant)
}

// ParticipantName returns the participant id an author IRI names: the
// name of a ParticipantIRI, or author itself for any other IRI (a did:key)
// and for the bare names of credentials issued before authors were IRIs.
func ParticipantName(author string) string {
	rest, ok := strings.CutPrefix(author, ParticipantURN)
	if !ok {
		return author
	}
	_, name, ok := strings.Cut(rest, ":")
	if !ok {
		return author
	}
	if n, err := url.PathUnescape(name); err == nil {
		return n
	}
	return author
}

func pctEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// checkAbsoluteIRI reports whether s is an absolute IRI: an RFC 3986
// scheme, ':' and a non-empty rest without space, control or the
// characters IRIs exclude.
func checkAbsoluteIRI(s string) error {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || rest == "" {
		return fmt.Errorf("%.80q is not an absolute IRI (no scheme)", s)
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return fmt.Errorf("%.80q is not an absolute IRI (bad scheme %.20q)", s, scheme)
		}
	}
	for _, r := range rest {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"{}|\\^`", r) {
			return fmt.Errorf("%.80q is not an absolute IRI (character %q)", s, r)
		}
	}
	return nil
}
