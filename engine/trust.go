package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/sandbox"
)

// StatusListName is the name of the data dir's one revocation list:
// DIR/status/1.json, published at BaseURL/status/1.
const StatusListName = "1"

func credentialDir(root string) string { return filepath.Join(root, "credentials") }
func statusDir(root string) string     { return filepath.Join(root, "status") }

// hostKeyFile is the issuer key of a data dir.
func hostKeyFile(root string) string { return filepath.Join(root, "host.key") }

// hostKey reads the data dir's issuer key, making it (mode 0600) on first
// use. The key is never logged or returned in an error.
func hostKey(root string, rand io.Reader) (credential.KeyPair, error) {
	path := hostKeyFile(root)
	k, err := credential.ReadKeyFile(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return credential.KeyPair{}, fmt.Errorf("host key: %w", err)
	}
	if k, err = credential.GenerateKey(rand); err != nil {
		return credential.KeyPair{}, fmt.Errorf("host key: %w", err)
	}
	if err := credential.WriteKeyFile(path, k); errors.Is(err, fs.ErrExist) {
		return hostKey(root, rand) // another process made it first
	} else if err != nil {
		return credential.KeyPair{}, fmt.Errorf("host key: %w", err)
	}
	return k, nil
}

// hostBBSKeyFile is the data dir's BLS12-381 key, for bbs-2023 proofs.
func hostBBSKeyFile(root string) string { return filepath.Join(root, "host-bbs.key") }

// hostBBSKey reads the data dir's BBS key, making it (mode 0600) on first
// use, like hostKey.
func hostBBSKey(root string, rand io.Reader) (credential.BBSKey, error) {
	path := hostBBSKeyFile(root)
	k, err := credential.ReadBBSKeyFile(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return credential.BBSKey{}, fmt.Errorf("host BBS key: %w", err)
	}
	if k, err = credential.GenerateBBSKey(rand); err != nil {
		return credential.BBSKey{}, fmt.Errorf("host BBS key: %w", err)
	}
	if err := credential.WriteBBSKeyFile(path, k); errors.Is(err, fs.ErrExist) {
		return hostBBSKey(root, rand) // another process made it first
	} else if err != nil {
		return credential.BBSKey{}, fmt.Errorf("host BBS key: %w", err)
	}
	return k, nil
}

// HostBBSDID is the did:key ("did:key:zUC7…") of the host's BLS12-381
// key, which signs the bbs-2023 proof of every model credential it
// issues; its holder derives selective-disclosure proofs from it.
func (e *Engine) HostBBSDID() string { return e.bbsKey.DID() }

// HostDID is the did:key of the data dir's host: the issuer of its
// credentials and status list.
func (e *Engine) HostDID() string { return e.hostKey.DID() }

// StatusListURL is the URL the data dir's status list is published at.
func (e *Engine) StatusListURL() string { return e.cfg.BaseURL + "/status/" + StatusListName }

// StatusListPath is the file holding the signed status list credential.
func (e *Engine) StatusListPath() string {
	return filepath.Join(statusDir(e.cfg.DataDir), StatusListName+".json")
}

// measured is what one run of a module measured, for the gates.
type measured struct {
	res         *sandbox.Result
	det         *bool
	moduleBytes int
	sha         string
}

// gates evaluates the task's gates on the public part, or on the private
// part when private is set; base are the baseline's outputs (nil: none).
func (lt *loadedTask) gates(m measured, base [][]float64, private bool) []gate.Result {
	spec := lt.task.Spec
	met, _ := metric.Lookup(spec.Metric) // validated with the spec
	tt := metric.TaskType(spec.Type)
	rows, part := lt.split.public, "public"
	if private && len(lt.split.private) > 0 {
		rows, part = lt.split.private, "private"
	}
	in := gather(tt, lt.data.Labels, m.res.Outputs, lt.data.Groups, rows)
	meas := gate.Measurements{
		HigherIsBetter: lt.task.HigherIsBetter,
		Rows:           lt.data.Rows(),
		ElapsedMS:      float64(m.res.Elapsed.Microseconds()) / 1000,
		MemoryBytes:    m.res.MemoryBytes,
		Deterministic:  m.det,
		Outputs:        m.res.Outputs,
		Probabilities:  tt == metric.Binary || tt == metric.Multiclass,
		ModuleBytes:    m.moduleBytes,
	}
	if v, err := met.Score(in); err == nil {
		meas.Score = v
	} else if lt.task.HigherIsBetter {
		meas.Score = -1e308 // unscorable: fails min_score
	} else {
		meas.Score = 1e308
	}
	if base != nil {
		cmp, err := met.Compare(in, gather(tt, lt.data.Labels, base, lt.data.Groups, rows),
			metric.BootstrapConfig{Seed: bootstrapSeed(spec.ID, "baseline/"+part, m.sha)})
		if err == nil {
			meas.BaselineP = &cmp.P
		}
	}
	return gate.Evaluate(spec.Gates, meas)
}

// baselineOutputs runs the task's earliest scored baseline and returns its
// outputs (cached per module), or nil when the task has none.
func (e *Engine) baselineOutputs(ctx context.Context, lt *loadedTask) ([][]float64, error) {
	bases, err := e.store.Baselines(lt.task.Spec.ID)
	if err != nil {
		return nil, fmt.Errorf("task %q: baselines: %w", lt.task.Spec.ID, err)
	}
	for _, b := range bases {
		if b.Status != leaderboard.Scored {
			continue
		}
		lt.mu.Lock()
		outs, ok := lt.baseOuts[b.ModuleSHA256]
		lt.mu.Unlock()
		if ok {
			return outs, nil
		}
		module, err := os.ReadFile(filepath.Join(moduleDir(e.cfg.DataDir), b.ModuleSHA256+".wasm"))
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", b.ID, err)
		}
		res, _, err := e.run(ctx, lt, module, nil)
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", b.ID, err)
		}
		lt.mu.Lock()
		if lt.baseOuts == nil {
			lt.baseOuts = map[string][][]float64{}
		}
		lt.baseOuts[b.ModuleSHA256] = res.Outputs
		lt.mu.Unlock()
		return res.Outputs, nil
	}
	return nil, nil
}

// Promotion is the outcome of promotion for one place of the private
// leaderboard: the gates as measured again at close on the private part,
// and the credential issued when all of them passed.
type Promotion struct {
	Rank        int           `json:"rank"`
	Participant string        `json:"participant"`
	Team        bool          `json:"team,omitempty"`
	Submission  string        `json:"submission"`
	Gates       []gate.Result `json:"gates"`
	Credential  *Credential   `json:"credential,omitempty"` // nil: a gate failed
}

// Credential is an issued CertifiedModelCredential as the data dir keeps
// it: DIR/credentials/UUID.json holds Signed.
type Credential struct {
	ID          string          `json:"id"` // urn:uuid:…
	Task        string          `json:"task"`
	Author      string          `json:"author"` // participant id; the document's author is its credential.ParticipantIRI
	Model       string          `json:"model"`  // urn:sha256:…
	Rank        int             `json:"rank"`
	ValidFrom   time.Time       `json:"valid_from"`
	StatusIndex int             `json:"status_index"`
	Revoked     *Revocation     `json:"revoked,omitempty"`
	Hidden      *Hiding         `json:"hidden,omitempty"` // the author hid it from visitors (HideCredential)
	Signed      json.RawMessage `json:"credential"`

	// submission is the id of the submission certified, when the engine
	// knows it (a promotion at hand): CertifiedModel reads its license.
	submission string
}

// Revocation records when and why a credential was revoked.
type Revocation struct {
	Time   time.Time `json:"time"`
	Reason string    `json:"reason"`
}

// Promote issues credentials for a closed task: each of the top
// promote_top entrants of the private leaderboard has its selected
// submission run again and its gates measured on the private part, and
// gets a CertifiedModelCredential, signed by the host key, when every gate
// passes. ctx bounds the runs.
//
// Promotion is resumable and idempotent. Each place's outcome is recorded
// (DIR/promotions/TASK.json) as soon as it is decided, so a promotion
// interrupted by a crash is completed by the next Promote or Recover: the
// places already decided are kept, a credential written just before the
// crash is found and kept, and only the missing places are run and
// issued, each credential with its own status index. Once a promotion is
// complete, Promote returns its outcome instead of issuing more; one that
// issued no credential may be run again.
//
// CloseTask promotes already, and so does the engine for a task closed by
// its schedule: Promote is for re-runs. It is recorded in the task's audit
// trail, by the actor of ctx (see WithActor).
func (e *Engine) Promote(ctx context.Context, task string) ([]Promotion, error) {
	ps, err := e.certify(ctx, task, true)
	if err != nil {
		return ps, err
	}
	return ps, e.audit(ctx, task, AuditPromote, promotionSummary("promoted again by the host", ps), auditPromotion(ps))
}

// certify promotes a closed task. again lets a complete promotion that
// issued nothing run again (Promote); without it, any complete promotion
// is only read back (CloseTask, the schedule's close).
func (e *Engine) certify(ctx context.Context, task string, again bool) ([]Promotion, error) {
	if err := e.settleBeforeClose(ctx, task); err != nil {
		return nil, err
	}
	e.trustMu.Lock()
	defer e.trustMu.Unlock()
	st, err := e.TaskState(task)
	if err != nil {
		return nil, err
	}
	if st.Closed.IsZero() {
		return nil, fmt.Errorf("promote task %q: not closed: %w", task, ErrBadRequest)
	}
	issued, err := e.credentials(task)
	if err != nil {
		return nil, err
	}
	rec, err := e.readPromotion(task)
	if err != nil {
		return nil, err
	}
	switch {
	case rec == nil && len(issued) > 0:
		// Promoted before outcomes were recorded: its credentials stand.
		var out []Promotion
		for i := range issued {
			c := issued[i]
			if err := e.notify(ctx, false, &c); err != nil {
				return nil, err
			}
			out = append(out, Promotion{Rank: c.Rank, Participant: c.Author, Credential: &c})
		}
		return out, nil
	case rec != nil && rec.Done && (rec.issued() || !again):
		return e.recorded(ctx, rec)
	case rec == nil || rec.Done:
		// First promotion, or a complete one that issued nothing.
		rec = &promotionRecord{Task: task, Closed: st.Closed}
		if err := e.writePromotion(rec); err != nil {
			return nil, err
		}
	}
	lt, err := e.load(task)
	if err != nil {
		return nil, err
	}
	board, err := e.Leaderboard(task, Host, true)
	if err != nil {
		return nil, err
	}
	var ranked []Entry
	for _, en := range board {
		if !en.Baseline && en.Rank > 0 {
			ranked = append(ranked, en)
		}
	}
	top := lt.task.Spec.PromoteTop
	if top == 0 {
		top = DefaultPromoteTop
	}
	var base [][]float64
	baseRead := false
	list, next, err := e.statusState()
	if err != nil {
		return nil, err
	}
	var out []Promotion
	for _, en := range ranked {
		if en.Rank > top {
			break
		}
		if pl, ok := rec.place(en.Rank); ok {
			p, err := e.recordedPlace(ctx, pl)
			if err != nil {
				return out, err
			}
			out = append(out, p)
			continue
		}
		var p Promotion
		if c := issuedFor(issued, en); c != nil {
			// Issued just before a crash that came before its record.
			c.submission = en.Submission
			if err := e.notify(ctx, false, c); err != nil {
				return out, err
			}
			p = Promotion{Rank: en.Rank, Participant: en.Participant, Team: en.Team, Submission: en.Submission, Credential: c}
		} else {
			if !baseRead && lt.task.Spec.Gates.BeatsBaseline != nil {
				if base, err = e.baselineOutputs(ctx, lt); err != nil {
					return out, err
				}
				baseRead = true
			}
			if p, err = e.promote(ctx, lt, en, base, len(ranked), st.Closed, &next); err != nil {
				return out, err
			}
		}
		rec.Places = append(rec.Places, placeOf(p))
		if err := e.writePromotion(rec); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	// The list is (re)signed even when nothing was issued, so that it
	// exists from the first close.
	if err := e.writeStatusList(list, st.Closed); err != nil {
		return out, err
	}
	rec.Done = true
	if err := e.writePromotion(rec); err != nil {
		return out, err
	}
	return out, nil
}

func (e *Engine) promote(ctx context.Context, lt *loadedTask, en Entry, base [][]float64, ranked int, at time.Time, next *int) (Promotion, error) {
	p := Promotion{Rank: en.Rank, Participant: en.Participant, Team: en.Team, Submission: en.Submission}
	ls, err := e.store.Submission(en.Submission)
	if err != nil {
		return p, fmt.Errorf("promote %s: %w", en.Submission, err)
	}
	sub := fromStore(ls)
	module, err := os.ReadFile(filepath.Join(moduleDir(e.cfg.DataDir), sub.ModuleSHA256+".wasm"))
	if err != nil {
		return p, fmt.Errorf("promote %s: %w", en.Submission, err)
	}
	res, det, err := e.run(ctx, lt, module, nil)
	if err != nil {
		if sandbox.KindOf(err) == "" || ctx.Err() != nil {
			// The host failed, or the promotion was stopped (the engine
			// closing, a client gone): not the model's fault, so the place
			// stays undecided, for the next Promote or Recover.
			return p, fmt.Errorf("promote %s: %w", en.Submission, err)
		}
		// The model failed this time: not certified.
		p.Gates = []gate.Result{{Name: "rerun", Detail: err.Error()}}
		return p, nil
	}
	p.Gates = lt.gates(measured{res: res, det: det, moduleBytes: len(module), sha: sub.ModuleSHA256}, base, true)
	if !gate.Passed(p.Gates) {
		return p, nil
	}
	c, err := e.issue(ctx, lt, sub, en, ranked, p.Gates, at, *next)
	if err != nil {
		return p, err
	}
	*next++
	p.Credential = c
	return p, nil
}

// issue signs and stores the credential of one promoted submission, and
// tells the OnCertified hooks (the marketplace lists the model).
func (e *Engine) issue(ctx context.Context, lt *loadedTask, sub Submission, en Entry, ranked int, gates []gate.Result, at time.Time, index int) (*Credential, error) {
	var model [sha256.Size]byte
	if _, err := hex.Decode(model[:], []byte(sub.ModuleSHA256)); err != nil {
		return nil, fmt.Errorf("promote %s: module hash: %w", sub.ID, err)
	}
	score := func(v *float64, ci *Interval) *credential.Score {
		if v == nil {
			return nil
		}
		s := &credential.Score{Value: *v, CI: [2]float64{*v, *v}, Level: 0.95}
		if ci != nil {
			s.CI, s.Level = [2]float64{ci.Low, ci.High}, ci.Level
		}
		return s
	}
	t := lt.task
	subject := credential.ModelSubject{
		Model:  model,
		Author: credential.ParticipantIRI(t.Spec.ID, en.Participant),
		Task: credential.Task{ID: t.Spec.ID, Title: t.Spec.Title, Type: t.Spec.Type, Metric: t.Spec.Metric,
			DatasetHash: "sha256:" + t.DatasetSHA256},
		Scores:             credential.Scores{Public: *score(sub.Scores.Public, sub.Scores.PublicCI), Private: score(sub.Scores.Private, sub.Scores.PrivateCI)},
		Rank:               en.Rank,
		RankedParticipants: ranked,
		EngineVersion:      Version,
	}
	for _, g := range gates {
		subject.Gates = append(subject.Gates, credential.Gate{Name: g.Name, Passed: g.Passed, Value: g.Value, Threshold: g.Threshold})
	}
	rankedBy := subject.Scores.Public.Value // the score the model is ranked by
	if subject.Scores.Private != nil {
		rankedBy = subject.Scores.Private.Value
	}
	subject.Thresholds = credential.NewThresholds(rankedBy, t.HigherIsBetter, en.Rank)
	id, err := credential.NewID(e.cfg.Rand)
	if err != nil {
		return nil, err
	}
	// The bbs-2023 base proof's HMAC key, fresh per credential: it hides
	// which blank nodes a derived proof leaves out.
	var hmacKey [32]byte
	if _, err := io.ReadFull(e.cfg.Rand, hmacKey[:]); err != nil {
		return nil, fmt.Errorf("promote %s: HMAC key: %w", sub.ID, err)
	}
	entry := credential.NewStatusEntry(e.StatusListURL(), index)
	validFrom := at.UTC().Truncate(time.Second)
	signed, err := credential.ModelCredential{ID: id, ValidFrom: validFrom, Subject: subject, Status: &entry}.SignWithBBS(e.hostKey, e.bbsKey, hmacKey[:])
	if err != nil {
		return nil, fmt.Errorf("promote %s: issue credential: %w", sub.ID, err)
	}
	if err := writeFileAtomic(e.credentialPath(id), signed); err != nil {
		return nil, fmt.Errorf("promote %s: store credential: %w", sub.ID, err)
	}
	if testHookIssued != nil {
		testHookIssued(en.Rank)
	}
	c := &Credential{ID: id, Task: t.Spec.ID, Author: en.Participant, Model: "urn:sha256:" + sub.ModuleSHA256,
		Rank: en.Rank, ValidFrom: validFrom, StatusIndex: index, Signed: signed, submission: sub.ID}
	if err := e.notify(ctx, false, c); err != nil {
		return nil, fmt.Errorf("promote %s: %w", sub.ID, err)
	}
	return c, nil
}

func (e *Engine) credentialPath(id string) string {
	return filepath.Join(credentialDir(e.cfg.DataDir), strings.TrimPrefix(id, "urn:uuid:")+".json")
}

func (e *Engine) revocationPath(id string) string {
	return filepath.Join(credentialDir(e.cfg.DataDir), strings.TrimPrefix(id, "urn:uuid:")+".revoked")
}

// storedDoc is what the data dir reads back from a stored credential.
type storedDoc struct {
	ID                string `json:"id"`
	ValidFrom         string `json:"validFrom"`
	CredentialSubject struct {
		ID     string `json:"id"`
		Author string `json:"author"`
		Task   struct {
			ID string `json:"taskId"`
		} `json:"task"`
		Rank int `json:"rank"`
	} `json:"credentialSubject"`
	CredentialStatus credential.StatusEntry `json:"credentialStatus"`
}

// readCredential reads a stored credential by its id (urn:uuid:… or the
// bare UUID).
func (e *Engine) readCredential(id string) (*Credential, error) {
	id = strings.TrimPrefix(id, "urn:uuid:")
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return nil, fmt.Errorf("credential %q: %w", id, ErrNotFound)
	}
	signed, err := os.ReadFile(e.credentialPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("credential %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("credential %q: %w", id, err)
	}
	var d storedDoc
	if err := json.Unmarshal(signed, &d); err != nil {
		return nil, fmt.Errorf("credential %q: decode: %w", id, err)
	}
	// The document names the participant by an IRI (credential.ParticipantIRI);
	// the data dir by its participant id.
	c := &Credential{ID: d.ID, Task: d.CredentialSubject.Task.ID, Author: credential.ParticipantName(d.CredentialSubject.Author),
		Model: d.CredentialSubject.ID, Rank: d.CredentialSubject.Rank, Signed: signed}
	c.ValidFrom, _ = time.Parse(time.RFC3339, d.ValidFrom)
	if c.StatusIndex, err = strconv.Atoi(d.CredentialStatus.StatusListIndex); err != nil {
		return nil, fmt.Errorf("credential %q: status index: %w", id, err)
	}
	if b, err := os.ReadFile(e.revocationPath(id)); err == nil {
		var r Revocation
		if json.Unmarshal(b, &r) == nil {
			c.Revoked = &r
		}
	}
	if c.Hidden, err = e.readHiding(id); err != nil {
		return nil, err
	}
	return c, nil
}

// Credential returns an issued credential by id: urn:uuid:…, the UUID,
// or a unique prefix of it (MinIDPrefix, ShortID).
func (e *Engine) Credential(id string) (*Credential, error) {
	full, err := e.resolveCredential(id)
	if err != nil {
		return nil, err
	}
	return e.readCredential(full)
}

// Credentials lists the credentials issued for a task ("" for every
// task), by task, then rank.
func (e *Engine) Credentials(task string) ([]Credential, error) {
	return e.credentials(task)
}

func (e *Engine) credentials(task string) ([]Credential, error) {
	ents, err := os.ReadDir(credentialDir(e.cfg.DataDir))
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	out := []Credential{}
	for _, de := range ents {
		name, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		c, err := e.readCredential(name)
		if err != nil {
			return nil, err
		}
		if task == "" || c.Task == task {
			out = append(out, *c)
		}
	}
	slices.SortFunc(out, func(a, b Credential) int {
		if c := strings.Compare(a.Task, b.Task); c != 0 {
			return c
		}
		return a.Rank - b.Rank
	})
	return out, nil
}

// statusState returns the data dir's revocation list (read back from its
// signed credential, all clear if there is none yet) and the next free
// index: one past the highest index of an issued credential.
func (e *Engine) statusState() (*credential.StatusList, int, error) {
	all, err := e.credentials("")
	if err != nil {
		return nil, 0, err
	}
	next := 0
	for _, c := range all {
		next = max(next, c.StatusIndex+1)
	}
	signed, err := os.ReadFile(e.StatusListPath())
	if errors.Is(err, fs.ErrNotExist) {
		l, err := credential.NewStatusList(0)
		return l, next, err
	}
	if err != nil {
		return nil, 0, fmt.Errorf("status list: %w", err)
	}
	res, err := credential.Verify(signed, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("status list %s: %w", e.StatusListPath(), err)
	}
	if res.Issuer != e.HostDID() {
		return nil, 0, fmt.Errorf("status list %s: issued by %s, not this data dir's host", e.StatusListPath(), res.Issuer)
	}
	var doc struct {
		CredentialSubject struct {
			EncodedList string `json:"encodedList"`
		} `json:"credentialSubject"`
	}
	if err := json.Unmarshal(res.Document, &doc); err != nil {
		return nil, 0, fmt.Errorf("status list %s: %w", e.StatusListPath(), err)
	}
	l, err := credential.DecodeStatusList(doc.CredentialSubject.EncodedList)
	if err != nil {
		return nil, 0, fmt.Errorf("status list %s: %w", e.StatusListPath(), err)
	}
	return l, next, nil
}

// writeStatusList signs the list, valid from at, and replaces the file.
func (e *Engine) writeStatusList(l *credential.StatusList, at time.Time) error {
	signed, err := credential.IssueStatusList(e.StatusListURL(), l, e.hostKey, at.UTC().Truncate(time.Second))
	if err != nil {
		return fmt.Errorf("sign status list: %w", err)
	}
	if err := writeFileAtomic(e.StatusListPath(), signed); err != nil {
		return fmt.Errorf("write status list: %w", err)
	}
	return nil
}

// Revoke revokes an issued credential: its bit in the data dir's status
// list is set and the list credential is signed again, valid from now.
// Revoking a revoked credential is ErrBadRequest. id is as Credential
// takes it. The revocation is recorded in its task's audit trail, with
// reason.
func (e *Engine) Revoke(id, reason string) (*Credential, error) {
	e.trustMu.Lock()
	defer e.trustMu.Unlock()
	c, err := e.Credential(id)
	if err != nil {
		return nil, err
	}
	if c.Revoked != nil {
		if err := e.notify(context.Background(), true, c); err != nil { // in case a crash came between
			return nil, err
		}
		return nil, fmt.Errorf("credential %s: revoked at %s: %w", c.ID, c.Revoked.Time.Format(time.RFC3339), ErrBadRequest)
	}
	l, _, err := e.statusState()
	if err != nil {
		return nil, err
	}
	if err := l.Set(c.StatusIndex, true); err != nil {
		return nil, fmt.Errorf("revoke %s: %w", c.ID, err)
	}
	now := e.cfg.Now().UTC()
	if err := e.writeStatusList(l, now); err != nil {
		return nil, err
	}
	r := Revocation{Time: now, Reason: reason}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(e.revocationPath(c.ID), b); err != nil {
		return nil, fmt.Errorf("revoke %s: %w", c.ID, err)
	}
	c.Revoked = &r
	if err := e.notify(context.Background(), true, c); err != nil {
		return nil, err
	}
	summary := "credential " + c.ID + " of rank " + strconv.Itoa(c.Rank) + " revoked"
	if c.Hidden != nil { // visitors read the summary: the rank would re-link the author (HideCredential)
		summary = "credential " + c.ID + " revoked"
	}
	en, err := e.auditEntry(context.Background(), AuditRevoke, summary, map[string]string{"credential": c.ID, "author": c.Author})
	if err != nil {
		return c, err
	}
	en.Task, en.Reason = c.Task, reason
	if err := e.store.AppendAudit(en); err != nil {
		return c, fmt.Errorf("revoke %s: audit: %w", c.ID, err)
	}
	return c, nil
}
