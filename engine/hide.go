package engine

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

	"github.com/verdictlab/verdict/engine/credential"
)

// Hiding records that a credential's author asked that visitors see only
// a selective disclosure of it (HideCredential): Derived, which reveals
// the mandatory claims (credential.MandatoryPointers: id, type, issuer,
// validity, model hash, task, status entry) and Reveal, never the author.
type Hiding struct {
	Time    time.Time       `json:"time"`
	Reveal  []string        `json:"reveal"`
	Derived json.RawMessage `json:"derived,omitempty"`
}

// authorPointer is the claim a hidden credential never reveals.
const authorPointer = "/credentialSubject/author"

func (e *Engine) hidingPath(id string) string {
	return filepath.Join(credentialDir(e.cfg.DataDir), strings.TrimPrefix(id, "urn:uuid:")+".hidden")
}

// readHiding reads a credential's Hiding, nil if it is not hidden.
func (e *Engine) readHiding(id string) (*Hiding, error) {
	b, err := os.ReadFile(e.hidingPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credential %q: hiding: %w", id, err)
	}
	var h Hiding
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("credential %q: hiding: %w", id, err)
	}
	return &h, nil
}

// HideCredential makes visitors see the credential id only as a
// selective disclosure that hides its author: from now on Public returns
// a form derived (credential.Derive) to reveal the mandatory claims and
// reveal, whose credentialStatus still lets anyone check revocation.
// reveal may not name the author (ErrBadRequest), nor may the credential
// lack a bbs-2023 base proof. Hiding again replaces the reveal pointers.
// Who may ask is the caller's business: the author, or the host.
func (e *Engine) HideCredential(id string, reveal []string) (*Credential, error) {
	e.trustMu.Lock()
	defer e.trustMu.Unlock()
	c, err := e.Credential(id)
	if err != nil {
		return nil, err
	}
	for _, p := range reveal {
		if p == "" || p == "/credentialSubject" || strings.HasPrefix(p, authorPointer) {
			return nil, fmt.Errorf("hide credential %s: reveal %q would show the author: %w", c.ID, p, ErrBadRequest)
		}
	}
	derived, err := credential.Derive(c.Signed, reveal, nil)
	if err != nil {
		return nil, fmt.Errorf("hide credential %s: %w: %w", c.ID, err, ErrBadRequest)
	}
	h := Hiding{Time: e.cfg.Now().UTC(), Reveal: slices.Clone(reveal), Derived: derived}
	if h.Reveal == nil {
		h.Reveal = []string{}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(e.hidingPath(c.ID), b); err != nil {
		return nil, fmt.Errorf("hide credential %s: %w", c.ID, err)
	}
	c.Hidden = &h
	return c, nil
}

// Public is the credential as a visitor sees it: itself, or when its
// author hid it (HideCredential) the derived form, with Author and Rank
// cleared and the revocation's reason withheld (a host's reason may name
// the author).
func (c Credential) Public() Credential {
	if c.Hidden == nil {
		return c
	}
	p := Credential{ID: c.ID, Task: c.Task, Model: c.Model, ValidFrom: c.ValidFrom, StatusIndex: c.StatusIndex,
		Signed: c.Hidden.Derived, Hidden: &Hiding{Time: c.Hidden.Time, Reveal: c.Hidden.Reveal}}
	if c.Revoked != nil {
		p.Revoked = &Revocation{Time: c.Revoked.Time}
	}
	return p
}

// Concealed reports whether c is a credential's public form (Public of
// a hidden one): it names no author and no rank.
func (c Credential) Concealed() bool { return c.Hidden != nil && c.Author == "" }

// SortCredentials orders credentials as Credentials does, by task then
// rank, except that the concealed ones (Concealed), which carry no rank,
// come after the others of their task, by id, so that the order does not
// give their rank away.
func SortCredentials(cs []Credential) {
	slices.SortStableFunc(cs, func(a, b Credential) int {
		if c := strings.Compare(a.Task, b.Task); c != 0 {
			return c
		}
		switch ah, bh := a.Concealed(), b.Concealed(); {
		case ah && bh:
			return strings.Compare(a.ID, b.ID)
		case ah:
			return 1
		case bh:
			return -1
		}
		return a.Rank - b.Rank
	})
}

// SeesCredential reports whether v sees c in full: c is not hidden, or v
// is the host, its author, or a member of its author team.
func (e *Engine) SeesCredential(c *Credential, v Viewer) bool {
	if c.Hidden == nil || v.Host {
		return true
	}
	if v.Participant == "" {
		return false
	}
	if v.Participant == c.Author {
		return true
	}
	teams, err := e.Teams(c.Task)
	if err != nil {
		return false
	}
	for _, t := range teams {
		if t.Name == c.Author && slices.Contains(t.Members, v.Participant) {
			return true
		}
	}
	return false
}

// CredentialFor is c as v may see it: itself, or its Public form.
func (e *Engine) CredentialFor(c Credential, v Viewer) Credential {
	if e.SeesCredential(&c, v) {
		return c
	}
	return c.Public()
}
