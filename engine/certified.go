package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox"
)

// What the engine offers the packages layered above it (the marketplace,
// package market): hooks at promotion and revocation, and the few services
// of the data dir they build on. The engine never calls into them but
// through these hooks.

// Certified is a certified model, as CertifiedModel reads it back from
// its stored credential: the credential, what it attests (verified against
// the host key), the task it was certified in, the license the participant
// gave at submission ("" for none) and the module's size.
type Certified struct {
	Credential  Credential
	Subject     credential.ModelSubject
	Task        Task
	License     string
	ModuleBytes int
}

// OnCertified registers f to be told of every credential the engine
// issues, once it is stored, and again of every credential a later
// Promote or CloseTask reads back from an earlier promotion: a crash may
// have come between the issue and f, so f must be idempotent (c.Revoked
// is set on one revoked since). f is called
// under the engine's issue lock: it may read from the engine
// (CertifiedModel, Task, …) but must not promote or revoke. An error from
// f fails the promotion, which the next Promote resumes.
func (e *Engine) OnCertified(f func(ctx context.Context, c *Credential) error) {
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	e.obs.certified = append(e.obs.certified, f)
}

// OnRevoked registers f to be told of every credential Revoke revokes
// (c.Revoked set), after the revocation is stored, and again of one
// Revoke is asked to revoke a second time (a crash may have come before
// f): f must be idempotent. It is called like an OnCertified hook.
func (e *Engine) OnRevoked(f func(ctx context.Context, c *Credential) error) {
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	e.obs.revoked = append(e.obs.revoked, f)
}

// notify calls the hooks of one kind on c, stopping at the first error.
func (e *Engine) notify(ctx context.Context, revoked bool, c *Credential) error {
	e.obs.mu.Lock()
	funcs := e.obs.certified
	if revoked {
		funcs = e.obs.revoked
	}
	e.obs.mu.Unlock()
	for _, f := range funcs {
		if err := f(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// CertifiedModel reads back what a stored credential certifies: its
// signed subject (verified against this data dir's host key, at the time
// it was issued), its task, the submission's license and the module's
// size. The module must be in the data dir.
func (e *Engine) CertifiedModel(ctx context.Context, c *Credential) (*Certified, error) {
	res, err := credential.VerifyModel(ctx, c.Signed, credential.VerifyOptions{Issuer: e.HostDID(), Now: c.ValidFrom})
	if err != nil {
		return nil, fmt.Errorf("credential %s: %w", c.ID, err)
	}
	t, err := e.Task(c.Task)
	if err != nil {
		return nil, fmt.Errorf("credential %s: %w", c.ID, err)
	}
	sha := strings.TrimPrefix(c.Model, "urn:sha256:")
	cm := &Certified{Credential: *c, Subject: res.Credential.Subject, Task: *t}
	if c.submission != "" {
		ls, err := e.store.Submission(c.submission)
		if err != nil {
			return nil, fmt.Errorf("credential %s: submission %s: %w", c.ID, c.submission, err)
		}
		cm.License = fromStore(ls).License
	} else {
		// A credential read back on its own: its author's first submission
		// of the certified module (the author's, not the team's).
		subs, err := e.store.Submissions(c.Task)
		if err != nil {
			return nil, fmt.Errorf("credential %s: %w", c.ID, err)
		}
		for _, ls := range subs {
			if ls.Participant == c.Author && ls.ModuleSHA256 == sha {
				cm.License = fromStore(ls).License
				break
			}
		}
	}
	fi, err := os.Stat(e.modulePath(sha))
	if err != nil {
		return nil, fmt.Errorf("credential %s: module: %w", c.ID, err)
	}
	cm.ModuleBytes = int(fi.Size())
	return cm, nil
}

// SignAsHost signs a JSON document with the host key (eddsa-jcs-2022,
// like the credentials), proof created at created: for documents the host
// vouches for beside its credentials, such as the marketplace's model
// cards.
func (e *Engine) SignAsHost(doc []byte, created time.Time) ([]byte, error) {
	return credential.Sign(doc, e.hostKey, credential.ProofOptions{Created: created})
}

// ReadModule returns the stored module whose SHA-256 is sha (hex),
// checking that the bytes on disk still have that hash.
func (e *Engine) ReadModule(sha string) ([]byte, error) {
	if len(sha) != 2*sha256.Size || strings.ContainsAny(sha, `/\.`) {
		return nil, fmt.Errorf("module %.80q: not a SHA-256: %w", sha, ErrBadRequest)
	}
	module, err := os.ReadFile(e.modulePath(sha))
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", sha, err)
	}
	if sum := sha256.Sum256(module); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("module %s: on disk its SHA-256 is %x", sha, sum)
	}
	return module, nil
}

// SaveModule keeps module in the data dir, named by its SHA-256 (returned),
// as a submitted one is kept.
func (e *Engine) SaveModule(module []byte) (string, error) {
	sum := sha256.Sum256(module)
	sha := hex.EncodeToString(sum[:])
	return sha, e.saveModule(sha, module)
}

// Runtime returns the engine's sandbox runtime for lim, shared with its
// evaluations (one compilation cache): the caller must not close it.
func (e *Engine) Runtime(ctx context.Context, lim sandbox.Limits) (*sandbox.Runtime, error) {
	return e.runtime(ctx, lim)
}

// Store returns the data dir's store, for packages above the engine that
// keep tables of their own in it (package market: the catalogue). They
// must not write the engine's tables.
func (e *Engine) Store() *leaderboard.Store { return e.store }

// Now is the engine's clock (Config.Now).
func (e *Engine) Now() time.Time { return e.cfg.Now() }

// DataDir is the data dir's absolute path.
func (e *Engine) DataDir() string { return e.cfg.DataDir }

// ResolveID is the one rule for ids given by people, for packages above
// the engine with ids of their own: it returns the id that id stands for —
// id itself when exists says so, else the only id that starts with it (at
// least MinIDPrefix characters) among those prefixed lists. kind names the
// thing in errors. An unknown id wraps ErrNotFound; a prefix of several
// ids wraps ErrBadRequest.
func ResolveID(kind, id string, exists func(string) (bool, error), prefixed func(string) ([]string, error)) (string, error) {
	return resolveID(kind, id, exists, prefixed)
}
