package api

import (
	"time"

	"github.com/verdictlab/verdict/engine"
)

// StatementHeader carries a signed submission statement
// (credential.SignSubmission's Raw) with a raw-body upload; a multipart
// upload carries it as the "statement" part.
const StatementHeader = "Submission-Statement"

// Error is the body of every refusal, inside ErrorBody: a stable kind
// (not_found, forbidden, bad_request, signature, …) and a message for
// people.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// ErrorBody is the JSON object of a refusal: {"error": {…}}.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Health is the answer of GET /healthz.
type Health struct {
	Status string            `json:"status"`
	Queue  engine.QueueStats `json:"queue"`
}

// HostInfo is who issues a server's credentials and where its status list
// is (GET /v1/host).
type HostInfo struct {
	DID        string `json:"did"`
	StatusList string `json:"status_list"`
	// BBSDID is the did:key of the host's BLS12-381 key, which signs the
	// bbs-2023 proof of its model credentials ("did:key:zUC7…").
	BBSDID string `json:"bbs_did,omitempty"`
}

// Task is a task's public face, the competition rules a participant plays
// by, and where it is in its schedule. It never carries the split seed or
// the data path.
type Task struct {
	engine.TaskInfo
	// PublicRows and PrivateRows are how many rows score each board.
	PublicRows  int `json:"public_rows"`
	PrivateRows int `json:"private_rows"`
	// FinalSelections, Teams, Leaderboard and RequireSigned are the rules
	// of the spec.
	FinalSelections int                    `json:"final_selections"`
	Teams           engine.TeamsSpec       `json:"teams"`
	Leaderboard     engine.LeaderboardSpec `json:"leaderboard"`
	RequireSigned   bool                   `json:"require_signed,omitempty"`
	// Access is who may take part and whether the task is listed.
	Access Access       `json:"access"`
	State  engine.State `json:"state"`
	// Warnings are the host's, in the answer to a task's creation only
	// (engine.Task.Warnings): never in a participant's view.
	Warnings []string `json:"warnings,omitempty"`
}

// NewTask is t's public face in state st.
func NewTask(t engine.Task, st engine.State) Task {
	public, private := t.PartRows()
	return Task{TaskInfo: t.Info(), PublicRows: public, PrivateRows: private,
		FinalSelections: t.Spec.FinalSelections, Teams: t.Spec.Teams, Leaderboard: t.Spec.Leaderboard,
		RequireSigned: t.Spec.RequireSigned, State: st,
		Access: Access{Mode: accessMode(t.Spec.Access), Listed: t.Spec.Access.IsListed()}}
}

// accessMode is the spec's mode, open for a task stored before modes.
func accessMode(a engine.AccessSpec) string {
	if a.Invite() {
		return engine.AccessInvite
	}
	return engine.AccessOpen
}

// Closed is the answer to closing a task: its state, and the outcome of
// the promotion the close ran (the same as verdict task close's).
type Closed struct {
	engine.State
	Promotions []engine.Promotion `json:"promotions"`
}

// Leaderboard is a task's ranking as the caller may see it.
type Leaderboard struct {
	Task string `json:"task"`
	// Phase is the phase asked for (?phase=), if any: "" is the current
	// phase's board (or the task's, without phases).
	Phase   string         `json:"phase,omitempty"`
	Private bool           `json:"private"`
	Entries []engine.Entry `json:"entries"`
}

// Selections are the submissions a participant (or their team) chose for
// the private leaderboard.
type Selections struct {
	Participant string   `json:"participant"`
	Submissions []string `json:"submissions"`
}

// Select is the body of PUT …/selections: the submissions to select
// (replacing the earlier choice).
type Select struct {
	Submissions []string `json:"submissions"`
}

// Join is the body of POST …/teams/{team}/members: the participants to
// add (a participant may name only themself, or send no body).
type Join struct {
	Participants []string `json:"participants"`
}

// Merge is the body of POST …/teams/{team}/merge: the team to merge into.
type Merge struct {
	Into string `json:"into"`
}

// Revoke is the body of POST /v1/credentials/{id}/revoke.
type Revoke struct {
	Reason string `json:"reason"`
}

// Verification is the outcome of verifying a credential: Verified, or the
// Error saying why not.
type Verification struct {
	Verified      bool     `json:"verified"`
	Issuer        string   `json:"issuer,omitempty"`
	StatusChecked bool     `json:"status_checked"`
	Subject       *Subject `json:"subject,omitempty"`
	Error         *Error   `json:"error,omitempty"`
}

// Subject is what a verified credential certifies.
type Subject struct {
	ID        string    `json:"id"`
	Model     string    `json:"model"` // urn:sha256:…
	Author    string    `json:"author"`
	Task      string    `json:"task"`
	Rank      int       `json:"rank"`
	ValidFrom time.Time `json:"valid_from"`
}

// Accepted is the answer to an upload: the submission as queued (or, for a
// duplicate, as first submitted), and where to follow it.
type Accepted struct {
	*engine.Submission
	Links Links `json:"links"`
}

// Links are where a submission can be read and followed.
type Links struct {
	Self   string `json:"self"`
	Events string `json:"events"`
}

// StatusEvent is the data of a "status" event of GET
// /v1/submissions/{id}/events: the submission as stored and, while the
// server evaluates it, its rows done and to do (RowsTotal counts every run
// of the model: twice the test rows with the deterministic gate). Both are
// omitted when not known.
type StatusEvent struct {
	engine.Submission
	RowsDone  int `json:"rows_done,omitempty"`
	RowsTotal int `json:"rows_total,omitempty"`
}

// The events of a submission's stream (text/event-stream): "status" (data
// StatusEvent) whenever it changes, then "end" (data {"reason": …}) once it
// is scored or failed, after the stream's time limit (reconnect), or when
// the server shuts down.
const (
	EventStatus = "status"
	EventEnd    = "end"
)

// RescoreOptions is the JSON body of POST /v1/tasks/{id}/rescore (or the
// "options" part of its multipart upload, whose "data" part is a
// corrected dataset).
type RescoreOptions struct {
	// Submissions is what to re-run: "all" (the default), "selected", or
	// submission ids.
	Submissions []string `json:"submissions"`
	// Reason is why, for the task's audit trail.
	Reason string `json:"reason,omitempty"`
}

// VerifyOptions is the JSON body of POST /v1/tasks/{id}/verify.
type VerifyOptions struct {
	Submissions []string `json:"submissions"`
}

// Access is a task's access rules as everyone may read them: its mode
// (engine.AccessOpen or engine.AccessInvite) and whether it is listed.
// The admitted participants are the host's (GET …/admissions).
type Access struct {
	Mode   string `json:"mode"`
	Listed bool   `json:"listed"`
}

// Admit is the body of POST /v1/tasks/{id}/admissions and of POST
// /v1/tasks/{id}/admissions/revoke: the did:keys to admit, or whose
// admission to revoke, and why (for the audit trail).
type Admit struct {
	Participants []string `json:"participants"`
	Reason       string   `json:"reason,omitempty"`
}

// Admitted is the answer to an admission or a revocation: the
// participants it changed (those already admitted, or not admitted, are
// left out).
type Admitted struct {
	Task         string   `json:"task"`
	Participants []string `json:"participants"`
}

// Invite is the body of POST /v1/tasks/{id}/invitations: how many codes
// to make and how long each is valid (a Go duration such as "72h"; empty:
// until the task closes).
type Invite struct {
	Count   int    `json:"count"`
	Expires string `json:"expires,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Invitations is the answer to POST /v1/tasks/{id}/invitations: the
// codes, shown this once (the server keeps only their hashes).
type Invitations struct {
	Task        string              `json:"task"`
	Invitations []engine.Invitation `json:"invitations"`
}

// Redeem is the body of POST /v1/tasks/{id}/invitations/redeem, a
// participant's signed request: the code to redeem.
type Redeem struct {
	Code string `json:"code"`
}

// Redeemed is the answer to a redemption: the signer is now admitted.
type Redeemed struct {
	Task        string `json:"task"`
	Participant string `json:"participant"`
}

// ReceiptHeader carries a metered call's UsageReceipt (JSON, base64) on
// an answer whose body is the predictions as CSV or Arrow.
const ReceiptHeader = "Verdict-Receipt"

// UsageReceipt is a metered call's receipt as the usage ledger holds it,
// with what the caller needs to check it there offline.
type UsageReceipt struct {
	// Entry is the ledger entry (a ledger.Receipt's bytes), Index its
	// place in the log.
	Entry []byte `json:"entry"`
	Index int64  `json:"index"`
	// Checkpoint is the host-signed checkpoint (a C2SP signed note) of a
	// tree holding the entry, Proof the entry's inclusion proof in it
	// (RFC 6962 hashes), VerifierKey the key that signs the checkpoints.
	Checkpoint  string   `json:"checkpoint"`
	Proof       [][]byte `json:"proof"`
	VerifierKey string   `json:"verifier_key"`
	// Salt opens the receipt's request digest: SHA-256(salt ‖ body).
	// Only the caller gets it; the log does not hold it.
	Salt []byte `json:"salt"`
}

// MeteredPrediction is the JSON answer of POST /v1/market/{id}/predict
// (Accept: application/json): the predictions and the receipt.
type MeteredPrediction struct {
	Model    string       `json:"model"`
	IDColumn string       `json:"id_column"`
	IDs      []string     `json:"ids"`
	Columns  []string     `json:"columns"`
	Values   [][]float64  `json:"values"` // Values[k][i]: output k of row i
	Receipt  UsageReceipt `json:"receipt"`
}

// PhaseAdvance is the JSON body of POST /v1/tasks/{id}/phases/advance.
type PhaseAdvance struct {
	// Reason is why, for the task's audit trail.
	Reason string `json:"reason,omitempty"`
}

// Weight is a team member's agreed part of the team's revenue, in basis
// points (10000 is all of it).
type Weight struct {
	Party       string `json:"party"`
	BasisPoints int64  `json:"basis_points"`
}

// Shares is the body of POST /v1/tasks/{id}/teams/{team}/shares: the
// split a member asks for (as themself) or the host records for the
// team, one weight per member, summing to 10000.
type Shares struct {
	Shares []Weight `json:"shares"`
}

// Price is the body and the answer of POST /v1/market/{id}/price: a
// listing's price per 1,000 rows of metered use, in units.
type Price struct {
	Model        string `json:"model,omitempty"`
	PricePer1000 int64  `json:"price_per_1000_rows"`
}
