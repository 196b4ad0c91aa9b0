package market

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/leaderboard"
)

// BundleError is a bundle that Ingest refuses: File names the member at
// fault (BundleModule, BundleCredential, BundleCard or BundleStatusList)
// and Err the cause: credential.ErrBadSignature, ErrModelMismatch,
// ErrRevoked, ErrIssuerMismatch, ErrStatus …, ErrCardMismatch, ErrCard, or
// an I/O error. It also matches ErrBundle and ErrBadRequest.
type BundleError struct {
	File string
	Err  error
}

func (e *BundleError) Error() string {
	return fmt.Sprintf("bundle %s: %v", e.File, e.Err)
}

func (e *BundleError) Unwrap() []error { return []error{e.Err, ErrBundle, engine.ErrBadRequest} }

// Bundle member names: the files `verdict market export` writes.
const (
	BundleModule     = "model.wasm"
	BundleCredential = "credential.json"
	BundleCard       = "card.json"
	// BundleStatusList is the issuer's signed status list when the bundle
	// was made, so that a marketplace offline can check revocation; a
	// fresher list passed to Ingest takes precedence.
	BundleStatusList = "status.json"
)

// Bundle is a marketplace entry as files: what ExportBundle writes and
// Ingest reads.
type Bundle struct {
	Module     []byte
	Credential []byte
	Card       []byte
	StatusList []byte // nil: the bundle carries no status list
}

// ReadBundle reads the bundle in dir, each member bounded (the module by
// sandbox.DefaultMaxModuleBytes). A missing status list is not an error.
func ReadBundle(dir string) (*Bundle, error) {
	var b Bundle
	members := []struct {
		name     string
		max      int64
		dst      *[]byte
		optional bool
	}{
		{BundleModule, MaxBundleModuleBytes, &b.Module, false},
		{BundleCredential, credential.MaxDocumentSize, &b.Credential, false},
		{BundleCard, MaxCardSize, &b.Card, false},
		{BundleStatusList, MaxStatusListSize, &b.StatusList, true},
	}
	for _, m := range members {
		data, err := readBounded(filepath.Join(dir, m.name), m.max)
		if m.optional && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &BundleError{File: m.name, Err: err}
		}
		*m.dst = data
	}
	return &b, nil
}

// readBounded reads the regular file at path, at most max bytes. A FIFO,
// device, socket, directory or symbolic link is refused, naming what it
// is, without waiting on it or reading what it points at: the path is
// checked with Lstat, opened non-blocking and without following a final
// symlink, and checked again on the open file (it may have been swapped).
func readBounded(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openMemberFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

// regular refuses a file that is not a regular one, saying what it is.
func regular(fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "an irregular file"
	switch {
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s, not a regular file", what)
}

// Write writes the bundle's members into dir, which must not exist or be
// empty.
func (b *Bundle) Write(dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("export to %s: directory not empty: %w", dir, engine.ErrBadRequest)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	files := []struct {
		name string
		data []byte
	}{{BundleModule, b.Module}, {BundleCredential, b.Credential}, {BundleCard, b.Card}, {BundleStatusList, b.StatusList}}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// Bundle returns a marketplace entry as a bundle: the module, the
// credential, the signed card and the issuer's status list (this data
// dir's for a promoted model; the one checked at ingest otherwise, if
// any). A revoked entry has no bundle (ErrBadRequest).
func (mk *Market) Bundle(id string) (*Entry, *Bundle, error) {
	me, err := mk.Entry(id)
	if err != nil {
		return nil, nil, err
	}
	if me.Revoked != nil {
		return nil, nil, mk.refuseRevoked(me)
	}
	b := &Bundle{Credential: me.Credential, Card: me.SignedCard}
	if b.Module, err = mk.module(me); err != nil {
		return nil, nil, err
	}
	statusPath := mk.e.StatusListPath()
	if me.Origin == "ingested" {
		statusPath = mk.statusPath(me.ID)
	}
	if b.StatusList, err = os.ReadFile(statusPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("market entry %s: status list: %w", me.ID, err)
	}
	return me, b, nil
}

// ExportBundle writes a marketplace entry's Bundle to dir, which must not
// exist or be empty.
func (mk *Market) ExportBundle(id, dir string) (*Entry, error) {
	me, b, err := mk.Bundle(id)
	if err != nil {
		return nil, err
	}
	if err := b.Write(dir); err != nil {
		return nil, err
	}
	return me, nil
}

// module reads an entry's module and checks it is the certified one.
func (mk *Market) module(me *Entry) ([]byte, error) {
	module, err := mk.e.ReadModule(strings.TrimPrefix(me.Card.Model, "urn:sha256:"))
	if err != nil {
		return nil, fmt.Errorf("market entry %s: %w", me.ID, err)
	}
	return module, nil
}

// IngestOptions are the options of Ingest. The zero value accepts a
// bundle whose signatures verify from this host or an issuer trusted here
// for it (TrustedFor), checking revocation against the bundle's own
// status list.
type IngestOptions struct {
	// Issuer, if set, is the only DID whose bundles are accepted. It pins
	// the issuer; it does not make it trusted.
	Issuer string
	// AllowUntrusted accepts a bundle whose issuer is not trusted here; it
	// is listed with Entry.Trusted false (until the operator trusts its
	// issuer). VerifyBundle ignores it.
	AllowUntrusted bool
	// StatusList, if set, is the issuer's current signed status list, used
	// instead of the bundle's (which may be older than a revocation).
	StatusList []byte
	// BBSKey is the issuer's BBS did:key, against which a disclosure
	// bundle's derived proof is checked (see DisclosureBundle), and a full
	// credential's bbs-2023 base proof when it has one (a proof set by
	// another BLS key is ErrIssuerMismatch); Ingest sets it from the
	// registry (BBSKeyOf) when empty.
	BBSKey string
	// PricePer1000, if not zero, is the listing's price per 1,000 rows of
	// metered use (SetPrice); zero keeps DefaultPricePer1000.
	PricePer1000 int64
}

// VerifyBundle checks a bundle as Ingest does, without storing it: the
// credential's proof, did:key and issuer binding (and opts.Issuer), the
// module's SHA-256 against the credential subject, revocation against the
// status list (opts.StatusList, else the bundle's; a revocable credential
// with neither is refused), the card's own signature by the same issuer,
// and that the card agrees with the credential. Every refusal is a
// *BundleError naming the file at fault.
func VerifyBundle(ctx context.Context, b *Bundle, opts IngestOptions, now time.Time) (*Card, *credential.ModelResult, error) {
	list := opts.StatusList
	if list == nil {
		list = b.StatusList
	}
	var res *credential.ModelResult
	var err error
	if isDerived(b.Credential) {
		if res, err = verifyDisclosure(ctx, b, opts, list, now); err != nil {
			return nil, nil, err
		}
	} else {
		res, err = credential.VerifyModel(ctx, b.Credential, credential.VerifyOptions{Issuer: opts.Issuer, Module: b.Module, Now: now, BBSKey: opts.BBSKey})
	}
	switch {
	case errors.Is(err, credential.ErrModelMismatch):
		return nil, nil, &BundleError{File: BundleModule, Err: err}
	case err != nil:
		return nil, nil, &BundleError{File: BundleCredential, Err: err}
	}
	if st := res.Credential.Status; st != nil && !res.StatusChecked {
		if list == nil {
			return nil, nil, &BundleError{File: BundleStatusList, Err: fmt.Errorf("missing: revocation of %s cannot be checked (pass the issuer's status list): %w", res.Credential.ID, credential.ErrStatus)}
		}
		revoked, err := credential.CheckStatus(*st, list, res.Issuer, now)
		if err != nil {
			return nil, nil, &BundleError{File: BundleStatusList, Err: err}
		}
		if revoked {
			return nil, nil, &BundleError{File: BundleCredential, Err: fmt.Errorf("credentialStatus: %s is revoked in the issuer's status list: %w", res.Credential.ID, credential.ErrRevoked)}
		}
		res.StatusChecked = true
	}
	card, err := ParseCard(b.Card)
	if err != nil {
		return nil, nil, &BundleError{File: BundleCard, Err: err}
	}
	if err := card.agrees(res, b.Module); err != nil {
		return nil, nil, &BundleError{File: BundleCard, Err: err}
	}
	return card, res, nil
}

// Ingest verifies a bundle (see VerifyBundle) and adds it to this data
// dir's marketplace: the module is kept like a submitted one, the status
// list checked is kept for export. A bundle whose issuer is neither this
// host nor trusted here for its task, dataset and date (TrustedFor) is a
// *BundleError of BundleCredential wrapping ErrUntrustedIssuer, unless
// opts.AllowUntrusted. An entry already here is ErrExists.
func (mk *Market) Ingest(ctx context.Context, b *Bundle, opts IngestOptions) (*Entry, error) {
	if opts.BBSKey == "" {
		var err error
		if opts.BBSKey, err = mk.BBSKeyOf(claimedIssuer(b.Credential)); err != nil {
			return nil, err
		}
	}
	card, _, err := VerifyBundle(ctx, b, opts, mk.e.Now())
	if err != nil {
		return nil, err
	}
	if !opts.AllowUntrusted {
		ti, err := mk.TrustedFor(card)
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", card.ID, err)
		}
		if ti == nil {
			return nil, &BundleError{File: BundleCredential, Err: fmt.Errorf(
				"issuer %s is not trusted here for task %q (dataset %.12s…, issued %s): trust it with `verdict market trust add %s --name NAME --since %s`, or ingest with --allow-untrusted to list it as untrusted: %w",
				card.Issuer, card.Task.ID, card.Task.DatasetSHA256, card.Created.Format(time.RFC3339), card.Issuer, card.Created.UTC().Format(time.RFC3339), ErrUntrustedIssuer)}
		}
	}
	if _, err := mk.store.MarketEntry(card.ID); err == nil {
		return nil, fmt.Errorf("market entry %s: %w", card.ID, engine.ErrExists)
	}
	if _, err := mk.e.SaveModule(b.Module); err != nil {
		return nil, fmt.Errorf("ingest %s: save module: %w", card.ID, err)
	}
	list := opts.StatusList
	if list == nil {
		list = b.StatusList
	}
	if list != nil {
		path := mk.statusPath(card.ID)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", card.ID, err)
		}
		if err := durable.WriteFile(path, list, 0o600); err != nil {
			return nil, fmt.Errorf("ingest %s: status list: %w", card.ID, err)
		}
	}
	err = mk.store.PutMarketEntry(toMarketStore(card, b.Credential, b.Card, true))
	if errors.Is(err, leaderboard.ErrExists) {
		return nil, fmt.Errorf("market entry %s: %w", card.ID, engine.ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", card.ID, err)
	}
	if opts.PricePer1000 != 0 {
		if err := mk.SetPrice(card.ID, opts.PricePer1000); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", card.ID, err)
		}
	}
	return mk.Entry(card.ID)
}

// ReadBundleTar reads a bundle from a tar archive of its member files (as
// GET /v1/market/{id}/bundle sends), each bounded as ReadBundle
// bounds them; unknown members and directories are refused.
func ReadBundleTar(r io.Reader) (*Bundle, error) {
	var b Bundle
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bundle: %w: %w", err, engine.ErrBadRequest)
		}
		var dst *[]byte
		var max int64
		switch filepath.Base(h.Name) {
		case BundleModule:
			dst, max = &b.Module, MaxBundleModuleBytes
		case BundleCredential:
			dst, max = &b.Credential, credential.MaxDocumentSize
		case BundleCard:
			dst, max = &b.Card, MaxCardSize
		case BundleStatusList:
			dst, max = &b.StatusList, MaxStatusListSize
		default:
			return nil, fmt.Errorf("bundle: unknown member %q (want %s, %s, %s and optionally %s): %w", h.Name,
				BundleModule, BundleCredential, BundleCard, BundleStatusList, engine.ErrBadRequest)
		}
		if h.Typeflag != tar.TypeReg || *dst != nil {
			return nil, fmt.Errorf("bundle: member %q: not a single regular file: %w", h.Name, engine.ErrBadRequest)
		}
		data, err := io.ReadAll(io.LimitReader(tr, max+1))
		if err != nil {
			return nil, fmt.Errorf("bundle: member %q: %w: %w", h.Name, err, engine.ErrBadRequest)
		}
		if int64(len(data)) > max {
			return nil, &BundleError{File: h.Name, Err: fmt.Errorf("larger than %d bytes", max)}
		}
		*dst = data
	}
	for name, m := range map[string][]byte{BundleModule: b.Module, BundleCredential: b.Credential, BundleCard: b.Card} {
		if m == nil {
			return nil, &BundleError{File: name, Err: errors.New("missing")}
		}
	}
	return &b, nil
}

// WriteBundleTar writes b as the tar archive ReadBundleTar reads (the
// status list only if b has one).
func WriteBundleTar(w io.Writer, b *Bundle) error {
	tw := tar.NewWriter(w)
	for _, m := range []struct {
		name string
		data []byte
	}{{BundleModule, b.Module}, {BundleCredential, b.Credential}, {BundleCard, b.Card}, {BundleStatusList, b.StatusList}} {
		if m.data == nil {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(m.data); err != nil {
			return err
		}
	}
	return tw.Close()
}
