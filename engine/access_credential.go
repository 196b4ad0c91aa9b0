package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/leaderboard"
)

// AuditCredentialAdmit is the audit action of an admission by credential.
const AuditCredentialAdmit = "admit-by-credential"

// CredentialRule admits to an invite-only task any did:key that presents
// a Verifiable Credential of Type (one of the document's types) issued
// and signed (eddsa-jcs-2022) by one of Issuers, whose subject is that
// did:key (credentialSubject.id, or .author for a verdict model
// credential), valid at the engine's clock.
type CredentialRule struct {
	Type    string   `yaml:"type" json:"type"`
	Issuers []string `yaml:"issuers" json:"issuers"`
}

func (r CredentialRule) validate(key string) error {
	bad := func(k, format string, args ...any) error {
		return &SpecError{Key: key + k, Err: fmt.Errorf(format, args...)}
	}
	if r.Type == "" || len(r.Type) > 200 {
		return bad(".type", "missing or longer than 200 characters: the credential type to accept (e.g. StudentCredential)")
	}
	if len(r.Issuers) == 0 {
		return bad(".issuers", "missing: the did:keys of the issuers the host trusts")
	}
	for i, is := range r.Issuers {
		if err := checkDIDKey(is); err != nil {
			return bad(fmt.Sprintf(".issuers[%d]", i), "%v", err)
		}
	}
	return nil
}

// presented is what the engine reads of a presented credential.
type presented struct {
	ID                string          `json:"id"`
	Type              json.RawMessage `json:"type"`
	ValidFrom         string          `json:"validFrom"`
	ValidUntil        string          `json:"validUntil"`
	CredentialSubject json.RawMessage `json:"credentialSubject"`
}

func stringsOf(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// subjects returns the ids (and authors) of a credential's subjects.
func subjects(raw json.RawMessage) []string {
	type subject struct {
		ID     string `json:"id"`
		Author string `json:"author"`
	}
	var subs []subject
	var one subject
	if json.Unmarshal(raw, &one) == nil {
		subs = []subject{one}
	} else {
		_ = json.Unmarshal(raw, &subs)
	}
	var out []string
	for _, s := range subs {
		out = append(out, s.ID, s.Author)
	}
	return out
}

// AdmitByCredential admits participant (a did:key, the signer of the
// request) to an invite-only task on a Verifiable Credential vc that one
// of the task's access.credentials rules accepts: its proof verifies, its
// issuer is trusted for its type, its subject is participant, and it is
// valid now. Revocation is not checked (the issuer's status list is not
// fetched). The admission and the credential's id are recorded and
// audited; a refusal is ErrCredentialRefused with the cause.
func (e *Engine) AdmitByCredential(ctx context.Context, task, participant string, vc []byte) error {
	t, err := e.inviteTask(task, "admission by credential")
	if err != nil {
		return err
	}
	if err := checkDIDKey(participant); err != nil {
		return fmt.Errorf("admission by credential to task %q: participant %w: %w", task, err, ErrBadRequest)
	}
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("admission by credential to task %q: "+format+": %w", append(append([]any{task}, args...), ErrCredentialRefused)...)
	}
	rules := t.Spec.Access.Credentials
	if len(rules) == 0 {
		if !t.Spec.Access.IsListed() {
			return fmt.Errorf("task %q: %w", task, ErrNotFound)
		}
		return refuse("the task admits by invitation only (no access.credentials)")
	}
	res, err := credential.Verify(vc, credential.ResolveDIDKey)
	if err != nil {
		return refuse("the credential does not verify: %v", err)
	}
	var doc presented
	if err := json.Unmarshal(res.Document, &doc); err != nil {
		return refuse("the credential is not a JSON object: %v", err)
	}
	types := stringsOf(doc.Type)
	var rule *CredentialRule
	for i, r := range rules {
		if slices.Contains(types, r.Type) && slices.Contains(r.Issuers, res.Issuer) {
			rule = &rules[i]
			break
		}
	}
	if rule == nil {
		return refuse("no rule of the task accepts a credential of type %v from issuer %s", types, res.Issuer)
	}
	if !slices.Contains(subjects(doc.CredentialSubject), participant) {
		return refuse("the credential's subject is not %s, who presents it", participant)
	}
	now := e.cfg.Now().UTC()
	if from, err := time.Parse(time.RFC3339, doc.ValidFrom); doc.ValidFrom != "" && (err != nil || now.Before(from)) {
		return refuse("the credential is not valid before %s", doc.ValidFrom)
	}
	if until, err := time.Parse(time.RFC3339, doc.ValidUntil); doc.ValidUntil != "" && (err != nil || !now.Before(until)) {
		return refuse("the credential expired at %s", doc.ValidUntil)
	}
	detail := map[string]string{"participant": participant, "credential": doc.ID, "type": rule.Type, "issuer": res.Issuer}
	en, err := e.auditEntry(WithActor(ctx, Actor{Who: participant}), AuditCredentialAdmit,
		fmt.Sprintf("a participant was admitted on a %s credential from a trusted issuer", rule.Type), detail)
	if err != nil {
		return err
	}
	err = e.store.Admit(task, []leaderboard.Admission{{Participant: participant, Time: now, By: "credential", Invitation: doc.ID}}, &en)
	if err != nil && !errors.Is(err, leaderboard.ErrExists) {
		return fmt.Errorf("task %q: admit by credential: %w", task, err)
	}
	return nil
}
