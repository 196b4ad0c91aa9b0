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
// A leaderboard has one row per participant: their best public score (or,
// for the private board, their best private score; participants with no
// private score are omitted from it), best meaning highest when the task's
// HigherIsBetter is set and lowest otherwise. Only Scored submissions are
// ranked. Equal scores, between participants or between one participant's
// submissions, go to the earlier submission: the one with the earlier
// Created, then the smaller ID. Ranks are 1-based and distinct. Scores must
// be finite.
//
// Reading a leaderboard does not scan submissions: the store keeps an index
// whose ascending key order is the ranking, with one key per participant,
// moved in the same transaction as the submission that changes their best.
// The key layout and value encodings are documented in keys.go and
// record.go.
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
