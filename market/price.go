package market

import (
	"fmt"
	"slices"

	"github.com/verdictlab/verdict/engine"
)

// SetPriceAs sets a listing's price per 1,000 rows as by: HostCaller (the
// host may always set it, over the author's), or the model's author (its
// card's author, or a member of the team that is its author on this data
// dir). Anyone else is engine.ErrForbidden. The price in force is copied
// into each receipt, so a later change never alters what earlier calls
// cost or a statement over them.
func (mk *Market) SetPriceAs(id string, per1000 int64, by string) error {
	if by != HostCaller {
		me, err := mk.Entry(id)
		if err != nil {
			return err
		}
		if !mk.isAuthor(me, by) {
			// The author is not named: a hidden credential's author is
			// not the stranger's to learn.
			return fmt.Errorf("price of %s: %.100q is neither its author nor a member of its author's team: %w", me.ID, by, engine.ErrForbidden)
		}
	}
	return mk.SetPrice(id, per1000)
}

// isAuthor reports whether who is me's author or a member of its
// author's team.
func (mk *Market) isAuthor(me *Entry, who string) bool {
	if who == "" {
		return false
	}
	if who == me.Card.Author {
		return true
	}
	if me.Origin != "promoted" {
		// Another host's team: a team of the same name on a task of the
		// same id here is another team.
		return false
	}
	ms, err := mk.teamMembers(me.Card.Task.ID, me.Card.Author)
	return err == nil && slices.Contains(ms, who)
}
