package engine

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/verdictlab/verdict/leaderboard"
)

// MinIDPrefix is the fewest characters of a submission, credential or
// marketplace id that may stand for the whole id: every call that takes
// one of those ids (and so every CLI command and HTTP route) accepts the
// full id or a prefix of at least this length that only one id starts
// with (RATIONALE.md, "Why one short-id rule?").
const MinIDPrefix = 8

// ShortID is how an id is shown to people: a prefix of it that every call
// taking such an id accepts. It is MinIDPrefix characters, except for a
// time-ordered UUID (version 7, a submission's id), whose first eight
// characters are shared by every id made in the same minute: its short
// form runs to the millisecond it was made (13 characters, "0193a4b2-7c1e").
// A "urn:uuid:" prefix is dropped.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "urn:uuid:")
	n := MinIDPrefix
	if len(id) == 36 && id[8] == '-' && id[13] == '-' && id[14] == '7' {
		n = 13
	}
	if len(id) <= n {
		return id
	}
	return id[:n]
}

// resolveID is the one rule for ids given by people: it returns the id
// that id stands for — id itself when exists says so, else the only id
// that starts with it (at least MinIDPrefix characters), among those
// prefixed lists. kind names the thing in errors ("submission"). An
// unknown id wraps ErrNotFound; a prefix of several ids wraps
// ErrBadRequest and says how many.
func resolveID(kind, id string, exists func(string) (bool, error), prefixed func(string) ([]string, error)) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%s: %w: the id is empty", kind, ErrNotFound)
	}
	ok, err := exists(id)
	if err != nil {
		return "", err
	}
	if ok {
		return id, nil
	}
	if len(id) < MinIDPrefix {
		return "", fmt.Errorf("%s %q: %w (a shortened id needs at least %d characters)", kind, id, ErrNotFound, MinIDPrefix)
	}
	ids, err := prefixed(id)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%q is the start of %d %s ids; give more characters: %w", id, len(ids), kind, ErrBadRequest)
}

// resolveSubmission resolves a submission id as v may see it: a
// participant's prefix only matches submissions they may read, so that
// an ambiguity never counts somebody else's.
func (e *Engine) resolveSubmission(id string, v Viewer) (string, error) {
	return resolveID("submission", id, func(id string) (bool, error) {
		_, err := e.store.Submission(id)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, leaderboard.ErrNotFound), errors.Is(err, leaderboard.ErrInvalidKey):
			return false, nil
		}
		return false, fmt.Errorf("submission %q: %w", id, err)
	}, func(prefix string) ([]string, error) {
		ids, err := e.store.SubmissionIDs(prefix, 0)
		if errors.Is(err, leaderboard.ErrInvalidKey) {
			return nil, nil
		}
		if err != nil || v.Host {
			return ids, err
		}
		return slices.DeleteFunc(ids, func(id string) bool {
			_, err := e.submission(id, v)
			return err != nil
		}), nil
	})
}

// resolveCredential resolves a credential id: "urn:uuid:…", its UUID, or
// a prefix of the UUID. It returns the bare UUID.
func (e *Engine) resolveCredential(id string) (string, error) {
	id = strings.TrimPrefix(id, "urn:uuid:")
	if strings.ContainsAny(id, `/\.`) {
		return "", fmt.Errorf("credential %q: %w", id, ErrNotFound)
	}
	return resolveID("credential", id, func(id string) (bool, error) {
		_, err := os.Stat(e.credentialPath(id))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, os.ErrNotExist):
			return false, nil
		}
		return false, fmt.Errorf("credential %q: %w", id, err)
	}, func(prefix string) ([]string, error) {
		ents, err := os.ReadDir(credentialDir(e.cfg.DataDir))
		if err != nil {
			return nil, fmt.Errorf("list credentials: %w", err)
		}
		var ids []string
		for _, de := range ents {
			if name, ok := strings.CutSuffix(de.Name(), ".json"); ok && strings.HasPrefix(name, prefix) {
				ids = append(ids, name)
			}
		}
		return ids, nil
	})
}
