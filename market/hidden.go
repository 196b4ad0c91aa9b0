package market

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// A model whose author hid its credential (engine.HideCredential) is
// listed to visitors without its author: Conceal turns an entry into what
// a visitor may see. Its author and the host see it whole.

// HiddenCredential returns the credential of a promoted entry whose
// author hid it, nil for any other entry (an ingested one is its
// issuer's to hide).
func (mk *Market) HiddenCredential(me *Entry) (*engine.Credential, error) {
	if me.Origin != "promoted" {
		return nil, nil
	}
	c, err := mk.e.Credential(me.Card.Credential)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("market entry %s: %w", me.ID, err)
	}
	if c.Hidden == nil {
		return nil, nil
	}
	return c, nil
}

// Conceal makes me what a visitor may see when its credential is hidden:
// the card without its author (AuthorNotDisclosed), re-signed by the
// host, the credential in its public, derived form, and a revocation
// without its reason. It leaves any other entry as it is and reports
// whether it concealed me.
func (mk *Market) Conceal(me *Entry) (bool, error) {
	c, err := mk.HiddenCredential(me)
	if err != nil || c == nil {
		return false, err
	}
	me.Card.Author = ""
	if me.Credential != nil {
		me.Credential = c.Public().Signed
	}
	if me.SignedCard != nil {
		if me.SignedCard, err = mk.signCard(&me.Card); err != nil {
			return false, err
		}
	}
	if me.Revoked != nil {
		me.Revoked = &engine.Revocation{Time: me.Revoked.Time}
	}
	return true, nil
}

// ConcealList is Conceal over the entries List(q) returned, for a reader
// who sees in full only the hidden credentials sees approves (nil: none):
// it conceals the others and drops those that q.Text matched only
// through the author they hide, so that a search by an author does not
// find the models they hid.
func (mk *Market) ConcealList(q Query, es []Entry, sees func(*engine.Credential) bool) ([]Entry, error) {
	out := es[:0]
	for _, me := range es {
		c, err := mk.HiddenCredential(&me)
		if err != nil {
			return nil, err
		}
		if c != nil && (sees == nil || !sees(c)) {
			if _, err := mk.Conceal(&me); err != nil {
				return nil, err
			}
			t := strings.ToLower(q.Text)
			if t != "" && !strings.Contains(strings.ToLower(me.Card.Task.ID+"\x00"+me.Card.Task.Title), t) {
				continue
			}
		}
		out = append(out, me)
	}
	return out, nil
}

// refuseRevoked is the refusal of a use of a revoked entry (a bundle, a
// prediction), as anyone may read it: the time and, unless the author hid
// the credential (a host's reason may name the author), the reason.
func (mk *Market) refuseRevoked(me *Entry) error {
	seen := *me
	if _, err := mk.Conceal(&seen); err != nil {
		return err
	}
	why := ""
	if seen.Revoked.Reason != "" {
		why = " (" + seen.Revoked.Reason + ")"
	}
	return fmt.Errorf("market entry %s: revoked at %s%s: %w", me.ID, seen.Revoked.Time.Format(time.RFC3339), why, engine.ErrBadRequest)
}
