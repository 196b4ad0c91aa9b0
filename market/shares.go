package market

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/ledger"
)

// Revenue shares: a team's members share what its models earn equally,
// unless they agree another split. Each member asks for the same split
// (AgreeShares, as themself: over HTTP a request signed with their
// did:key); it is in force once every member of the team asked for it.
// The host may record a split the team agreed elsewhere (AgreeShares as
// HostCaller). The split in force is copied into each receipt, so a
// statement recomputed from the public log alone shares the same way;
// a team whose members change falls back to equal shares until its
// members agree again.

// ShareAgreement is a team's revenue split: what each member asked for
// and, once they all asked for the same, the split in force.
type ShareAgreement struct {
	Task string `json:"task"`
	Team string `json:"team"`
	// Members are the team's members when the split was agreed.
	Members []string `json:"members,omitempty"`
	// Agreed is the split in force (one weight per member, sorted by
	// party), empty for equal shares.
	Agreed   []ledger.Weight `json:"agreed,omitempty"`
	AgreedAt time.Time       `json:"agreed_at,omitzero"`
	// AgreedBy is "members" (each asked for it) or HostCaller.
	AgreedBy string `json:"agreed_by,omitempty"`
	// Asked is what each member last asked for, by member.
	Asked map[string][]ledger.Weight `json:"asked,omitempty"`
}

func (mk *Market) sharesPath() string {
	return filepath.Join(mk.e.DataDir(), "market", "shares.json")
}

func (mk *Market) readShares() (map[string]*ShareAgreement, error) {
	b, err := os.ReadFile(mk.sharesPath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*ShareAgreement{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("shares: %w", err)
	}
	out := map[string]*ShareAgreement{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("shares: decode %s: %w", mk.sharesPath(), err)
	}
	return out, nil
}

func shareKey(task, team string) string { return task + "/" + team }

// teamMembers returns the sorted members of team on task.
func (mk *Market) teamMembers(task, team string) ([]string, error) {
	teams, err := mk.e.Teams(task)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if t.Name == team {
			return slices.Compact(slices.Sorted(slices.Values(t.Members))), nil
		}
	}
	return nil, fmt.Errorf("task %q: team %q: %w", task, team, engine.ErrNotFound)
}

// Shares returns team's revenue split on task (Agreed empty: equal
// shares).
func (mk *Market) Shares(task, team string) (*ShareAgreement, error) {
	if _, err := mk.teamMembers(task, team); err != nil {
		return nil, err
	}
	mk.priceMu.Lock()
	defer mk.priceMu.Unlock()
	all, err := mk.readShares()
	if err != nil {
		return nil, err
	}
	if a := all[shareKey(task, team)]; a != nil {
		return a, nil
	}
	return &ShareAgreement{Task: task, Team: team}, nil
}

// AgreeShares records that by (a member of team on task, or HostCaller
// for the team) asks for split shares (one weight per member, in basis
// points summing to ledger.TotalBasisPoints; any order). A member's ask
// puts the split in force once every member asked for the same; the
// host's puts it in force at once. It returns the agreement as it now
// stands. Anyone else is engine.ErrForbidden.
func (mk *Market) AgreeShares(task, team, by string, shares []ledger.Weight) (*ShareAgreement, error) {
	members, err := mk.teamMembers(task, team)
	if err != nil {
		return nil, err
	}
	if by != HostCaller && !slices.Contains(members, by) {
		return nil, fmt.Errorf("shares of team %q: %.100q is not a member: %w", team, by, engine.ErrForbidden)
	}
	shares = slices.Clone(shares)
	slices.SortFunc(shares, func(a, b ledger.Weight) int { return cmpString(a.Party, b.Party) })
	if err := ledger.CheckShares(members, shares); err != nil {
		return nil, fmt.Errorf("shares of team %q (members %v): %w: %w", team, members, err, engine.ErrBadRequest)
	}
	mk.priceMu.Lock()
	defer mk.priceMu.Unlock()
	all, err := mk.readShares()
	if err != nil {
		return nil, err
	}
	k := shareKey(task, team)
	a := all[k]
	if a == nil {
		a = &ShareAgreement{Task: task, Team: team}
		all[k] = a
	}
	if a.Asked == nil {
		a.Asked = map[string][]ledger.Weight{}
	}
	now := mk.e.Now().UTC().Truncate(time.Second)
	if by == HostCaller {
		a.Members, a.Agreed, a.AgreedAt, a.AgreedBy = members, shares, now, HostCaller
	} else {
		a.Asked[by] = shares
		all := true
		for _, m := range members {
			all = all && slices.Equal(a.Asked[m], shares)
		}
		if all {
			a.Members, a.Agreed, a.AgreedAt, a.AgreedBy = members, shares, now, "members"
		}
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(mk.sharesPath()), 0o755); err != nil {
		return nil, fmt.Errorf("shares: %w", err)
	}
	if err := durable.WriteFile(mk.sharesPath(), b, 0o600); err != nil {
		return nil, fmt.Errorf("shares: %w", err)
	}
	return a, nil
}

// agreedShares returns the split in force for team's members on task,
// or nil (equal shares) if none was agreed by these very members.
func (mk *Market) agreedShares(task, team string, members []string) []ledger.Weight {
	mk.priceMu.Lock()
	defer mk.priceMu.Unlock()
	all, err := mk.readShares()
	if err != nil {
		return nil
	}
	a := all[shareKey(task, team)]
	if a == nil || !slices.Equal(a.Members, members) || ledger.CheckShares(members, a.Agreed) != nil {
		return nil
	}
	return a.Agreed
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
