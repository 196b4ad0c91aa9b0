package market

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/durable"
)

// A marketplace's trust policy (issue 16, "Whose certificate?"): the
// issuers its operator trusts to certify models, each by its host
// did:key, for a period and optionally only for some tasks or datasets.
// List and Entry say whether an entry's issuer is trusted (Entry.Trusted),
// at read time, so withdrawing trust flags an issuer's models at once;
// Ingest refuses an issuer it does not cover unless told to list it as
// untrusted (IngestOptions.AllowUntrusted).

// MaxIssuerName bounds TrustedIssuer.Name, in bytes.
const MaxIssuerName = 100

// MaxIssuerScope bounds TrustedIssuer.Tasks and .Datasets, in entries.
const MaxIssuerScope = 1000

// TrustedIssuer is one entry of the registry.
type TrustedIssuer struct {
	// DID is the issuer's host did:key (credential.ParseDIDKey).
	DID string `json:"did"`
	// Name is who the operator knows the issuer as, for people.
	Name string `json:"name"`
	// Since and Until bound when a credential it issued is trusted (by
	// the credential's validFrom); a zero Until is open.
	Since time.Time `json:"since"`
	Until time.Time `json:"until,omitzero"`
	// Tasks and Datasets, if not empty, are the only task ids and dataset
	// SHA-256s (hex) it is trusted to certify.
	Tasks    []string `json:"tasks,omitempty"`
	Datasets []string `json:"datasets,omitempty"`
}

// Validate reports a DID that is not a did:key, a name that is empty,
// too long or not printable, a period that ends before it starts, and a
// scope too large or with an empty entry, wrapping engine.ErrBadRequest.
func (ti TrustedIssuer) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("trusted issuer %.80q: "+format+": %w", append([]any{ti.DID}, append(args, engine.ErrBadRequest)...)...)
	}
	if _, err := credential.ParseDIDKey(ti.DID); err != nil {
		return bad("not a did:key: %v", err)
	}
	switch {
	case ti.Name == "" || len(ti.Name) > MaxIssuerName:
		return bad("name: %d bytes, want 1 to %d", len(ti.Name), MaxIssuerName)
	case !utf8.ValidString(ti.Name) || strings.IndexFunc(ti.Name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return bad("name %.40q: not printable text", ti.Name)
	case ti.Since.IsZero():
		return bad("since: missing")
	case !ti.Until.IsZero() && !ti.Until.After(ti.Since):
		return bad("until %s is not after since %s", ti.Until.Format(time.RFC3339), ti.Since.Format(time.RFC3339))
	case len(ti.Tasks) > MaxIssuerScope || len(ti.Datasets) > MaxIssuerScope:
		return bad("scope: more than %d tasks or datasets", MaxIssuerScope)
	case slices.Contains(ti.Tasks, "") || slices.Contains(ti.Datasets, ""):
		return bad("scope: an empty task or dataset")
	}
	return nil
}

// Covers reports whether ti vouches for a credential issued by did at
// validFrom, for task, on the dataset whose SHA-256 is dataset.
func (ti TrustedIssuer) Covers(did, task, dataset string, validFrom time.Time) bool {
	switch {
	case did != ti.DID:
		return false
	case validFrom.Before(ti.Since):
		return false
	case !ti.Until.IsZero() && !validFrom.Before(ti.Until):
		return false
	case len(ti.Tasks) > 0 && !slices.Contains(ti.Tasks, task):
		return false
	case len(ti.Datasets) > 0 && !slices.Contains(ti.Datasets, dataset):
		return false
	}
	return true
}

// issuersPath is the registry's file.
func (mk *Market) issuersPath() string {
	return filepath.Join(mk.e.DataDir(), "market", "issuers.json")
}

// Issuers returns the registry, by DID.
func (mk *Market) Issuers() ([]TrustedIssuer, error) {
	mk.trustMu.Lock()
	defer mk.trustMu.Unlock()
	return mk.readIssuers()
}

func (mk *Market) readIssuers() ([]TrustedIssuer, error) {
	b, err := os.ReadFile(mk.issuersPath())
	if errors.Is(err, fs.ErrNotExist) {
		return []TrustedIssuer{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trusted issuers: %w", err)
	}
	var out []TrustedIssuer
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("trusted issuers: decode %s: %w", mk.issuersPath(), err)
	}
	return out, nil
}

func (mk *Market) writeIssuers(list []TrustedIssuer) error {
	slices.SortFunc(list, func(a, b TrustedIssuer) int { return strings.Compare(a.DID, b.DID) })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(mk.issuersPath()), 0o755); err != nil {
		return fmt.Errorf("trusted issuers: %w", err)
	}
	if err := durable.WriteFile(mk.issuersPath(), b, 0o600); err != nil {
		return fmt.Errorf("trusted issuers: %w", err)
	}
	return nil
}

// Trust adds ti to the registry, or replaces the entry of its DID.
func (mk *Market) Trust(ti TrustedIssuer) error {
	if err := ti.Validate(); err != nil {
		return err
	}
	mk.trustMu.Lock()
	defer mk.trustMu.Unlock()
	list, err := mk.readIssuers()
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(x TrustedIssuer) bool { return x.DID == ti.DID })
	return mk.writeIssuers(append(list, ti))
}

// Untrust removes the issuer did from the registry; an issuer not in it
// is engine.ErrNotFound.
func (mk *Market) Untrust(did string) error {
	mk.trustMu.Lock()
	defer mk.trustMu.Unlock()
	list, err := mk.readIssuers()
	if err != nil {
		return err
	}
	n := len(list)
	list = slices.DeleteFunc(list, func(x TrustedIssuer) bool { return x.DID == did })
	if len(list) == n {
		return fmt.Errorf("trusted issuer %.80q: %w", did, engine.ErrNotFound)
	}
	return mk.writeIssuers(list)
}

// TrustedFor returns the registry entry that vouches for a card (its
// issuer, task, dataset and time), nil if none does. This data dir's own
// host is always trusted for its own credentials.
func (mk *Market) TrustedFor(c *Card) (*TrustedIssuer, error) {
	list, err := mk.Issuers()
	if err != nil {
		return nil, err
	}
	return mk.trusted(list, c), nil
}

// trusted is TrustedFor against the registry list.
func (mk *Market) trusted(list []TrustedIssuer, c *Card) *TrustedIssuer {
	if c.Issuer == mk.e.HostDID() {
		return &TrustedIssuer{DID: c.Issuer, Name: "this host", Since: c.Created}
	}
	for i := range list {
		if list[i].Covers(c.Issuer, c.Task.ID, c.Task.DatasetSHA256, c.Created) {
			return &list[i]
		}
	}
	return nil
}
