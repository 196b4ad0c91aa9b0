package market

import (
	"bufio"
	"bytes"
	"context"
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
// untrusted (IngestOptions.AllowUntrusted). Every change is appended to the
// trust log, DIR/market/trust-log.jsonl, with the actor of its context
// (engine.WithActor) and the time (TrustLog).

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
	// BBSDID, if set, is the issuer's BBS did:key ("did:key:zUC7…", its
	// /v1/host bbs_did): the key a bbs-2023 proof of a credential by DID
	// must be signed with (BBSKeyOf). Without it, a selective disclosure
	// by this issuer does not verify here.
	BBSDID string `json:"bbs_did,omitempty"`
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
	if ti.BBSDID != "" {
		if _, err := credential.ParseBBSDIDKey(ti.BBSDID); err != nil {
			return bad("bbs_did: not a BLS12-381 did:key: %v", err)
		}
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

// Trust adds ti to the registry, or replaces the entry of its DID, and
// records the change, by ctx's actor (engine.WithActor), in the trust log.
func (mk *Market) Trust(ctx context.Context, ti TrustedIssuer) error {
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
	if err := mk.writeIssuers(append(list, ti)); err != nil {
		return err
	}
	return mk.logTrust(ctx, TrustAdd, ti)
}

// Untrust removes the issuer did from the registry, recording the change
// in the trust log; an issuer not in it is engine.ErrNotFound.
func (mk *Market) Untrust(ctx context.Context, did string) error {
	mk.trustMu.Lock()
	defer mk.trustMu.Unlock()
	list, err := mk.readIssuers()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(x TrustedIssuer) bool { return x.DID == did })
	if i < 0 {
		return fmt.Errorf("trusted issuer %.80q: %w", did, engine.ErrNotFound)
	}
	removed := list[i]
	if err := mk.writeIssuers(slices.Delete(list, i, i+1)); err != nil {
		return err
	}
	return mk.logTrust(ctx, TrustRemove, removed)
}

// Trust log actions.
const (
	TrustAdd    = "trust"
	TrustRemove = "untrust"
)

// TrustChange is one change of the registry, as the trust log keeps it:
// when, what (TrustAdd, TrustRemove), who and why (engine.Actor), and the
// entry added, replaced or removed.
type TrustChange struct {
	Time   time.Time     `json:"time"`
	Action string        `json:"action"`
	Actor  string        `json:"actor"`
	Reason string        `json:"reason,omitempty"`
	Issuer TrustedIssuer `json:"issuer"`
}

// trustLogPath is the trust log: one JSON TrustChange a line, appended,
// never rewritten.
func (mk *Market) trustLogPath() string {
	return filepath.Join(mk.e.DataDir(), "market", "trust-log.jsonl")
}

// logTrust appends a change to the trust log and syncs it. It runs after
// the registry is written: an error is the operator's to see, the change
// stands. mk.trustMu is held.
func (mk *Market) logTrust(ctx context.Context, action string, ti TrustedIssuer) error {
	a := engine.ActorOf(ctx)
	line, err := json.Marshal(TrustChange{Time: mk.e.Now().UTC(), Action: action, Actor: a.Who, Reason: a.Why, Issuer: ti})
	if err != nil {
		return fmt.Errorf("trust log: %w", err)
	}
	f, err := os.OpenFile(mk.trustLogPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("trust log: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("trust log %s: %w", mk.trustLogPath(), err)
	}
	return nil
}

// TrustLog returns the changes of the registry, oldest first. A last line
// cut short by a crash mid-append is left out; any other line that is not
// a TrustChange is an error naming it.
func (mk *Market) TrustLog() ([]TrustChange, error) {
	mk.trustMu.Lock()
	defer mk.trustMu.Unlock()
	b, err := os.ReadFile(mk.trustLogPath())
	if errors.Is(err, fs.ErrNotExist) {
		return []TrustChange{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trust log: %w", err)
	}
	out := []TrustChange{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for n := 1; sc.Scan(); n++ {
		var c TrustChange
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			if n == bytes.Count(b, []byte("\n"))+1 && !bytes.HasSuffix(b, []byte("\n")) {
				break // the torn last append
			}
			return nil, fmt.Errorf("trust log %s: line %d: %w", mk.trustLogPath(), n, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
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

// BBSKeyOf returns the BBS did:key bound to the issuer did, "" if this
// marketplace knows none: this data dir's own host's (its key pair), or
// the bbs_did of the issuer's registry entry. It is the binding
// credential.CredentialOptions.BBSKeyOf asks for. The binding is a fact
// about keys, not trust: it holds outside the entry's period and scope,
// which Covers judges separately.
func (mk *Market) BBSKeyOf(did string) (string, error) {
	if did == mk.e.HostDID() {
		return mk.e.HostBBSDID(), nil
	}
	list, err := mk.Issuers()
	if err != nil {
		return "", err
	}
	for _, ti := range list {
		if ti.DID == did {
			return ti.BBSDID, nil
		}
	}
	return "", nil
}
