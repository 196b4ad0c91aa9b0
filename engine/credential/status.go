package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Bitstring Status List v1.0 constants.
const (
	// MinStatusListSize is the fewest entries (bits) a status list has:
	// 16 KiB, so that one credential's index says little about its holder.
	MinStatusListSize = 131072
	// MaxStatusListSize is the most entries DecodeStatusList accepts: a
	// 16 MiB bitstring. Decompression stops there, so a gzip bomb costs at
	// most that much memory.
	MaxStatusListSize = 16 << 20 * 8

	StatusPurposeRevocation = "revocation"
	StatusPurposeSuspension = "suspension"
	StatusEntryType         = "BitstringStatusListEntry"
	StatusListType          = "BitstringStatusList"
	StatusListCredential    = "BitstringStatusListCredential"
)

// StatusList is a bitstring of credential statuses: bit i set means the
// credential with statusListIndex i is revoked. Bit 0 is the most
// significant bit of the first byte. A StatusList is not safe for
// concurrent use.
type StatusList struct {
	bits []byte
}

// NewStatusList returns a list of size entries, all clear. size 0 means
// MinStatusListSize; otherwise it must be a multiple of 8 in
// [MinStatusListSize, MaxStatusListSize].
func NewStatusList(size int) (*StatusList, error) {
	if size == 0 {
		size = MinStatusListSize
	}
	if size < MinStatusListSize || size > MaxStatusListSize || size%8 != 0 {
		return nil, fmt.Errorf("size %d: want a multiple of 8 in [%d, %d]: %w", size, MinStatusListSize, MaxStatusListSize, ErrStatusList)
	}
	return &StatusList{bits: make([]byte, size/8)}, nil
}

// Len returns the number of entries.
func (l *StatusList) Len() int { return len(l.bits) * 8 }

func (l *StatusList) check(index int) error {
	if index < 0 || index >= l.Len() {
		return fmt.Errorf("index %d out of range [0, %d): %w", index, l.Len(), ErrStatus)
	}
	return nil
}

// Set sets (revoked) or clears entry index.
func (l *StatusList) Set(index int, revoked bool) error {
	if err := l.check(index); err != nil {
		return err
	}
	mask := byte(0x80) >> (index % 8)
	if revoked {
		l.bits[index/8] |= mask
	} else {
		l.bits[index/8] &^= mask
	}
	return nil
}

// Get reports whether entry index is set.
func (l *StatusList) Get(index int) (bool, error) {
	if err := l.check(index); err != nil {
		return false, err
	}
	return l.bits[index/8]&(0x80>>(index%8)) != 0, nil
}

// Encode returns the list's encodedList: 'u' (multibase base64url, no
// padding) and the base64url of the GZIP-compressed bitstring. The output
// is deterministic.
func (l *StatusList) Encode() (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", fmt.Errorf("compress status list: %w", err)
	}
	if _, err := zw.Write(l.bits); err != nil {
		return "", fmt.Errorf("compress status list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compress status list: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeStatusList decodes an encodedList. It stops decompressing at
// MaxStatusListSize bits and refuses lists shorter than MinStatusListSize.
// Errors wrap ErrStatusList.
func DecodeStatusList(s string) (*StatusList, error) {
	if len(s) > MaxDocumentSize {
		return nil, fmt.Errorf("encodedList of %d bytes, want at most %d: %w", len(s), MaxDocumentSize, ErrStatusList)
	}
	if len(s) == 0 || s[0] != 'u' {
		return nil, fmt.Errorf("encodedList is not base64url (multibase prefix 'u'): %w", ErrStatusList)
	}
	z, err := base64.RawURLEncoding.DecodeString(s[1:])
	if err != nil {
		return nil, fmt.Errorf("encodedList: %v: %w", err, ErrStatusList)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("encodedList: gunzip: %v: %w", err, ErrStatusList)
	}
	const maxBytes = MaxStatusListSize / 8
	bits, err := io.ReadAll(io.LimitReader(zr, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("encodedList: gunzip: %v: %w", err, ErrStatusList)
	}
	if len(bits) > maxBytes {
		return nil, fmt.Errorf("encodedList decompresses to more than %d bytes: %w", maxBytes, ErrStatusList)
	}
	if len(bits)*8 < MinStatusListSize {
		return nil, fmt.Errorf("encodedList has %d entries, want at least %d: %w", len(bits)*8, MinStatusListSize, ErrStatusList)
	}
	return &StatusList{bits: bits}, nil
}

// StatusEntry is a credential's credentialStatus: where its status bit is.
type StatusEntry struct {
	ID                   string `json:"id,omitempty"`
	Type                 string `json:"type"`          // BitstringStatusListEntry
	StatusPurpose        string `json:"statusPurpose"` // revocation
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"` // the list credential's URL
}

// NewStatusEntry returns the revocation entry for bit index of the list
// credential at listURL.
func NewStatusEntry(listURL string, index int) StatusEntry {
	i := strconv.Itoa(index)
	return StatusEntry{
		ID:                   listURL + "#" + i,
		Type:                 StatusEntryType,
		StatusPurpose:        StatusPurposeRevocation,
		StatusListIndex:      i,
		StatusListCredential: listURL,
	}
}

// Validate checks the entry's type, purpose, index and URL.
func (e StatusEntry) Validate() error {
	switch {
	case e.Type != StatusEntryType:
		return fieldErr(ErrStatus, "credentialStatus.type", "got %.40q, want %q", e.Type, StatusEntryType)
	case e.StatusPurpose == "":
		return fieldErr(ErrStatus, "credentialStatus.statusPurpose", "missing")
	case e.StatusListCredential == "":
		return fieldErr(ErrStatus, "credentialStatus.statusListCredential", "missing")
	}
	if _, err := e.index(); err != nil {
		return err
	}
	return nil
}

func (e StatusEntry) index() (int, error) {
	i, err := strconv.Atoi(e.StatusListIndex)
	if err != nil || i < 0 || i >= MaxStatusListSize || strconv.Itoa(i) != e.StatusListIndex {
		return 0, fieldErr(ErrStatus, "credentialStatus.statusListIndex", "%.40q is not an index in [0, %d)", e.StatusListIndex, MaxStatusListSize)
	}
	return i, nil
}

type statusListDoc struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            string            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil,omitempty"`
	CredentialSubject statusListSubject `json:"credentialSubject"`
}

type statusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// IssueStatusList returns the signed BitstringStatusListCredential of a
// revocation list published at listURL.
func IssueStatusList(listURL string, list *StatusList, issuer KeyPair, validFrom time.Time) ([]byte, error) {
	return IssuePurposeList(listURL, StatusPurposeRevocation, list, issuer, validFrom)
}

// IssuePurposeList is IssueStatusList for a list of any statusPurpose
// (revocation, suspension, …).
func IssuePurposeList(listURL, purpose string, list *StatusList, issuer KeyPair, validFrom time.Time) ([]byte, error) {
	if err := issuer.valid(); err != nil {
		return nil, err
	}
	if listURL == "" {
		return nil, fieldErr(ErrMalformed, "id", "empty status list URL")
	}
	if purpose == "" {
		return nil, fieldErr(ErrMalformed, "credentialSubject.statusPurpose", "empty")
	}
	if validFrom.IsZero() {
		return nil, fieldErr(ErrMalformed, "validFrom", "zero time")
	}
	enc, err := list.Encode()
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(statusListDoc{
		Context:   []string{ContextV2},
		ID:        listURL,
		Type:      []string{"VerifiableCredential", StatusListCredential},
		Issuer:    issuer.DID(),
		ValidFrom: validFrom.UTC().Format(timestampLayout),
		CredentialSubject: statusListSubject{
			ID:            listURL + "#list",
			Type:          StatusListType,
			StatusPurpose: purpose,
			EncodedList:   enc,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("encode status list credential: %w", err)
	}
	return Sign(doc, issuer, ProofOptions{Created: validFrom})
}

// CheckStatus reports whether entry's bit is set in listCredential, a
// BitstringStatusListCredential fetched from entry.StatusListCredential.
// It verifies the list's proof, that issuerDID (the issuer of the
// credential being checked) issued it, that its id is the entry's URL, that
// its purpose is the entry's, and that it is valid at now.
func CheckStatus(entry StatusEntry, listCredential []byte, issuerDID string, now time.Time) (revoked bool, err error) {
	if err := entry.Validate(); err != nil {
		return false, err
	}
	index, err := entry.index()
	if err != nil {
		return false, err
	}
	wrap := func(err error) error {
		return fmt.Errorf("status list %.200q: %w", entry.StatusListCredential, err)
	}
	res, err := Verify(listCredential, nil)
	if err != nil {
		return false, wrap(err)
	}
	if res.Issuer != issuerDID {
		return false, wrap(fieldErr(ErrIssuerMismatch, "issuer", "list issued by %.110q, credential by %.110q", res.Issuer, issuerDID))
	}
	var doc statusListDoc
	if err := json.Unmarshal(res.Document, &doc); err != nil {
		return false, wrap(fieldErr(ErrMalformed, "", "%v", err))
	}
	top, _ := parseObject(res.Document, "")
	if _, _, err := checkValidity(top, now); err != nil {
		return false, wrap(err)
	}
	switch {
	case !slices.Contains(doc.Type, StatusListCredential):
		return false, wrap(fieldErr(ErrStatus, "type", "not a %s", StatusListCredential))
	case doc.ID != entry.StatusListCredential:
		return false, wrap(fieldErr(ErrStatus, "id", "got %.200q, want the entry's statusListCredential", doc.ID))
	case doc.CredentialSubject.Type != StatusListType:
		return false, wrap(fieldErr(ErrStatus, "credentialSubject.type", "got %.40q, want %q", doc.CredentialSubject.Type, StatusListType))
	case doc.CredentialSubject.StatusPurpose != entry.StatusPurpose:
		return false, wrap(fieldErr(ErrStatus, "credentialSubject.statusPurpose", "got %.40q, want the entry's %q",
			doc.CredentialSubject.StatusPurpose, entry.StatusPurpose))
	}
	list, err := DecodeStatusList(doc.CredentialSubject.EncodedList)
	if err != nil {
		return false, wrap(fieldErr(ErrStatusList, "credentialSubject.encodedList", "%v", err))
	}
	set, err := list.Get(index)
	if err != nil {
		return false, wrap(fieldErr(ErrStatus, "credentialStatus.statusListIndex", "%v", err))
	}
	return set, nil
}

// checkValidity checks validFrom (required) and validUntil (optional) of a
// credential against now.
func checkValidity(top map[string]json.RawMessage, now time.Time) (from, until time.Time, err error) {
	from, err = timeField(top, "validFrom", "validFrom")
	if err != nil {
		return from, until, err
	}
	if now.Before(from) {
		return from, until, fieldErr(ErrNotYetValid, "validFrom", "valid from %s, now is %s", from.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if _, ok := top["validUntil"]; ok {
		until, err = timeField(top, "validUntil", "validUntil")
		if err != nil {
			return from, until, err
		}
		if !now.Before(until) {
			return from, until, fieldErr(ErrExpired, "validUntil", "valid until %s, now is %s", until.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	return from, until, nil
}
