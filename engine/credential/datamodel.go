package credential

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

// The VC Data Model 2.0 rules a JCS issuer must check itself. An issuer
// that does JSON-LD processing learns most of them from expansion (a term
// that expands to nothing, a protected term redefined); eddsa-jcs-2022
// signs the JSON as it is, so CheckDataModel checks its shape instead.

// protectedTerms are the terms the v2 context defines (@protected: true),
// at the top level or scoped within VerifiableCredential: an inline
// context must not redefine them.
var protectedTerms = map[string]bool{
	"id": true, "type": true, "description": true, "name": true, "digestMultibase": true, "digestSRI": true,
	"mediaType": true, "VerifiableCredential": true, "VerifiablePresentation": true,
	"EnvelopedVerifiableCredential": true, "EnvelopedVerifiablePresentation": true,
	"BitstringStatusList": true, "BitstringStatusListCredential": true, "BitstringStatusListEntry": true,
	"DataIntegrityProof": true, "JsonSchema": true, "JsonSchemaCredential": true,
	"credentialSchema": true, "credentialStatus": true, "credentialSubject": true, "evidence": true,
	"issuer": true, "proof": true, "refreshService": true, "relatedResource": true, "renderMethod": true,
	"termsOfUse": true, "validFrom": true, "validUntil": true, "holder": true, "verifiableCredential": true,
	"confidenceMethod": true,
	"_sd":              true, "_sd_alg": true, "aud": true, "cnf": true, "exp": true, "iat": true, "iss": true, "jku": true,
	"kid": true, "nbf": true, "sub": true, "x5u": true,
}

// DataModelOptions are the options of CheckDataModel.
type DataModelOptions struct {
	// Resource, if set, returns the bytes of a relatedResource this server
	// holds (ok false: not this server's). A resource it holds must match
	// its digests; any other is only format-checked.
	Resource func(url string) (data []byte, ok bool)
}

// CheckDataModel checks the VC Data Model 2.0 rules of a credential (its
// proof, if any, is ignored): @context, id, type, name and description,
// issuer, credentialSubject, the typed properties (credentialStatus,
// credentialSchema, refreshService, evidence, termsOfUse), inline
// contexts, relatedResource and the validity period's format and order.
// It does not compare the validity period with a clock: CheckValidity
// does. Every failure is a *FieldError wrapping ErrDataModel that names
// the field (ErrMalformed if doc is not a JSON object).
func CheckDataModel(doc []byte, opts DataModelOptions) error {
	top, err := parseObject(doc, "")
	if err != nil {
		return err
	}
	ctx, err := checkContext(top)
	if err != nil {
		return err
	}
	checks := []func(map[string]json.RawMessage) error{
		func(top map[string]json.RawMessage) error { return checkMapped(top, ctx) }, checkID, checkType, checkNames, checkIssuer, checkSubject, checkTyped,
		func(top map[string]json.RawMessage) error { return checkRelated(top, opts.Resource) },
		func(top map[string]json.RawMessage) error { _, _, err := validityPeriod(top); return err },
	}
	for _, check := range checks {
		if err := check(top); err != nil {
			return err
		}
	}
	return nil
}

func dmErr(field, format string, args ...any) error {
	return fieldErr(ErrDataModel, field, format, args...)
}

// isURL reports whether s is an absolute URL: a scheme, ':', and more,
// with no whitespace.
func isURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && len(s) > len(u.Scheme)+1
}

// isTerm reports whether s is a JSON-LD term a context may define: a
// letter or '_', then letters, digits, '_', '-' or '.'.
func isTerm(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && (r == '-' || r == '.' || '0' <= r && r <= '9'):
		default:
			return false
		}
	}
	return true
}

// values returns raw as a list: its elements if it is an array, else
// itself.
func values(raw json.RawMessage) []json.RawMessage {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			return list
		}
	}
	return []json.RawMessage{raw}
}

func asString(raw json.RawMessage) (string, bool) {
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}

func asObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m) == nil
}

// contextInfo is what checkContext learns of the terms a credential's
// contexts define, for checkMapped.
type contextInfo struct {
	// closed reports that every term is known here: the contexts are the
	// v2 context and inline ones, and the last @vocab an inline context
	// sets is null (the v2 context's own @vocab would map any term).
	closed bool
	terms  map[string]bool // the terms the inline contexts define
}

func checkContext(top map[string]json.RawMessage) (contextInfo, error) {
	info := contextInfo{terms: map[string]bool{}}
	raw, ok := top["@context"]
	if !ok {
		return info, dmErr("@context", "missing: want [%q, …]", ContextV2)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return info, dmErr("@context", "want an ordered set (array) whose first entry is %q", ContextV2)
	}
	if first, _ := asString(list[0]); first != ContextV2 {
		return info, dmErr("@context[0]", "want %q", ContextV2)
	}
	info.closed = true
	vocabNull := false
	protected := map[string]string{} // terms of @protected inline contexts → their definition
	for i, entry := range list[1:] {
		field := fmt.Sprintf("@context[%d]", i+1)
		if s, ok := asString(entry); ok {
			if !isURL(s) {
				return info, dmErr(field, "%.80q is not a URL", s)
			}
			info.closed = false // a context this check does not read
			continue
		}
		obj, ok := asObject(entry)
		if !ok {
			return info, dmErr(field, "want a URL or a context object")
		}
		if err := checkInlineContext(obj, field, protected); err != nil {
			return info, err
		}
		if v, ok := obj["@vocab"]; ok {
			vocabNull = string(v) == "null"
		}
		for k := range obj {
			info.terms[k] = true
		}
	}
	info.closed = info.closed && vocabNull
	return info, nil
}

// checkMapped checks, when every context is known (contextInfo.closed),
// that each type that is a term is defined by the v2 context or an inline
// one: a term nothing defines expands to nothing.
func checkMapped(top map[string]json.RawMessage, ctx contextInfo) error {
	if !ctx.closed {
		return nil
	}
	for _, v := range values(top["type"]) {
		if t, ok := asString(v); ok && isTerm(t) && !protectedTerms[t] && !ctx.terms[t] {
			return dmErr("type", "%.80q is defined by no context (an inline context sets @vocab to null)", t)
		}
	}
	return nil
}

// checkInlineContext checks the terms an inline context defines: each is
// a term or a URL (a compact IRI included) and maps to one (or to an
// object whose @id does), none is a protected v2 term, and none redefines
// differently a term an earlier @protected inline context defined
// (protected, which it extends).
func checkInlineContext(ctx map[string]json.RawMessage, field string, protected map[string]string) error {
	isProtected := false
	_ = json.Unmarshal(ctx["@protected"], &isProtected)
	for key, def := range ctx {
		switch {
		case strings.HasPrefix(key, "@"):
			continue // keywords: @version, @vocab, @protected …
		case protectedTerms[key]:
			return dmErr(field+"."+key, "redefines %q, a protected term of the v2 context", key)
		case !isTerm(key) && !isURL(key):
			return dmErr(field+"."+key, "%.80q is neither a term nor a URL", key)
		}
		iri, ok := asString(def)
		if obj, isObj := asObject(def); isObj {
			iri, ok = asString(obj["@id"])
			if _, hasID := obj["@id"]; !hasID {
				iri, ok = key, true // a definition without @id: the term itself, by @vocab
			}
		}
		if string(def) == "null" {
			iri, ok = "", true
		}
		if !ok || (iri != "" && !strings.HasPrefix(iri, "@") && !isTerm(iri) && !isURL(iri)) {
			return dmErr(field+"."+key, "maps to %.80s, neither a URL nor a term", def)
		}
		canon, _ := json.Marshal(json.RawMessage(def))
		if was, ok := protected[key]; ok && was != string(canon) {
			return dmErr(field+"."+key, "redefines %q, protected by an earlier context", key)
		}
		if isProtected {
			protected[key] = string(canon)
		}
	}
	return nil
}

func checkID(top map[string]json.RawMessage) error {
	raw, ok := top["id"]
	if !ok {
		return nil
	}
	s, isStr := asString(raw)
	if !isStr || !isURL(s) {
		return dmErr("id", "want a single URL")
	}
	return nil
}

// checkTypes checks that raw is a type or a list of them, each a URL or a
// term, and that it holds want (if set).
func checkTypes(raw json.RawMessage, field, want string) error {
	found := want == ""
	for _, v := range values(raw) {
		s, ok := asString(v)
		if !ok {
			return dmErr(field, "want a string or an array of strings")
		}
		if !isTerm(s) && !isURL(s) {
			return dmErr(field, "%.80q is neither a URL nor a term", s)
		}
		found = found || s == want
	}
	if !found {
		return dmErr(field, "does not include %q", want)
	}
	return nil
}

func checkType(top map[string]json.RawMessage) error {
	raw, ok := top["type"]
	if !ok {
		return dmErr("type", "missing: want [\"VerifiableCredential\", …]")
	}
	return checkTypes(raw, "type", "VerifiableCredential")
}

// checkNames checks name and description: a string, a language value
// object {"@value", "@language", "@direction"}, or an array of them.
func checkNames(top map[string]json.RawMessage) error {
	if err := checkNamesAt(top, ""); err != nil {
		return err
	}
	if issuer, ok := asObject(top["issuer"]); ok {
		return checkNamesAt(issuer, "issuer.")
	}
	return nil
}

func checkNamesAt(top map[string]json.RawMessage, prefix string) error {
	for _, name := range []string{"name", "description"} {
		key := prefix + name
		raw, ok := top[name]
		if !ok {
			continue
		}
		for _, v := range values(raw) {
			if _, ok := asString(v); ok {
				continue
			}
			obj, ok := asObject(v)
			if !ok {
				return dmErr(key, "want a string or a language value object")
			}
			if _, ok := asString(obj["@value"]); !ok {
				return dmErr(key+".@value", "want a string")
			}
			for k, val := range obj {
				_, isStr := asString(val)
				switch {
				case k != "@value" && k != "@language" && k != "@direction":
					return dmErr(key+"."+k, "a language value object has only @value, @language and @direction")
				case !isStr:
					return dmErr(key+"."+k, "want a string")
				}
			}
		}
	}
	return nil
}

func checkIssuer(top map[string]json.RawMessage) error {
	raw, ok := top["issuer"]
	if !ok {
		return dmErr("issuer", "missing")
	}
	if s, ok := asString(raw); ok {
		if !isURL(s) {
			return dmErr("issuer", "%.80q is not a URL", s)
		}
		return nil
	}
	obj, ok := asObject(raw)
	if !ok {
		return dmErr("issuer", "want a URL or an object with an id")
	}
	if s, ok := asString(obj["id"]); !ok || !isURL(s) {
		return dmErr("issuer.id", "want a single URL")
	}
	return nil
}

func checkSubject(top map[string]json.RawMessage) error {
	raw, ok := top["credentialSubject"]
	if !ok {
		return dmErr("credentialSubject", "missing")
	}
	for _, v := range values(raw) {
		obj, ok := asObject(v)
		if !ok || len(obj) == 0 {
			return dmErr("credentialSubject", "want a non-empty object or an array of them")
		}
		if id, ok := obj["id"]; ok {
			if s, ok := asString(id); !ok || !isURL(s) {
				return dmErr("credentialSubject.id", "want a single URL")
			}
		}
	}
	return nil
}

// checkTyped checks the properties whose values must each have a type:
// credentialStatus (id, if any, a single URL), credentialSchema (id a
// URL), refreshService, evidence and termsOfUse.
func checkTyped(top map[string]json.RawMessage) error {
	for _, key := range []string{"credentialStatus", "credentialSchema", "refreshService", "evidence", "termsOfUse"} {
		raw, ok := top[key]
		if !ok {
			continue
		}
		for _, v := range values(raw) {
			obj, ok := asObject(v)
			if !ok {
				return dmErr(key, "want an object or an array of objects")
			}
			t, ok := obj["type"]
			if !ok {
				return dmErr(key+".type", "missing")
			}
			if err := checkTypes(t, key+".type", ""); err != nil {
				return err
			}
			id, hasID := obj["id"]
			if key == "credentialSchema" && !hasID {
				return dmErr(key+".id", "missing: a schema is named by its URL")
			}
			if hasID {
				if s, ok := asString(id); !ok || !isURL(s) {
					return dmErr(key+".id", "want a single URL")
				}
			}
		}
	}
	return nil
}

// digests maps the algorithms of digestSRI to their hash.
var sriHashes = map[string]func() hash.Hash{"sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}

// multihashes maps a multihash code (one varint byte) to its hash.
var multihashes = map[byte]func() hash.Hash{0x12: sha256.New, 0x13: sha512.New, 0x20: sha512.New384}

// checkRelated checks relatedResource: objects with unique URL ids, each
// with a digestSRI or digestMultibase that is well formed and, for a
// resource this server holds, matches it.
func checkRelated(top map[string]json.RawMessage, resource func(string) ([]byte, bool)) error {
	raw, ok := top["relatedResource"]
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	for i, v := range values(raw) {
		field := fmt.Sprintf("relatedResource[%d]", i)
		obj, ok := asObject(v)
		if !ok {
			return dmErr(field, "want an object")
		}
		id, ok := asString(obj["id"])
		if !ok || !isURL(id) {
			return dmErr(field+".id", "want a single URL")
		}
		if seen[id] {
			return dmErr(field+".id", "%.120q is listed twice", id)
		}
		seen[id] = true
		var data []byte
		var held bool
		if resource != nil {
			data, held = resource(id)
		}
		sri, hasSRI := obj["digestSRI"]
		mb, hasMB := obj["digestMultibase"]
		if !hasSRI && !hasMB {
			return dmErr(field, "has neither digestSRI nor digestMultibase")
		}
		if hasSRI {
			s, _ := asString(sri)
			alg, b64, _ := strings.Cut(s, "-")
			h, ok := sriHashes[alg]
			want, err := base64.StdEncoding.DecodeString(b64)
			if !ok || err != nil || len(want) != h().Size() {
				return dmErr(field+".digestSRI", "%.80q is not sha256-, sha384- or sha512- and a base64 digest", s)
			}
			if held && !bytes.Equal(sum(h, data), want) {
				return dmErr(field+".digestSRI", "does not match the resource %.120q", id)
			}
		}
		if hasMB {
			s, _ := asString(mb)
			h, digest, err := decodeDigestMultibase(s)
			if err != nil {
				return dmErr(field+".digestMultibase", "%.80q: %v", s, err)
			}
			if held && !bytes.Equal(sum(h, data), digest) {
				return dmErr(field+".digestMultibase", "does not match the resource %.120q", id)
			}
		}
	}
	return nil
}

// decodeDigestMultibase decodes a digestMultibase: base64url ('u') or
// base58btc ('z') of a SHA-256, -384 or -512 digest, bare (as the VC 2.0
// examples) or as a multihash.
func decodeDigestMultibase(s string) (func() hash.Hash, []byte, error) {
	b, err := decodeMultibase(s)
	if err != nil {
		return nil, nil, err
	}
	switch len(b) {
	case sha256.Size:
		return sha256.New, b, nil
	case sha512.Size384:
		return sha512.New384, b, nil
	case sha512.Size:
		return sha512.New, b, nil
	}
	if len(b) >= 2 && multihashes[b[0]] != nil && int(b[1]) == multihashes[b[0]]().Size() && len(b) == 2+int(b[1]) {
		return multihashes[b[0]], b[2:], nil
	}
	return nil, nil, fmt.Errorf("not a SHA-256, -384 or -512 digest, bare or as a multihash")
}

func sum(h func() hash.Hash, data []byte) []byte {
	d := h()
	d.Write(data)
	return d.Sum(nil)
}

// decodeMultibase decodes base64url ('u') and base58btc ('z') multibase.
func decodeMultibase(s string) ([]byte, error) {
	switch {
	case strings.HasPrefix(s, "u"):
		return base64.RawURLEncoding.DecodeString(s[1:])
	case strings.HasPrefix(s, "z"):
		return decodeBase58(s[1:])
	}
	return nil, fmt.Errorf("multibase prefix: want 'u' or 'z'")
}

// validityPeriod reads validFrom and validUntil (each optional, each an
// XML Schema dateTimeStamp) and checks that validUntil is after validFrom.
func validityPeriod(top map[string]json.RawMessage) (from, until time.Time, err error) {
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"validFrom", &from}, {"validUntil", &until}} {
		if _, ok := top[p.key]; !ok {
			continue
		}
		s, _ := asString(top[p.key])
		t, perr := parseDateTimeStamp(s)
		if perr != nil {
			return from, until, dmErr(p.key, "%.40q is not an XML Schema dateTimeStamp (2006-01-02T15:04:05Z)", s)
		}
		*p.dst = t
	}
	if !from.IsZero() && !until.IsZero() && !until.After(from) {
		return from, until, dmErr("validUntil", "%s is not after validFrom %s", until.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return from, until, nil
}

// parseDateTimeStamp parses an XML Schema dateTimeStamp: RFC 3339 with a
// zone, 'T' upper case, as the VC data model requires.
func parseDateTimeStamp(s string) (time.Time, error) {
	if strings.ContainsAny(s, "tz ") {
		return time.Time{}, fmt.Errorf("lower-case t or z, or a space")
	}
	return time.Parse(time.RFC3339Nano, s)
}

// CheckValidity checks a credential's validity period against now:
// ErrNotYetValid before validFrom, ErrExpired from validUntil on.
func CheckValidity(doc []byte, now time.Time) error {
	top, err := parseObject(doc, "")
	if err != nil {
		return err
	}
	from, until, err := validityPeriod(top)
	if err != nil {
		return err
	}
	if !from.IsZero() && now.Before(from) {
		return fieldErr(ErrNotYetValid, "validFrom", "valid from %s, now is %s", from.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !until.IsZero() && !now.Before(until) {
		return fieldErr(ErrExpired, "validUntil", "valid until %s, now is %s", until.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
