// Package engine runs competitions: it turns a host's task spec into a
// task, and a participant's WebAssembly module into a scored, ranked
// submission.
//
// It is the middle of the pipeline and the only package that knows them
// all:
//
//	spec (YAML) -> datasets (held-out data as Arrow: features | labels, hash)
//	module.wasm -> sandbox (validate, compile once, run on features) -> predictions
//	predictions + labels -> metric, on the public and the private part
//	-> gate (each quality gate's value and threshold, recorded)
//	-> leaderboard (Badger): submission recorded, participant ranked
//	close -> promote: winners re-run, gates on the private part -> credential (W3C VC)
//
// The leaves (datasets, sandbox, leaderboard, engine/metric, engine/gate,
// engine/credential) never import
// engine or each other; engine converts between their types. cmd/verdict is
// a thin adapter over engine.
//
// engine never hands a label to a guest: the sandbox gets feature columns
// only. A submission that fails because of its model is not an error of
// Submit: it is recorded as failed with a stable error kind (see
// sandbox.KindOf; "score" when its outputs cannot be scored, e.g. a
// probability above 1) and a message a participant understands.
//
// # Public and private parts
//
// A row is public iff the first 8 bytes of SHA-256(seed ‖ id), read
// big-endian as a uint64 and divided by 2^64, is below the task's
// public_fraction (see Public). The leaderboard shows public scores during a
// competition; the private part decides it at the end.
//
// # Competition rules
//
// A task may have a schedule, daily and total submission limits, final
// selections, teams and the Ladder (see Spec and README.md's "Running a
// contest"). Every rule reads the injected clock Config.Now. The rules that
// must hold under concurrency (quotas, one evaluation per module per
// participant or team, nothing accepted after close, team merges within the
// limits) are checked by leaderboard in the transaction that writes, never
// here by a read followed by a write.
//
// Submissions go through a bounded queue to a pool of Config.Workers
// workers: received -> queued -> running -> scored | failed, each step
// committed before it is acknowledged. A full queue refuses with
// ErrQueueFull. Recover runs again what a crash left received, queued or
// running; a failure caused by the host (kind "host") is not charged to
// the quota.
//
// # Trust
//
// A data dir has a host key (DIR/host.key, made on first use, never
// logged): the issuer of its credentials, and a BLS12-381 key
// (DIR/host-bbs.key) that signs each credential's bbs-2023 proof, from
// which the author derives selective disclosures (DeriveCredential); an
// author who hides a credential (HideCredential) is shown to visitors only
// in its derived, authorless Public form (SeesCredential, CredentialFor). Promote, after close, runs the
// top promote_top entrants of the private leaderboard again, measures the
// task's gates on the private part and issues a CertifiedModelCredential
// to each that passes every gate; each gets a revocation bit in the data
// dir's status list, which Revoke sets.
//
// The engine never calls into the marketplace (package market, above
// it): it tells whoever subscribed of each credential it issues
// (OnCertified, again for one it reads back from an earlier promotion)
// and revokes (OnRevoked), and offers them the few services they build on
// (CertifiedModel, SignAsHost, ReadModule, SaveModule, Runtime, Store,
// ResolveID; certified.go).
//
// # Re-runs
//
// Rescore runs a task's submissions again with their stored modules,
// after the host fixed the dataset (RescoreOptions.Dataset replaces it,
// under the checks of CreateTask) or a metric: uncharged, with the old
// outcomes kept in the store, resumable after an interruption, and a
// RescoreReport of the scores and ranks that changed. Verify re-runs
// without storing and compares every stored score and interval bit for
// bit (see RATIONALE.md, "Why must a re-run reproduce every score bit for
// bit?").
//
// The host actions that change an outcome (CloseTask, Promote, Rescore,
// Revoke, Admit, RevokeAccess, Invite; and a participant's Redeem) are recorded in the task's audit trail (AuditTrail) with the
// actor WithActor puts in their context and their reason.
//
// # Phases
//
// A spec may divide a task into phases (Spec.Phases): a development phase,
// then a final one. Entering a final phase (at its start, noticed by
// TaskState and done by a background worker; SettlePhases does it now;
// AdvancePhase ahead of the schedule) freezes every entrant's selections
// and re-runs them, as a Rescore, on the phase's own data stored at
// creation. Until close, participants see the development board and their
// pre-re-run outcomes, nothing of the final data; the task closes and is
// certified at the final phase's end. Transitions are recorded once in
// DIR/phases/TASK.json and the audit trail (RATIONALE.md, "Why does a
// final phase re-run frozen selections, and what may it show?").
//
// # Checking a model before submitting it
//
// Check runs a module the way an evaluation would, without submitting it
// and without an Engine: the sandbox's load checks, a run on the
// participant's own rows (datasets.ReadSample) or on synthetic rows of the
// task's shape, the metric's check of the outputs, determinism, an
// estimate of the evaluation's time against limits.timeout_s and memory
// against limits.memory_mb. It takes the task's public face (TaskInfo)
// and nothing else of it, so its report never depends on held-out rows
// or labels, whether a participant runs it against a server or a host on
// its own data dir.
//
// Readers pass a Viewer: the host sees everything; a participant sees
// public scores only until the task closes.
//
// # Access
//
// A task's spec says who may take part (access.go, AccessSpec): open to
// every participant, or invite-only, where only admitted did:keys submit,
// join teams and read its leaderboards, history, submissions and audit
// trail (an *AccessError naming the rule otherwise); and whether it is
// listed: an unlisted task is ErrNotFound, as an absent one, to whoever
// may not see it (TaskFor, TasksFor, CheckAccess). The host admits and
// revokes (Admit, RevokeAccess) and makes single-use invitation codes
// (Invite: random, only their hash stored) that Redeem binds to the first
// did:key that redeems them, in one store transaction. Each is audited.
//
// Every call that takes a submission or credential id takes
// the full id or a unique prefix of at least MinIDPrefix characters
// (ids.go); ShortID is the prefix to print. Message is the sentence to
// show for an error, without its sentinels' package prefixes.
//
// # Data dir
//
//	DIR/store/               Badger: tasks, submissions, rankings
//	DIR/datasets/SHA.arrow   held-out datasets as Arrow IPC, named by content hash
//	DIR/modules/SHA.wasm     every accepted module (refused uploads write nothing), named by its SHA-256
//	DIR/cache/wazero/        wazero's compilation cache
//	DIR/host.key             the host's Ed25519 key (0600)
//	DIR/host-bbs.key         the host's BLS12-381 key for bbs-2023 proofs (0600)
//	DIR/credentials/UUID.json  issued credentials, as signed
//	DIR/status/1.json        the signed revocation status list
//	DIR/promotions/TASK.json each place's promotion outcome (Promote resumes from it)
//	DIR/market/              the marketplace's (package market)
//
// # Usage
//
//	e, err := engine.Open(ctx, engine.Config{DataDir: "verdict-data"})
//	if err != nil { ... }
//	defer e.Close(ctx)
//	task, err := e.CreateTask(ctx, "examples/breast-cancer/task.yaml")
//	sub, err := e.Submit(ctx, engine.SubmitRequest{Task: task.Spec.ID, Participant: "alice", Module: wasm})
//	if errors.Is(err, engine.ErrQuotaExceeded) { ... } // err says when the next slot opens
//	board, err := e.Leaderboard(task.Spec.ID, engine.Viewer{Participant: "alice"}, false)
//	proms, err := e.CloseTask(ctx, task.Spec.ID) // closes and certifies; proms[i].Credential: nil when a gate failed
//	proms, err = e.Promote(ctx, task.Spec.ID)    // a re-run: only when the last promotion issued nothing
//
//	rep, err := engine.Check(ctx, engine.CheckConfig{Task: task.Info(), Module: wasm}) // no submission
//	if rep.Failed() { ... } // rep.Checks[i].Message says what would fail and how to fix it
package engine
