// Package leaderboard is verdict's durable record of tasks, submissions and
// per-task rankings, kept in an embedded Badger database.
//
// # Place in the pipeline
//
// It is the last step: the engine validates a task, runs a submission in the
// sandbox, scores it, and records each step of the submission here; the
// HTTP API and CLI read leaderboards back through the engine. The package
// knows nothing of WebAssembly, datasets or metrics: a task's spec is an
// opaque []byte, a score is a float64 and a direction (Task.HigherIsBetter).
// It must never import engine, sandbox or datasets, and it never computes a
// score.
//
// # Durability
//
// Open turns on Badger's SyncWrites, so every CreateTask and PutSubmission
// is in the write-ahead log and synced before it returns: an acknowledged
// write survives a crash of the process (the tests SIGKILL a writer and
// check). Each PutSubmission is one transaction: the submission record and
// every index it affects are committed together or not at all. Concurrent
// writers of the same participant or submission are serialized by Badger's
// conflict detection; the losing transaction is retried.
//
// # Ranking rule
//
// A leaderboard has one row per entrant (a participant, or the team their
// submissions count for): their best public score (the Ladder's shown score
// when it is on) or, for the private board, their best private score
// (entrants with no private score are omitted from it), best meaning
// highest when the task's HigherIsBetter is set and lowest otherwise. Only
// Scored submissions are ranked, never baselines. FinalLeaderboard is the
// private board under the final-selection rule. Equal scores, between participants or between one participant's
// submissions, go to the earlier submission: the one with the earlier
// Created, then the smaller ID. Ranks are 1-based and distinct. Scores must
// be finite.
//
// Reading a leaderboard does not scan submissions: the store keeps an index
// whose ascending key order is the ranking, with one key per participant,
// moved in the same transaction as the submission that changes their best.
// The key layout and value encodings are documented in keys.go and
// record.go; index.go keeps each index table with a helper of its own.
//
// # Contest rules kept here
//
// The rules that must hold under concurrency are enforced inside one
// Badger transaction each, never by a read followed by a separate write:
//
//   - CreateSubmission checks, then inserts: the task is not closed, the
//     entrant has not submitted the same module (SHA-256) before
//     (*DuplicateError with the earlier submission), and the entrant's
//     charged submissions on the UTC day and in all stay within the Quota
//     (*QuotaError with the next slot). Badger's conflict detection makes
//     two concurrent creations for one entrant serialize.
//   - A submission is charged unless it is a baseline or failed by the
//     host's fault (HostError); turning HostError on refunds it.
//   - The entrant is the participant's team when they are in one: teams
//     share a quota, a module index and one row on each board. JoinTeam and
//     MergeTeams move the members' submissions to the team and refuse a
//     team over its size or its quota.
//   - With Task.LadderStep > 0 the public board ranks by the Ladder's shown
//     score (Blum & Hardt 2015), decided when a submission is first scored.
//   - FinalLeaderboard ranks by the best private score among each
//     entrant's selections, or its n best public submissions.
//   - A submission made in a phase of its task (Submission.Phase) is also
//     ranked on that phase's board (PhaseLeaderboard, PhaseFinalLeaderboard;
//     tables 0x22 to 0x25), under the phase's Ladder step
//     (Task.PhaseLadderSteps), and claims its module once per phase. A
//     task without phases writes and reads exactly the keys it always did.
//   - Every change of an entrant's best on either board is appended to the
//     task's history, in commit order.
//   - Submissions that are received, queued or running are indexed so that
//     Unfinished finds them after a crash.
//   - A host's rescore (rescore.go) records its plan, then each re-run
//     with the submission as it was before, in the transaction that
//     writes the new scores: a resumed rescore skips what is done, and
//     the old scores stay on record. It never charges a quota; under the
//     Ladder it decides the entrant's shown scores again.
//   - The audit trail (audit.go) keeps each host action that changed a
//     task's outcome, append-only, in the order recorded.
//   - Admissions to invite-only tasks and invitation codes (access.go,
//     tables 0x20 and 0x21; a code is kept by its SHA-256 only):
//     RedeemInvitation binds a code to its first redeemer and admits them
//     in one transaction, so of concurrent redemptions exactly one
//     commits.
//
// # Marketplace catalogue
//
// The store also keeps the marketplace catalogue (market.go, table 0x13):
// one MarketEntry per certified model, keyed by its credential's UUID, with
// the fields search filters and ranks on and the engine's signed credential
// and model card as opaque bytes. Entries are immutable but for
// RevokeMarketEntry; PutMarketEntry never overwrites.
//
// # Usage
//
//	store, err := leaderboard.Open(dir)
//	if err != nil { ... }
//	defer store.Close()
//	err = store.CreateTask(leaderboard.Task{ID: "iris", Metric: "accuracy", HigherIsBetter: true, Created: now})
//	sub := leaderboard.Submission{ID: uuid.NewString(), Task: "iris", Participant: "ada",
//		Created: now, Status: leaderboard.Running}
//	err = store.PutSubmission(sub) // running
//	sub.Status, sub.Public = leaderboard.Scored, &score
//	err = store.PutSubmission(sub) // scored: ranked in the same transaction
//	board, err := store.Leaderboard("iris", false)
//	if errors.Is(err, leaderboard.ErrNotFound) { ... } // no such task
package leaderboard
