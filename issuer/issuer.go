package issuer

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/durable"
)

// DefaultBaseURL is Config.BaseURL's default, the value of engine.DefaultBaseURL.
const DefaultBaseURL = "https://verdict.invalid"

// ListPath is where the lists are served, below the base URL:
// BASE/issuer/status/{purpose}.
const ListPath = "/issuer/status/"

// Purposes are the statusPurpose values the issuer keeps lists for.
var Purposes = []string{credential.StatusPurposeRevocation, credential.StatusPurposeSuspension}

// Config configures an Issuer. DataDir is required.
type Config struct {
	// DataDir is the data dir: the key is DataDir/issuer.key (made, mode
	// 0600, on first use), the lists' state DataDir/issuer/status.json.
	DataDir string
	// BaseURL is the server's public URL; default DefaultBaseURL.
	BaseURL string
	// Rand is the entropy of a new key; default crypto/rand.Reader.
	Rand io.Reader
	// Now is the clock of proofs and lists; default time.Now.
	Now func() time.Time
}

// Validate reports a missing data dir.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("issuer: config: DataDir is empty")
	}
	return nil
}

// Issuer signs credentials with its own key and keeps their status
// lists. It is safe for concurrent use.
type Issuer struct {
	cfg Config
	key credential.KeyPair

	mu     sync.Mutex
	state  state
	signed map[string][]byte // purpose → signed list credential, until the list changes
}

// state is DataDir/issuer/status.json.
type state struct {
	Lists map[string]*list `json:"lists"` // by statusPurpose
}

type list struct {
	Next    int            `json:"next"`    // the next free index
	Encoded string         `json:"encoded"` // the bits, as an encodedList
	IDs     map[string]int `json:"ids"`     // credential id → its index
}

// KeyFile is the issuer's key file in a data dir.
func KeyFile(dataDir string) string { return filepath.Join(dataDir, "issuer.key") }

func stateFile(dataDir string) string { return filepath.Join(dataDir, "issuer", "status.json") }

// Open reads (or makes) the issuer's key and its lists' state.
func Open(cfg Config) (*Issuer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	key, err := readOrMakeKey(KeyFile(cfg.DataDir), cfg.Rand)
	if err != nil {
		return nil, err
	}
	is := &Issuer{cfg: cfg, key: key, state: state{Lists: map[string]*list{}}, signed: map[string][]byte{}}
	b, err := os.ReadFile(stateFile(cfg.DataDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("issuer: read state: %w", err)
	default:
		if err := json.Unmarshal(b, &is.state); err != nil {
			return nil, fmt.Errorf("issuer: decode %s: %w", stateFile(cfg.DataDir), err)
		}
	}
	return is, nil
}

func readOrMakeKey(path string, r io.Reader) (credential.KeyPair, error) {
	k, err := credential.ReadKeyFile(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return credential.KeyPair{}, fmt.Errorf("issuer key: %w", err)
	}
	if k, err = credential.GenerateKey(r); err != nil {
		return credential.KeyPair{}, fmt.Errorf("issuer key: %w", err)
	}
	if err := credential.WriteKeyFile(path, k); errors.Is(err, fs.ErrExist) {
		return readOrMakeKey(path, r) // another process made it first
	} else if err != nil {
		return credential.KeyPair{}, fmt.Errorf("issuer key: %w", err)
	}
	return k, nil
}

// DID is the issuer's did:key: what a credential's issuer must be.
func (is *Issuer) DID() string { return is.key.DID() }

// ListURL is where the list of purpose is published.
func (is *Issuer) ListURL(purpose string) string { return is.cfg.BaseURL + ListPath + purpose }

// Purpose returns the purpose of the list published at url, if it is one
// of this issuer's.
func (is *Issuer) Purpose(url string) (string, bool) {
	for _, p := range Purposes {
		if url == is.ListURL(p) {
			return p, true
		}
	}
	return "", false
}

// Options are the options of Issue.
type Options struct {
	// StatusPurpose, if set, puts the credential on the list of that
	// purpose (one of Purposes) and adds its BitstringStatusListEntry.
	StatusPurpose string
}

func refuse(err error, field, format string, args ...any) error {
	return &credential.FieldError{Field: field, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Issue signs doc, an unsigned VC 2.0 credential, with an eddsa-jcs-2022
// proof made now. Its members are signed as they are, in their order;
// with opts.StatusPurpose a credentialStatus member is appended. It
// refuses (a *credential.FieldError naming the field) a document that is
// not a JSON object or already has a proof (credential.ErrMalformed),
// whose issuer is not DID() (credential.ErrIssuerMismatch), that carries
// a credentialStatus when one is requested (credential.ErrMalformed), or
// that breaks a rule of credential.CheckDataModel.
func (is *Issuer) Issue(doc []byte, opts Options) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		return nil, refuse(credential.ErrMalformed, "credential", "want a JSON object")
	}
	if _, ok := top["proof"]; ok {
		return nil, refuse(credential.ErrMalformed, "credential.proof", "the credential is already signed")
	}
	if err := is.checkIssuer(top["issuer"]); err != nil {
		return nil, err
	}
	if opts.StatusPurpose != "" {
		if _, ok := top["credentialStatus"]; ok {
			return nil, refuse(credential.ErrMalformed, "credential.credentialStatus", "the issuer adds the status entry (options.credentialStatus): the credential must not carry one")
		}
		if !isPurpose(opts.StatusPurpose) {
			return nil, fmt.Errorf("statusPurpose %.40q: this issuer keeps lists for %v: %w", opts.StatusPurpose, Purposes, ErrStatusPurpose)
		}
	}
	if err := credential.CheckDataModel(doc, credential.DataModelOptions{}); err != nil {
		return nil, err
	}
	if opts.StatusPurpose != "" {
		id, _ := stringOf(top["id"])
		index, err := is.allocate(opts.StatusPurpose, id)
		if err != nil {
			return nil, err
		}
		entry := credential.NewStatusEntry(is.ListURL(opts.StatusPurpose), index)
		entry.StatusPurpose = opts.StatusPurpose
		b, err := json.Marshal(entry)
		if err != nil {
			return nil, fmt.Errorf("encode credentialStatus: %w", err)
		}
		var out bytes.Buffer
		if err := json.Compact(&out, doc); err != nil {
			return nil, refuse(credential.ErrMalformed, "credential", "%v", err)
		}
		out.Truncate(out.Len() - 1) // '}'
		if len(top) > 0 {
			out.WriteByte(',')
		}
		out.WriteString(`"credentialStatus":`)
		out.Write(b)
		out.WriteByte('}')
		doc = out.Bytes()
	}
	return credential.Sign(doc, is.key, credential.ProofOptions{Created: is.cfg.Now()})
}

func (is *Issuer) checkIssuer(raw json.RawMessage) error {
	if raw == nil {
		return refuse(credential.ErrMalformed, "credential.issuer", "missing: want %q", is.DID())
	}
	id, ok := stringOf(raw)
	if !ok {
		var obj struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &obj) != nil || obj.ID == "" {
			return refuse(credential.ErrMalformed, "credential.issuer", "want a string or an object with an id")
		}
		id = obj.ID
	}
	if id != is.DID() {
		return refuse(credential.ErrIssuerMismatch, "credential.issuer", "%.110q: this issuer signs only as %s", id, is.DID())
	}
	return nil
}

func stringOf(raw json.RawMessage) (string, bool) {
	var s string
	err := json.Unmarshal(raw, &s)
	return s, raw != nil && err == nil
}

func isPurpose(p string) bool {
	for _, q := range Purposes {
		if p == q {
			return true
		}
	}
	return false
}

// allocate takes the next index of purpose's list for the credential id
// (which may be empty) and saves the state before returning it, so that
// an index is never given twice.
func (is *Issuer) allocate(purpose, id string) (int, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	l, err := is.list(purpose)
	if err != nil {
		return 0, err
	}
	if l.Next >= credential.MinStatusListSize {
		return 0, fmt.Errorf("%s list: all %d indexes given: %w", purpose, credential.MinStatusListSize, ErrListFull)
	}
	index := l.Next
	l.Next++
	if id != "" {
		if _, dup := l.IDs[id]; dup {
			l.Next--
			return 0, refuse(credential.ErrMalformed, "credential.id", "%.120q is already on the %s list: give each credential its own id", id, purpose)
		}
		l.IDs[id] = index
	}
	if err := is.save(); err != nil {
		l.Next--
		delete(l.IDs, id)
		return 0, err
	}
	return index, nil
}

// list returns purpose's list, making it empty. Call with mu held.
func (is *Issuer) list(purpose string) (*list, error) {
	if l, ok := is.state.Lists[purpose]; ok {
		return l, nil
	}
	sl, err := credential.NewStatusList(0)
	if err != nil {
		return nil, err
	}
	enc, err := sl.Encode()
	if err != nil {
		return nil, err
	}
	l := &list{Encoded: enc, IDs: map[string]int{}}
	is.state.Lists[purpose] = l
	return l, nil
}

func (is *Issuer) save() error {
	b, err := json.Marshal(is.state)
	if err != nil {
		return fmt.Errorf("issuer: encode state: %w", err)
	}
	path := stateFile(is.cfg.DataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if err := durable.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("issuer: save state: %w", err)
	}
	return nil
}

// SetStatus sets (set true) or clears the bit of the credential id on the
// list of purpose, and re-signs the list.
func (is *Issuer) SetStatus(id, purpose string, set bool) error {
	is.mu.Lock()
	defer is.mu.Unlock()
	l, ok := is.state.Lists[purpose]
	if !ok || !isPurpose(purpose) {
		return fmt.Errorf("credential %.120q: no %.40q list: %w", id, purpose, ErrUnknownCredential)
	}
	index, ok := l.IDs[id]
	if !ok {
		return fmt.Errorf("credential %.120q is not on the %s list: %w", id, purpose, ErrUnknownCredential)
	}
	sl, err := credential.DecodeStatusList(l.Encoded)
	if err != nil {
		return err
	}
	if err := sl.Set(index, set); err != nil {
		return err
	}
	old := l.Encoded
	if l.Encoded, err = sl.Encode(); err != nil {
		return err
	}
	if err := is.save(); err != nil {
		l.Encoded = old
		return err
	}
	delete(is.signed, purpose)
	return nil
}

// StatusList returns the signed BitstringStatusListCredential of purpose's
// list, signed when the list last changed.
func (is *Issuer) StatusList(purpose string) ([]byte, error) {
	if !isPurpose(purpose) {
		return nil, fmt.Errorf("status list %.40q: this issuer keeps %v: %w", purpose, Purposes, ErrStatusPurpose)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if b, ok := is.signed[purpose]; ok {
		return b, nil
	}
	l, err := is.list(purpose)
	if err != nil {
		return nil, err
	}
	sl, err := credential.DecodeStatusList(l.Encoded)
	if err != nil {
		return nil, err
	}
	b, err := credential.IssuePurposeList(is.ListURL(purpose), purpose, sl, is.key, is.cfg.Now().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	is.signed[purpose] = b
	return b, nil
}

// Index reports the index of credential id on purpose's list.
func (is *Issuer) Index(id, purpose string) (int, bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	l, ok := is.state.Lists[purpose]
	if !ok {
		return 0, false
	}
	i, ok := l.IDs[id]
	return i, ok
}

// DataDir is the data dir the issuer keeps its key and lists in.
func (is *Issuer) DataDir() string { return is.cfg.DataDir }
