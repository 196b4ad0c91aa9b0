package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

func TestShortID(t *testing.T) {
	tests := []struct{ name, id, want string }{
		{"UUIDv7", "0193a4b2-7c1e-7abc-8def-0123456789ab", "0193a4b2-7c1e"},
		{"UUIDv4", "5f0c2a8e-1b3d-4c5e-9f70-123456789abc", "5f0c2a8e"},
		{"URN", "urn:uuid:5f0c2a8e-1b3d-4c5e-9f70-123456789abc", "5f0c2a8e"},
		{"Short", "abc", "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.ShortID(tc.id); got != tc.want {
				t.Errorf("ShortID(%q): got %q, want %q", tc.id, got, tc.want)
			}
		})
	}
}

// TestShortIDsResolve: every call taking a submission, credential or
// market id takes its ShortID, and any unique prefix of MinIDPrefix
// characters; a shorter or unknown one is not found, and one shared by
// several ids is refused with how many.
func TestShortIDsResolve(t *testing.T) {
	e, _ := contest(t, "promote_top: 3\nfinal_selections: 1\n", engine.Config{})
	var subs []*engine.Submission
	for i := range 3 {
		subs = append(subs, mustSubmit(t, e, "ada", variant(linear, i)))
	}
	bob := mustSubmit(t, e, "bob", cmodel)
	ada := engine.Viewer{Participant: "ada"}

	for _, s := range subs {
		got, err := e.Submission(engine.ShortID(s.ID), ada)
		if err != nil || got.ID != s.ID {
			t.Fatalf("Submission(ShortID %q): got %v, %v, want %s", engine.ShortID(s.ID), got, err, s.ID)
		}
		if d, err := e.Diagnostics(engine.ShortID(s.ID), engine.Host); err != nil || d.Submission != s.ID {
			t.Errorf("Diagnostics(ShortID): got %v, %v", d, err)
		}
	}
	if err := e.Select("contest", "ada", []string{engine.ShortID(subs[1].ID)}); err != nil {
		t.Fatalf("Select(ShortID): %v", err)
	}
	if sel, err := e.Selections("contest", "ada"); err != nil || len(sel) != 1 || sel[0] != subs[1].ID {
		t.Errorf("Selections after Select(ShortID): got %v, %v, want [%s]", sel, err, subs[1].ID)
	}

	// How many of the ids a viewer may see start with the first one's
	// MinIDPrefix characters (UUIDv7s made in the same minute share them).
	p8 := subs[0].ID[:engine.MinIDPrefix]
	count := func(ss ...*engine.Submission) int {
		n := 0
		for _, s := range ss {
			if strings.HasPrefix(s.ID, p8) {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name string
		v    engine.Viewer
		n    int
	}{{"Host", engine.Host, count(append(subs, bob)...)}, {"Participant", ada, count(subs...)}} {
		t.Run("Prefix8/"+tc.name, func(t *testing.T) {
			got, err := e.Submission(p8, tc.v)
			if tc.n == 1 {
				if err != nil || got.ID != subs[0].ID {
					t.Errorf("unique prefix %q: got %v, %v", p8, got, err)
				}
				return
			}
			want := fmt.Sprintf("is the start of %d submission ids", tc.n)
			if !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), want) {
				t.Errorf("prefix %q of %d ids: got %v, want ErrBadRequest saying %q", p8, tc.n, err, want)
			}
		})
	}
	errs := []struct {
		name string
		err  error
		want error
	}{
		{"ErrNotFound/TooShort", second(e.Submission(subs[0].ID[:7], engine.Host)), engine.ErrNotFound},
		{"ErrNotFound/Unknown", second(e.Submission("ffffffff-ffff", engine.Host)), engine.ErrNotFound},
		{"ErrNotFound/Another's", second(e.Submission(engine.ShortID(bob.ID), ada)), engine.ErrNotFound},
		{"ErrBadRequest/SelectAnother's", e.Select("contest", "ada", []string{engine.ShortID(bob.ID)}), engine.ErrBadRequest},
		{"ErrNotFound/Credential", second(e.Credential("0000000")), engine.ErrNotFound},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("got %v, want %v", tc.err, tc.want)
			}
		})
	}

	proms, err := e.CloseTask(context.Background(), "contest")
	if err != nil {
		t.Fatal(err)
	}
	var cred *engine.Credential
	for _, p := range proms {
		if p.Credential != nil {
			cred = p.Credential
			break
		}
	}
	if cred == nil {
		t.Fatalf("CloseTask certified nobody: %+v", proms)
	}
	short := engine.ShortID(cred.ID)
	if c, err := e.Credential(short); err != nil || c.ID != cred.ID {
		t.Errorf("Credential(ShortID %q): got %v, %v", short, c, err)
	}
	if c, err := e.Revoke(short, "test"); err != nil || c.ID != cred.ID || c.Revoked == nil {
		t.Errorf("Revoke(ShortID %q): got %+v, %v", short, c, err)
	}
}

// second returns the error of a two-valued call.
func second[T any](_ T, err error) error { return err }
