// Package dispatch spreads evaluations over machines on NATS JetStream:
// a coordinator cuts a submission's rows into shards and publishes one job
// per shard on a work queue; workers anywhere take jobs one at a time, run
// the sandbox with the task's limits and publish results; the coordinator
// assembles the predictions in row order.
//
// In the pipeline it sits between the engine and the sandbox:
//
//	engine (task, labels, scoring, store) -> dispatch (jobs, results) -> sandbox (on workers)
//
// It is given feature columns only and must never see a label: nothing
// that crosses NATS can carry one. It never scores, never records, and
// holds no store: the engine does that with what Evaluate returns.
//
// # The protocol
//
// A Job (JobsStream, a WorkQueue) is the task's sandbox limits, the
// module's SHA-256, the SHA-256 of the shard's features and the shard's
// rows [Start, End) in the task's row order. Modules and feature shards
// live in the InputsBucket object store, named by their SHA-256; a worker
// streams them (never reads an object whole into memory before checking
// it), checks the hash and caches them on its disk with a size bound. A
// Result (ResultsStream) names the predictions object (OutputsBucket) or
// carries a typed sandbox Failure (kind and the participant's message);
// it is published with Nats-Msg-Id = JobID (submission, rows and a hash
// of the module, features, outputs and limits), inside
// a dedupe window longer than MaxDeliver tries of the longest job, and
// the coordinator keeps the first result per job id: a job is done once
// however many times it is delivered.
//
// A worker slot takes one job at a time (Next, a Fetch of 1: never the
// buffered Consume, whose prefetched jobs would burn their AckWait in a
// buffer), sends InProgress every Heartbeat while the sandbox runs
// (AckWait is three heartbeats) and acks after the result is published.
// After MaxDeliver tries JetStream only emits an advisory; AdvisoriesStream
// captures it so a coordinator that was down misses none, and the
// coordinator moves the job to DeadStream and publishes a failure of kind
// crash (a host fault, never charged).
//
// # Usage
//
//	srv, err := dispatch.StartServer(dispatch.ServerConfig{Dir: filepath.Join(dataDir, "nats")})
//	...
//	defer srv.Close()
//	nc, _ := srv.ConnectCoordinator()
//	js, _ := jetstream.New(nc)
//	co, err := dispatch.NewCoordinator(ctx, js, dispatch.CoordinatorConfig{})
//	...
//	wc, _ := srv.ConnectWorker()
//	wjs, _ := jetstream.New(wc)
//	w, err := dispatch.NewWorker(ctx, wjs, dispatch.WorkerConfig{CacheDir: cacheDir, Slots: 2})
//	go w.Run(ctx)
//	res, err := co.Evaluate(ctx, dispatch.Evaluation{Submission: id, Module: wasm,
//		Columns: features, Outputs: 1, Limits: limits})
package dispatch
